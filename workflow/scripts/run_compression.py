"""E6: the penultimate layer's compression of one E3 run (scatter ratio, own-label linear probe), from its features."""

import pandas as pd
import torch

from lsib.atomic import save_csv
from lsib.checks import load_arrays
from lsib.data import datasets
from lsib.measure.compression import compression_measures
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        torch.set_num_threads(smk.threads)
        wc = smk.wildcards
        f = load_arrays(smk.input.features, finite=("train_features", "test_features"))
        data = datasets.load(smk.input.data)
        row = {"dataset": wc.dataset, "model": wc.model, "objective": wc.objective, "coef": float(wc.coef)}
        row |= {"seed": int(wc.seed)}
        row |= compression_measures(
            f["train_features"].numpy(),
            data["train_y"].numpy(),
            f["test_features"].numpy(),
            data["test_y"].numpy(),
            smk.params.probe,
        )
        log(", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        save_csv(pd.DataFrame([row]), smk.output[0])


main(snakemake)  # noqa: F821
