"""Fig. 3 (E1): every trained run of one data set on the exact information plane."""

import pandas as pd

from lsib import plots
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        runs, path = pd.read_csv(smk.input.runs), pd.read_csv(smk.input.path)
        optima = pd.read_csv(smk.input.optima)
        plots.set_style()
        fig = plots.plot_information_plane(runs, path, float(runs["h_y"].iloc[0]), title=smk.wildcards.dataset,
                                           optima=optima)
        plots.save_figure(fig, smk.output)
        log(f"{len(runs)} runs: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
