"""Occluded data set (E3): each base image with a random digit pasted at a random place."""

from lsib.atomic import save_torch
from lsib.data import datasets
from lsib.data.occluded import build_occluded
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        base, digits = datasets.load(smk.input.base), datasets.load(smk.input.digits)
        out = {"name": "occluded", "classes": base["classes"], "mean": None, "std": None}
        for offset, split in enumerate(("train", "test")):  # train digits for train images, test for test
            built = build_occluded(
                base[f"{split}_x"],
                base[f"{split}_y"],
                digits[f"{split}_x"],
                digits[f"{split}_y"],
                seed=smk.params.seed + offset,
                digit_size=smk.params.digit_size,
                canvas=smk.params.canvas,
            )
            out[f"{split}_x"], out[f"{split}_y"] = built["x"], built["y"]
            out[f"{split}_nuisance_y"], out[f"{split}_box"] = built["nuisance_y"], built["box"]
            log(f"{split}: {len(built['y'])} images occluded by {digits['name']} digits")
        out["mean"], out["std"] = datasets.channel_stats(out["train_x"])
        datasets.validate(out, smk.output[0])
        save_torch(out, smk.output[0])


main(snakemake)  # noqa: F821
