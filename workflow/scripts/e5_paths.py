"""E5: every objective's exact optimum path on CIFAR-10H and its gap to the IB frontier at equal Î(X;Z)."""

import time

import pandas as pd
import torch

from lsib.atomic import save_csv
from lsib.checks import load_counts, read_table
from lsib.info.frontier import PathGrids, gap_table, objective_paths
from lsib.info.information import from_annotations
from lsib.pipeline.joblog import job_log
from lsib.pipeline.plan import grid


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        start = time.perf_counter()
        torch.set_num_threads(smk.threads)
        data = from_annotations(load_counts(smk.input.counts))
        p = smk.params.e5
        grids = PathGrids(
            ls_eps=grid(p["ls_eps"]),
            temperatures=p["temperatures"],
            cp_betas=p["cp_betas"],
            vib_betas=p["vib_betas"],
            best_smoothing_betas=p["best_smoothing_betas"],
        )
        paths = objective_paths(data, grids, log=log)
        frontier = pd.concat(
            [read_table(f, finite=("beta", "i_xz", "i_zy")) for f in (smk.input.ib, smk.input.iterative)],
            ignore_index=True,
        )
        gaps = gap_table(paths, frontier, p["compressions"])
        for row in gaps.itertuples():
            log(
                f"{row.family:15s} {row.point} Î(X;Z)={row.i_xz:.4f}: Î(Z;Y)={row.i_zy:.4f} "
                f"frontier={row.frontier_i_zy:.4f} gap={row.gap:.4f} closed={row.gap_closed:.3f}"
            )
        save_csv(paths, smk.output.paths)
        save_csv(gaps, smk.output.gaps, nullable=("i_zy", "gap", "gap_closed"))  # empty where a path does not reach
        log(f"E5 paths and gaps: {time.perf_counter() - start:.1f} s wall time")


main(snakemake)  # noqa: F821
