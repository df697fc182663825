"""Exact LS-optimum path (SPEC §4, Prop. 4.5) of a training set over the configured ε grid."""

import pandas as pd

from lsib.atomic import save_csv
from lsib.data import datasets
from lsib.info.optima import ls_optimum_path
from lsib.measure.information import empirical_data
from lsib.pipeline.joblog import job_log
from lsib.pipeline.plan import grid


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        data = datasets.load(smk.input.data)
        empirical, _ = empirical_data(data["train_x"], data["train_y"], len(data["classes"]))
        path = pd.DataFrame(ls_optimum_path(empirical, grid(smk.params.eps)))
        log(f"{empirical.num_inputs} unique inputs; LS path from {path.iloc[0].to_dict()} to {path.iloc[-1].to_dict()}")
        save_csv(path, smk.output[0])


main(snakemake)  # noqa: F821
