"""Training loop, recipes (SPEC §6) and batched inference for the deep-network experiments.

Data is the compact dict ``{"train_x": uint8 (N,C,H,W), "train_y": int64 (N,), "test_x",
"test_y", "mean": [C floats], "std": [C floats], "classes": [K names]}``. The whole set
sits on the training device as uint8; each batch is indexed there, scaled to ``[0, 1]``,
augmented (:mod:`lsib.augment`) and normalised ``(x/255 − mean)/std``.

Determinism: shuffling and augmentation draw from one explicit CPU generator seeded with
``seed``; dropout and stochastic depth draw from torch's global generator, which
:func:`train` seeds with ``seed`` on a fresh start. Every epoch ends with an atomic
checkpoint of model, objective, optimizer, both generators' states and the metrics, from
which :func:`train` resumes automatically, so on CPU an interrupted and resumed run ends
bit-identical to an uninterrupted one. On CUDA training uses bf16 autocast and
channels-last memory (fast, not bit-reproducible).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lsib.atomic import write_bytes
from lsib.augment import AUGMENTATIONS, augment

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("multistep", "cosine")
METRIC_COLUMNS = ("epoch", "loss", "train_acc", "test_acc", "lr", "seconds")
DATA_KEYS = ("train_x", "train_y", "test_x", "test_y", "mean", "std")
CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.csv"


@dataclass(frozen=True)
class Recipe:
    """A training recipe (SPEC §6). Epochs are counted from 0 in :func:`learning_rate`.

    ``optimizer``: ``sgd`` (with ``momentum``) or ``adamw``; ``weight_decay`` applies to the
    model's weight matrices and kernels only (not to biases, norm parameters or the
    objective's VIB table). ``schedule``: ``multistep`` (× ``gamma`` at each of
    ``milestones``) or ``cosine`` (to ``min_lr`` at ``epochs``); either follows a linear
    warm-up from ``warmup_lr`` over ``warmup_epochs``. Training runs
    ``epochs + cooldown_epochs`` epochs, the cool-down at ``min_lr``. ``augment`` is one of
    :data:`lsib.augment.AUGMENTATIONS`.
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "multistep"
    milestones: tuple[int, ...] = (80, 120)
    gamma: float = 0.1
    min_lr: float = 1e-5
    warmup_epochs: int = 0
    warmup_lr: float = 1e-6
    cooldown_epochs: int = 0
    epochs: int = 160
    batch_size: int = 128
    augment: str = "crop_flip"
    crop_padding: int = 4
    crop_scale: tuple[float, float] = (0.8, 1.0)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {SCHEDULES}")
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {self.augment!r}; choose one of {AUGMENTATIONS}")
        if self.epochs < 1 or self.batch_size < 1 or self.warmup_epochs < 0 or self.cooldown_epochs < 0:
            raise ValueError(f"epochs and batch_size must be ≥ 1, warm-up and cool-down ≥ 0: {self}")
        object.__setattr__(self, "milestones", tuple(int(m) for m in self.milestones))
        object.__setattr__(self, "crop_scale", tuple(float(s) for s in self.crop_scale))

    @property
    def total_epochs(self) -> int:
        """Number of epochs trained: ``epochs + cooldown_epochs``."""
        return self.epochs + self.cooldown_epochs

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Recipe:
        """Recipe from a plain dict; ``optimizer: adamw`` starts from the AdamW defaults of SPEC §6."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown recipe keys {unknown}; valid keys are {sorted(known)}")
        defaults = ADAMW_DEFAULTS if values.get("optimizer") == "adamw" else {}
        return cls(**{**defaults, **values})

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (inverse of :meth:`from_dict`)."""
        return dataclasses.asdict(self)


ADAMW_DEFAULTS: dict[str, Any] = {
    "lr": 5e-4,
    "weight_decay": 6e-2,
    "schedule": "cosine",
    "min_lr": 1e-5,
    "warmup_epochs": 10,
    "warmup_lr": 1e-6,
}

#: ResNet recipe of SPEC §6: SGD 0.9, lr 0.1 × 0.1 at 80 and 120, 160 epochs, batch 128, no
#: weight decay, crop (pad 4) + flip. Digits use ``augment="crop"``.
RESNET_RECIPE = Recipe()

