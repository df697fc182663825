"""E3: fit linear and MLP probes that predict the nuisance digit from penultimate activations."""

import pandas as pd
import torch

from lsib.atomic import save_csv
from lsib.checks import load_arrays, read_table
from lsib.measure.probes import chance_level, run_probes
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        torch.set_num_threads(smk.threads)
        wc = smk.wildcards
        f = load_arrays(smk.input.features, finite=("train_features", "test_features"))
        train = (f["train_features"].numpy(), f["train_nuisance_y"].numpy())
        test = (f["test_features"].numpy(), f["test_nuisance_y"].numpy())
        base_test_acc = float(read_table(smk.input.metrics, finite=("test_acc",))["test_acc"].iloc[-1])
        chance = chance_level(train[1], test[1])
        seed = int(wc.seed)
        log(f"probes of the nuisance digit: {len(train[1])} train / {len(test[1])} test, chance {chance:.4f}")
        rows = []
        for name, acc in run_probes(*train, *test, seed=seed, settings=smk.params.probes, log=log).items():
            rows.append(
                {
                    "eps": float(wc.coef),
                    "seed": seed,
                    "base_test_acc": base_test_acc,
                    "probe": name,
                    "probe_acc": acc,
                    "chance": chance,
                }
            )
        save_csv(pd.DataFrame(rows), smk.output[0])


main(snakemake)  # noqa: F821
