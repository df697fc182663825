"""Learning curves of one experiment's runs (rules e1_fig_curves, e3_fig_curves, e4_fig_curves)."""

import pandas as pd

from lsib import plots
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        # params.runs: each input's run identity and planned epochs, in input order
        tables = [read_table(path).assign(**run) for path, run in zip(smk.input, smk.params.runs, strict=True)]
        metrics = pd.concat(tables, ignore_index=True)
        title = smk.wildcards.get("dataset", tables[0]["dataset"].iloc[0])
        fig = plots.plot_learning_curves(metrics, title=title)
        plots.save_figure(fig, smk.output)
        log(f"{len(tables)} runs, {len(metrics)} epochs: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
