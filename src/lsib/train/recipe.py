"""Training recipes (SPEC §6): optimiser, learning-rate schedule, augmentation, epochs.

:class:`Recipe` is one run's hyper-parameters; :data:`RESNET_RECIPE` and :data:`CCT_RECIPE`
are the paper's two. :func:`learning_rate` is the schedule and :func:`make_optimizer` the
optimiser with weight decay on the model's matrices only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from lsib.train.augmentation import AUGMENTATIONS

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("multistep", "cosine")


@dataclass(frozen=True)
class Recipe:
    """A training recipe (SPEC §6). Epochs are counted from 0 in :func:`learning_rate`.

    ``optimizer``: ``sgd`` (with ``momentum``) or ``adamw``; ``weight_decay`` applies to the
    model's weight matrices and kernels only (not to biases, norm parameters or the
    objective's VIB table). ``schedule``: ``multistep`` (× ``gamma`` at each of
    ``milestones``) or ``cosine`` (to ``min_lr`` at ``epochs``); either follows a linear
    warm-up from ``warmup_lr`` over ``warmup_epochs``. Training runs
    ``epochs + cooldown_epochs`` epochs, the cool-down at ``min_lr``. ``augment`` is one of
    :data:`lsib.train.augmentation.AUGMENTATIONS`.
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


def make_optimizer(
    model: nn.Module, objective: nn.Module, recipe: Recipe, device: torch.device | str = "cpu"
) -> torch.optim.Optimizer:
    """Optimizer over model and objective parameters; weight decay only on model tensors of ndim ≥ 2.

    Fused (one kernel for all tensors) on CUDA, foreach (one op per kind of update)
    elsewhere: the same update arithmetic as the per-tensor loop.
    """
    model_params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in model_params if p.ndim >= 2]
    no_decay = [p for p in model_params if p.ndim < 2] + [p for p in objective.parameters() if p.requires_grad]
    groups = [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    impl = {"fused": True} if torch.device(device).type == "cuda" else {"foreach": True}
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum, **impl)
    return torch.optim.AdamW(groups, lr=recipe.lr, **impl)
