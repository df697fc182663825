"""Shared helpers of the training tests: tiny synthetic data, a tiny recipe, a fit, a state comparison."""

from __future__ import annotations

from pathlib import Path

import torch

from lsib.models import build_model
from lsib.train.device import seed_everything
from lsib.train.losses import Objective
from lsib.train.recipe import Recipe
from lsib.train.run import train
from lsib.train.settings import TrainSettings

SIZE, CLASSES = 12, 4


def synthetic_data(n_train: int = 96, n_test: int = 48, seed: int = 123) -> dict:
    """Separable 1×12×12 images: class k is a flat grey level 40 + 50k plus noise."""
    g = torch.Generator().manual_seed(seed)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.arange(n) % CLASSES
        x = 40.0 + 50.0 * y[:, None, None, None] + 10.0 * torch.randn(n, 1, SIZE, SIZE, generator=g)
        return x.clamp(0, 255).to(torch.uint8), y

    train_x, train_y = split(n_train)
    test_x, test_y = split(n_test)
    return {
        "train_x": train_x,
        "train_y": train_y,
        "test_x": test_x,
        "test_y": test_y,
        "mean": [0.5],
        "std": [0.25],
        "classes": [str(k) for k in range(CLASSES)],
    }


def tiny_recipe(**overrides: object) -> Recipe:
    return Recipe.from_dict({"lr": 0.05, "epochs": 3, "milestones": [2], "batch_size": 32, **overrides})


def fit(
    model_name: str,
    objective_name: str,
    recipe: Recipe,
    run_dir: Path,
    seed: int = 0,
    log=lambda s: None,
    data: dict | None = None,
    settings: TrainSettings | None = None,
):
    """Build model and objective under ``seed``, then train (resuming from ``run_dir`` if possible)."""
    seed_everything(seed)
    model = build_model(model_name, CLASSES, 1, SIZE)
    objective = Objective(objective_name, 0.1, CLASSES)
    data = synthetic_data() if data is None else data
    rows = train(model, objective, data, recipe, seed, run_dir, log=log, device="cpu", settings=settings).rows
    return model, objective, rows


def assert_same_state(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


class Killed(Exception):
    pass


def kill_after(epochs: int):
    def log(line: str) -> None:
        if line.startswith(f"epoch {epochs}/"):
            raise Killed

    return log
