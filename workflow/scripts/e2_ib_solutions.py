"""CIFAR-10H: minimise the IB Lagrangian over the whole β grid of each variant (SPEC §3, E2)."""

import pandas as pd
import torch

from lsib.atomic import save_csv
from lsib.checks import load_counts
from lsib.info.ib_solver import SolverSettings, solve_ib
from lsib.info.information import from_annotations
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        torch.set_num_threads(smk.threads)
        data = from_annotations(load_counts(smk.input.counts))
        settings = SolverSettings(**smk.params.solver)
        tables = []
        for variant, betas in smk.params.betas.items():
            if not betas:
                continue
            result = solve_ib(data, betas, variant, settings, log=log)
            log(
                f"{variant}: {len(betas)} β solved in {result['seconds'][0]:.1f} s, "
                f"{int(result['converged'].sum())} converged"
            )
            tables.append(pd.DataFrame({"variant": variant, **result}))
        table = pd.concat(tables, ignore_index=True)
        for row in table.itertuples():
            log(f"{row.variant} β={row.beta:.4g}: Î(X;Z)={row.i_xz:.4f} Î(Z;Y)={row.i_zy:.4f} iters={row.iterations}")
        save_csv(table, smk.output[0])


main(snakemake)  # noqa: F821
