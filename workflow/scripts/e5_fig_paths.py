"""E5 figure: every objective's exact optimum path on CIFAR-10H next to the IB frontier."""

import pandas as pd

from lsib import plots
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        paths = read_table(smk.input.paths, finite=("i_xz", "i_zy"))
        frontier = pd.concat(
            [read_table(f, finite=("beta", "i_xz", "i_zy")) for f in (smk.input.ib, smk.input.iterative)],
            ignore_index=True,
        )
        reference = read_table(smk.input.reference, finite=("value",)).set_index("quantity")["value"]
        fig = plots.plot_objective_paths(paths, frontier, h_y=reference["h_y"], i_xy=reference["i_xy"])
        plots.save_figure(fig, smk.output)
        log(f"{len(paths)} path points, {len(frontier)} frontier points: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
