"""E6: Müller et al.'s penultimate-layer projection of a CE and an LS run, train and test points."""

from lsib import plots
from lsib.checks import load_arrays
from lsib.pipeline.joblog import job_log
from lsib.plots.benefits import plot_penultimate_projection


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        projections = {
            smk.params.labels[key]: load_arrays(smk.input[key], finite=("train_xy", "test_xy")) for key in ("ce", "ls")
        }
        plots.set_style()
        fig = plot_penultimate_projection(projections, title=smk.wildcards.dataset)
        plots.save_figure(fig, smk.output)
        log(f"{', '.join(projections)}: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
