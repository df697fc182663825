"""E5: the IB frontier on CIFAR-10H by the classic iterative IB algorithm (independent of the Adam solver)."""

import time

import pandas as pd
import torch

from lsib.atomic import save_csv
from lsib.checks import load_counts
from lsib.info.ib_iterative import iterative_ib
from lsib.info.information import from_annotations
from lsib.info.optima import merge_identical_rows
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        start = time.perf_counter()
        torch.set_num_threads(smk.threads)
        data = merge_identical_rows(from_annotations(load_counts(smk.input.counts)))
        p = smk.params.settings
        result = iterative_ib(data, p["betas"], max_iters=p["max_iters"], tol=p["tol"], log=log)
        table = pd.DataFrame({"variant": "iterative", **result})
        for row in table.itertuples():
            log(
                f"β={row.beta:.4g}: Î(X;Z)={row.i_xz:.4f} Î(Z;Y)={row.i_zy:.4f} loss={row.loss:.6f} "
                f"iters={row.iterations} converged={row.converged} ({row.sweep})"
            )
        save_csv(table, smk.output[0])
        log(f"iterative IB: {len(table)} β in {time.perf_counter() - start:.1f} s wall time")


main(snakemake)  # noqa: F821
