"""Dump p(z|x) of a trained run on every training and test example (eval mode, no augmentation)."""

from lsib.atomic import save_torch
from lsib.checks import require_distributions
from lsib.measure.inference import open_for_inference, predict_proba
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        model, meta, data, device = open_for_inference(smk.input.model, smk.input.data, smk.params.device, smk.threads)
        outputs = {
            split: predict_proba(model, data[f"{split}_x"], data["mean"], data["std"], device=device)
            for split in ("train", "test")
        }
        for split, proba in outputs.items():
            require_distributions(proba, f"{smk.input.model} (p(z|x) on the {split} set; did the run diverge?)")
            acc = (proba.argmax(1) == data[f"{split}_y"]).double().mean().item()
            log(f"{split}: {tuple(proba.shape)} probabilities, accuracy {acc:.4f}")
        save_torch({"train_proba": outputs["train"], "test_proba": outputs["test"], "meta": meta}, smk.output[0])


main(snakemake)  # noqa: F821
