"""E3 references: the probes on raw pixels and on an untrained network's penultimate activations."""

import pandas as pd
import torch

from lsib.atomic import save_csv
from lsib.data import datasets
from lsib.measure.inference import penultimate_features
from lsib.measure.probes import chance_level, pixel_features, run_probes
from lsib.models import build_model
from lsib.models.store import architecture
from lsib.pipeline.joblog import job_log
from lsib.train.device import seed_everything


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        torch.set_num_threads(smk.threads)
        data = datasets.load(smk.input.data)
        train_y, test_y = data["train_nuisance_y"].numpy(), data["test_nuisance_y"].numpy()
        chance = chance_level(train_y, test_y)
        log(f"probes of the nuisance digit: {len(train_y)} train / {len(test_y)} test, chance {chance:.4f}")
        arch = architecture(smk.params.model, data)
        rows = []

        def probe(reference: str, seed: int, train_f, test_f) -> None:
            def context(message: str) -> None:
                log(f"{reference} (seed {seed}): {message}")

            for name, acc in run_probes(
                train_f, train_y, test_f, test_y, seed=seed, settings=smk.params.probes, log=context
            ).items():
                rows.append({"reference": reference, "seed": seed, "probe": name, "probe_acc": acc, "chance": chance})

        for seed in smk.params.seeds:
            seed_everything(seed)  # the initialisation the trained runs of this seed start from
            model = build_model(**arch).eval()
            features = [
                penultimate_features(model, data[f"{s}_x"], data["mean"], data["std"], device="cpu").numpy()
                for s in ("train", "test")
            ]
            probe("untrained", seed, *features)
        probe(
            "pixels",
            smk.params.seeds[0],
            pixel_features(data["train_x"].numpy()),
            pixel_features(data["test_x"].numpy()),
        )
        save_csv(pd.DataFrame(rows), smk.output[0])


main(snakemake)  # noqa: F821