#: CCT recipe of SPEC §6: AdamW 5e-4, wd 6e-2, 10 warm-up epochs, cosine to 1e-5 at 300,
#: 10 cool-down epochs, batch 96, RandomResizedCrop(0.8, 1) + flip.
CCT_RECIPE = Recipe.from_dict(
    {"optimizer": "adamw", "epochs": 300, "cooldown_epochs": 10, "batch_size": 96, "augment": "resized_crop_flip"}
)


def learning_rate(recipe: Recipe, epoch: int) -> float:
    """Learning rate of 0-based ``epoch``.

    Warm-up (``epoch < W``): ``lr₀ + epoch·(lr − lr₀)/W``. Then ``multistep``:
    ``lr·γ^{#{m ∈ milestones : m ≤ epoch}}``; ``cosine``:
    ``min_lr + ½(lr − min_lr)(1 + cos(π·epoch/epochs))`` for ``epoch < epochs``, else ``min_lr``.
    """
    if epoch < recipe.warmup_epochs:
        return recipe.warmup_lr + epoch * (recipe.lr - recipe.warmup_lr) / recipe.warmup_epochs
    if recipe.schedule == "multistep":
        return recipe.lr * recipe.gamma ** sum(epoch >= m for m in recipe.milestones)
    if epoch >= recipe.epochs:
        return recipe.min_lr
    return recipe.min_lr + 0.5 * (recipe.lr - recipe.min_lr) * (1 + math.cos(math.pi * epoch / recipe.epochs))


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (call before building a model)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def normalize(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(x − mean)/std`` per channel for ``x`` in ``[0, 1]``; ``mean``/``std`` are ``(C,)``."""
    return (images - mean[:, None, None]) / std[:, None, None]


def make_optimizer(model: nn.Module, objective: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """Optimizer over model and objective parameters; weight decay only on model tensors of ndim ≥ 2."""
    model_params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in model_params if p.ndim >= 2]
    no_decay = [p for p in model_params if p.ndim < 2] + [p for p in objective.parameters() if p.requires_grad]
    groups = [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum)
    return torch.optim.AdamW(groups, lr=recipe.lr)


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes(path, buffer.getvalue())


def _write_metrics(path: Path, rows: list[dict[str, float]]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=METRIC_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes(path, text.getvalue().encode())


def _rng_states(generator: torch.Generator) -> dict[str, Any]:
    states: dict[str, Any] = {"generator": generator.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(generator: torch.Generator, states: dict[str, Any]) -> None:
    generator.set_state(states["generator"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def _channel_stats(data: Mapping[str, Any], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    mean = torch.as_tensor(data["mean"], dtype=torch.float32, device=device)
    std = torch.as_tensor(data["std"], dtype=torch.float32, device=device)
    return mean, std


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def _batched_outputs(
    fn: Callable[[torch.Tensor], torch.Tensor],
    images: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    batch_size: int,
    device: torch.device,
    autocast: bool,
) -> torch.Tensor:
    """``fn(normalize(images/255))`` over batches, concatenated on ``device`` (caller sets eval mode)."""
    outputs = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device, non_blocking=True).float().div_(255)
        x = normalize(x, mean, std)
        if device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast and device.type == "cuda"):
            outputs.append(fn(x).float())
    return torch.cat(outputs)


def _inference(
    model: nn.Module,
    method: str,
    images: torch.Tensor,
    mean: Any,
    std: Any,
    batch_size: int,
    device: torch.device | str | None,
    autocast: bool,
) -> torch.Tensor:
    """Run ``model.<method>`` in eval mode with test-time preprocessing; restores the training flag."""
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    mean_t, std_t = _channel_stats({"mean": mean, "std": std}, device)
    was_training = model.training
    model.eval()
    try:
        return _batched_outputs(getattr(model, method), images, mean_t, std_t, batch_size, device, autocast)
    finally:
        model.train(was_training)


def predict_proba(
    model: nn.Module,
    images: torch.Tensor,
    mean: Any,
    std: Any,
    batch_size: int = 1024,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``p(z|x) = softmax(f_θ(x))`` as a float64 ``(N, K)`` CPU tensor.

    Eval mode, no augmentation; logits are computed in float32 (no autocast) and the
    softmax in float64, so tiny probabilities keep their precision for SPEC §2.
    The model is moved to ``device`` (default: where it already is).
    """
    logits = _inference(model, "forward", images, mean, std, batch_size, device, autocast=False)
    return torch.softmax(logits.double(), dim=-1).cpu()


def penultimate_features(
    model: nn.Module,
    images: torch.Tensor,
    mean: Any,
    std: Any,
    batch_size: int = 1024,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Penultimate activations ``model.features(x)`` (input of ``head``) as float32 ``(N, D)`` on CPU."""
    return _inference(model, "features", images, mean, std, batch_size, device, autocast=False).cpu()


def train(
    model: nn.Module,
    objective: nn.Module,
    data: Mapping[str, Any],
    recipe: Recipe,
    seed: int,
    run_dir: str | os.PathLike[str],
    log: Callable[[str], None] = print,
    device: torch.device | str | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` with ``objective`` (a :class:`lsib.losses.Objective`) under ``recipe``.

    Each epoch: set the lr of :func:`learning_rate`, shuffle, run mini-batches (the last
    one may be smaller), evaluate test accuracy, append a row ``(epoch, loss, train_acc,
    test_acc, lr, seconds)`` — ``epoch`` counts completed epochs, ``loss`` and
    ``train_acc`` are averaged over the epoch's augmented batches — rewrite
    ``run_dir/metrics.csv``, save ``run_dir/checkpoint.pt`` atomically and log one line.
    If the checkpoint exists, training resumes after its epoch (its seed and recipe must
    match). Returns all rows. The caller seeds model initialisation (:func:`seed_everything`).
    """
    missing = [k for k in DATA_KEYS if k not in data]
    if missing:
        raise ValueError(f"data is missing keys {missing}")
    device = torch.device(device) if device is not None else default_device()
    cuda = device.type == "cuda"
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = run_dir / CHECKPOINT

    model.to(device)
    objective.to(device)
    if cuda:
        model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    optimizer = make_optimizer(model, objective, recipe)
    generator = torch.Generator().manual_seed(seed)
    rows: list[dict[str, float]] = []
    start_epoch = 0
    if checkpoint_path.exists():
        state = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        if state["seed"] != seed or state["recipe"] != recipe.to_dict():
            raise ValueError(f"{checkpoint_path} was written with another seed or recipe; remove it to restart")
        model.load_state_dict(state["model"])
        objective.load_state_dict(state["objective"])
        optimizer.load_state_dict(state["optimizer"])
        _set_rng_states(generator, state["rng"])
        rows, start_epoch = state["metrics"], state["epoch"]
        log(f"resuming from {checkpoint_path} after epoch {start_epoch}/{recipe.total_epochs}")
    else:
        torch.manual_seed(seed)

    train_x, train_y = data["train_x"].to(device), data["train_y"].to(device)
    test_x, test_y = data["test_x"].to(device), data["test_y"].to(device)
    mean, std = _channel_stats(data, device)
    n = len(train_y)
    for epoch in range(start_epoch, recipe.total_epochs):
        started = time.perf_counter()
        lr = learning_rate(recipe, epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        model.train()
        objective.train()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        order = torch.randperm(n, generator=generator).to(device)
        for first in range(0, n, recipe.batch_size):
            index = order[first : first + recipe.batch_size]
            x = augment(
                train_x[index].float().div_(255), recipe.augment, generator, recipe.crop_padding, recipe.crop_scale
            )
            x = normalize(x, mean, std)
            y = train_y[index]
            if cuda:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
                logits = model(x)
            loss = objective(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(index)
            correct += (logits.argmax(dim=1) == y).sum()

        model.eval()
        test_logits = _batched_outputs(model, test_x, mean, std, 1024, device, autocast=True)
        test_acc = (test_logits.argmax(dim=1) == test_y).double().mean().item()
        row = {
            "epoch": epoch + 1,
            "loss": loss_sum.item() / n,
            "train_acc": correct.item() / n,
            "test_acc": test_acc,
            "lr": lr,
            "seconds": time.perf_counter() - started,
        }
        rows.append(row)
        _save_checkpoint(
            checkpoint_path,
            {
                "epoch": epoch + 1,
                "seed": seed,
                "recipe": recipe.to_dict(),
                "model": model.state_dict(),
                "objective": objective.state_dict(),
                "optimizer": optimizer.state_dict(),
                "rng": _rng_states(generator),
                "metrics": rows,
            },
        )
        _write_metrics(run_dir / METRICS, rows)
        log(
            f"epoch {epoch + 1}/{recipe.total_epochs} loss {row['loss']:.4f} train_acc {row['train_acc']:.4f} "
            f"test_acc {test_acc:.4f} lr {lr:.3g} {row['seconds']:.1f}s"
        )
    return rows
