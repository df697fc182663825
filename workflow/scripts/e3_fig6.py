"""Fig. 6 (E3): base-task test accuracy and nuisance-digit probe accuracy against ε."""

import pandas as pd

from lsib import plots
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        probes, references = pd.read_csv(smk.input.probes), pd.read_csv(smk.input.references)
        plots.set_style()
        titles = plots.SOURCE_TITLES
        fig = plots.plot_probe_accuracy(probes, references, base_name=titles[smk.params.base], nuisance_name=titles[smk.params.digits])
        plots.save_figure(fig, smk.output)
        log(f"{len(probes)} probe results: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
