"""Cluttered data set (E4): each digit at a random place plus random crops of itself."""

from lsib.atomic import save_torch
from lsib.data import datasets
from lsib.data.cluttered import build_cluttered
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        digits = datasets.load(smk.input.digits)
        p = smk.params
        out = {"name": "cluttered", "classes": digits["classes"]}
        for offset, split in enumerate(("train", "test")):
            built = build_cluttered(
                digits[f"{split}_x"],
                digits[f"{split}_y"],
                seed=p.seed + offset,
                canvas=p.canvas,
                n_crops=p.n_crops,
                crop_size=p.crop_size,
            )
            out[f"{split}_x"], out[f"{split}_y"], out[f"{split}_box"] = built["x"], built["y"], built["box"]
            log(f"{split}: {len(built['y'])} canvases of {p.canvas} px with {p.n_crops} crops of {p.crop_size} px")
        out["mean"], out["std"] = datasets.channel_stats(out["train_x"])
        datasets.validate(out, smk.output[0])
        save_torch(out, smk.output[0])


main(snakemake)  # noqa: F821
