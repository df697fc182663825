"""Fig. 6 (E3): base-task test accuracy and nuisance-digit probe accuracy against ε."""

from lsib import plots
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        probes = read_table(smk.input.probes, finite=("eps", "seed", "base_test_acc", "probe_acc", "chance"))
        references = read_table(smk.input.references, finite=("seed", "probe_acc", "chance"))
        plots.set_style()
        titles = plots.SOURCE_TITLES
        fig = plots.plot_probe_accuracy(
            probes, references, base_name=titles[smk.params.base], nuisance_name=titles[smk.params.digits]
        )
        plots.save_figure(fig, smk.output)
        log(f"{len(probes)} probe results: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
