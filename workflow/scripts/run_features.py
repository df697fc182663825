"""Penultimate activations (input of the last linear layer) of an E3 model on the occluded train and test sets."""

from lsib.atomic import save_torch
from lsib.checks import require_finite
from lsib.measure.inference import open_for_inference, penultimate_features
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        model, _, data, device = open_for_inference(smk.input.model, smk.input.data, smk.params.device, smk.threads)
        out = {}
        for split in ("train", "test"):
            out[f"{split}_features"] = penultimate_features(
                model, data[f"{split}_x"], data["mean"], data["std"], device=device
            )
            require_finite(
                out[f"{split}_features"],
                f"{smk.input.model} (penultimate features of the {split} set; did the run diverge?)",
            )
            out[f"{split}_nuisance_y"] = data[f"{split}_nuisance_y"]
            log(f"{split}: features {tuple(out[f'{split}_features'].shape)}")
        save_torch(out, smk.output[0])


main(snakemake)  # noqa: F821
