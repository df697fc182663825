"""Fig. 6 (E3): base-task test accuracy and nuisance-digit probe accuracy against ε."""

import pandas as pd

from lsib import plots
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        probes = pd.read_csv(smk.input[0])
        plots.set_style()
        titles = plots.SOURCE_TITLES
        fig = plots.plot_probe_accuracy(probes, base_name=titles[smk.params.base], nuisance_name=titles[smk.params.digits])
        plots.save_figure(fig, smk.output)
        log(f"{len(probes)} probe results: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
