"""Exact Î(X;Z), Î(Z;Y) of one run on its training set, and its distance to the LS optimum (SPEC §2, §4)."""

import pandas as pd

from lsib.atomic import save_csv
from lsib.checks import load_arrays
from lsib.data import datasets
from lsib.measure.information import empirical_data, run_information
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        wc = smk.wildcards
        data = datasets.load(smk.input.data)
        outputs = load_arrays(smk.input.outputs, finite=("train_proba", "test_proba"))
        empirical, first = empirical_data(data["train_x"], data["train_y"], len(data["classes"]))
        row = {
            "dataset": wc.dataset,
            "model": wc.model,
            "objective": wc.objective,
            "coef": float(wc.coef),
            "seed": int(wc.seed),
        }
        row |= run_information(outputs["train_proba"], empirical, first, wc.objective, float(wc.coef))
        for split in ("train", "test"):
            row[f"{split}_acc"] = (outputs[f"{split}_proba"].argmax(1) == data[f"{split}_y"]).double().mean().item()
        log(", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        no_eps = ("ls_i_xz", "ls_i_zy", "ls_distance") if wc.objective not in ("ce", "ls") else ()  # cp, vib
        save_csv(pd.DataFrame([row]), smk.output[0], nullable=no_eps)


main(snakemake)  # noqa: F821
