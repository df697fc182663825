"""Exact optimum path of every training objective (CE, LS, CP, VIB) on one E1 training set (Fig. 3)."""

from lsib.atomic import save_csv
from lsib.data import datasets
from lsib.info.frontier import training_objective_paths
from lsib.measure.information import empirical_data
from lsib.pipeline.joblog import job_log
from lsib.pipeline.plan import grid


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        data = datasets.load(smk.input.data)
        empirical, _ = empirical_data(data["train_x"], data["train_y"], len(data["classes"]))
        table = training_objective_paths(empirical, grid(smk.params.eps), smk.params.betas, smk.params.trained)
        for row in table[table["trained"]].itertuples():
            log(f"{row.objective} {row.coef:g}: optimum at Î(X;Z)={row.i_xz:.4f}, Î(Z;Y)={row.i_zy:.4f}")
        save_csv(table, smk.output[0])


main(snakemake)  # noqa: F821
