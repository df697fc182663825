"""Train one run (SPEC §6 recipe, §3 objective); resumes from checkpoint.pt after a restart."""

import os
from pathlib import Path

import torch

from lsib.data import datasets
from lsib.models import build_model
from lsib.models.store import architecture, save_trained
from lsib.pipeline.joblog import job_log
from lsib.train.device import resolve_device, seed_everything
from lsib.train.losses import Objective
from lsib.train.recipe import Recipe
from lsib.train.run import CHECKPOINT, train
from lsib.train.settings import TrainSettings

#: torch.compile's cache, shared by every training job of the workflow (Inductor's default sits in
#: the temp dir, private to each job under SLURM, so every job would compile every graph again).
INDUCTOR_CACHE = "results/cache/inductor"


def main(smk) -> None:
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", os.path.abspath(INDUCTOR_CACHE))
    with job_log(smk.log[0]) as log:
        torch.set_num_threads(smk.threads)
        device = resolve_device(smk.params.device)  # first: a GPU job without a GPU fails at once
        wc = smk.wildcards
        seed, coef = int(wc.seed), float(wc.coef)
        data = datasets.load(smk.input.data)
        recipe = Recipe.from_dict(smk.params.recipe)
        settings = TrainSettings.from_dict(smk.params.training).resolve(device, smk.params.jobs_per_gpu)
        arch = architecture(wc.model, data)
        log(
            f"{wc.dataset}: {len(data['train_y'])} train / {len(data['test_y'])} test; {arch}; device {device} "
            f"({smk.params.jobs_per_gpu} jobs per GPU)"
        )
        log(f"objective {wc.objective}({coef}), seed {seed}, recipe {recipe.to_dict()}")
        seed_everything(seed)
        model = build_model(**arch)
        objective = Objective(wc.objective, coef, arch["num_classes"])
        run_dir = Path(smk.output.model).parent
        result = train(model, objective, data, recipe, seed, run_dir, log, device, settings, provenance={"arch": arch})
        meta = {
            "objective": wc.objective,
            "coef": coef,
            "seed": seed,
            "recipe": recipe.to_dict(),
            "training": result.execution,
            "final": result.rows[-1],
        }
        save_trained(smk.output.model, model, arch, meta)
        (run_dir / CHECKPOINT).unlink(missing_ok=True)  # the run is complete; model.pt supersedes it


main(snakemake)  # noqa: F821
