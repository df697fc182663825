"""E5 figure: every objective's exact optimum path on CIFAR-10H next to the IB frontier."""

import pandas as pd

from lsib import plots
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        paths = pd.read_csv(smk.input.paths)
        frontier = pd.concat([pd.read_csv(smk.input.ib), pd.read_csv(smk.input.iterative)], ignore_index=True)
        reference = pd.read_csv(smk.input.reference).set_index("quantity")["value"]
        fig = plots.plot_objective_paths(paths, frontier, h_y=reference["h_y"], i_xy=reference["i_xy"])
        plots.save_figure(fig, smk.output)
        log(f"{len(paths)} path points, {len(frontier)} frontier points: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
