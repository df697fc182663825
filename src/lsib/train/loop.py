"""One run's training step and evaluation: :class:`Loop` (built by :func:`build_loop`).

Data is the compact dict ``{"train_x": uint8 (N,C,H,W), "train_y": int64 (N,), "test_x",
"test_y", "mean": [C floats], "std": [C floats], "classes": [K names]}``. The whole set
sits on the training device as uint8; each batch is indexed there, scaled to ``[0, 1]``,
augmented (:mod:`lsib.train.augmentation`) and normalised (:func:`lsib.models.forward.normalize`).

Speed: an epoch's shuffle and augmentation parameters are drawn at its start and sent to
the device in one transfer; the loss and accuracy sums stay on the device, so nothing
waits for the device inside an epoch. The optimizer is fused on CUDA and foreach
elsewhere. Precision (bf16 autocast), channels-last memory, ``torch.compile`` and the
test-evaluation interval are :class:`lsib.train.settings.TrainSettings` (``auto`` picks
them from the device); a failed compilation falls back to eager with a log line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from lsib.models.forward import (
    EVAL_BATCH,
    autocast,
    batched_outputs,
    channel_tensors,
    memory_format,
    normalize,
)
from lsib.train.augmentation import apply_drawn, draw_batches
from lsib.train.recipe import Recipe, make_optimizer
from lsib.train.settings import TrainSettings


@dataclass
class EpochSums:
    """Device-side sums of one (possibly partial) epoch: Σ batch-mean loss × batch size, correct, images."""

    loss_sum: torch.Tensor
    correct: torch.Tensor
    images: int


@dataclass
class DrawnEpoch:
    """One epoch's example order and per-batch augmentation parameters, on the device."""

    order: torch.Tensor
    params: dict[str, torch.Tensor]


@dataclass
class Loop:
    """One run's training step and evaluation on ``device`` under resolved ``settings``.

    ``forward`` is ``model`` itself or its compiled version (same parameters); state is
    always read and written through ``model``.
    """

    model: nn.Module
    objective: nn.Module
    optimizer: torch.optim.Optimizer
    recipe: Recipe
    settings: TrainSettings
    device: torch.device
    mean: torch.Tensor
    std: torch.Tensor
    forward: Callable[[torch.Tensor], torch.Tensor]
    compiled: bool = False

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Normalised float input in the configured memory format (images already in ``[0, 1]``)."""
        return memory_format(normalize(images, self.mean, self.std), bool(self.settings.channels_last))

    def epoch(
        self, train_x: torch.Tensor, train_y: torch.Tensor, generator: torch.Generator, max_batches: int | None = None
    ) -> EpochSums:
        """Shuffle, augment and step through mini-batches (the last may be smaller); no host sync.

        ``max_batches`` stops early (benchmarks); the generator is consumed as for a full epoch.
        """
        return self.steps(train_x, train_y, self.draw_epoch(train_x, generator), max_batches)

    def draw_epoch(self, train_x: torch.Tensor, generator: torch.Generator) -> DrawnEpoch:
        """The epoch's shuffle and augmentation parameters, drawn on the host, sent to the device at once.

        Apart from :meth:`steps` so that a benchmark can time the steps alone.
        """
        recipe, n = self.recipe, len(train_x)
        order = torch.randperm(n, generator=generator)
        sizes = [min(recipe.batch_size, n - s) for s in range(0, n, recipe.batch_size)]
        params = draw_batches(
            recipe.augment,
            sizes,
            train_x.shape[-2],
            train_x.shape[-1],
            generator,
            recipe.crop_padding,
            recipe.crop_scale,
        )
        return DrawnEpoch(
            order.to(self.device, non_blocking=True),
            {k: v.to(self.device, non_blocking=True) for k, v in params.items()},
        )

    def steps(
        self, train_x: torch.Tensor, train_y: torch.Tensor, drawn: DrawnEpoch, max_batches: int | None = None
    ) -> EpochSums:
        """The optimizer steps of one epoch drawn by :meth:`draw_epoch` (the first ``max_batches``)."""
        recipe = self.recipe
        self.model.train()
        self.objective.train()
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        images = 0
        for step, first in enumerate(range(0, len(train_y), recipe.batch_size)):
            if max_batches is not None and step >= max_batches:
                break
            index = drawn.order[first : first + recipe.batch_size]
            params = {k: v[first : first + recipe.batch_size] for k, v in drawn.params.items()}
            x = self._prepare(
                apply_drawn(train_x[index].float().div_(255), recipe.augment, params, recipe.crop_padding)
            )
            y = train_y[index]
            with autocast(self.device, self.settings.precision == "bf16"):
                logits = self.forward(x)
            loss = self.objective(logits.float(), y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            loss_sum += loss.detach() * len(index)
            correct += (logits.argmax(dim=1) == y).sum()
            images += len(index)
        return EpochSums(loss_sum, correct, images)

    def accuracy(self, images: torch.Tensor, labels: torch.Tensor) -> float:
        """Accuracy on ``(images, labels)`` in eval mode (one host sync)."""
        self.model.eval()
        logits = batched_outputs(
            self.forward,
            images,
            self.mean,
            self.std,
            EVAL_BATCH,
            self.device,
            self.settings.precision == "bf16",
            bool(self.settings.channels_last),
        )
        return (logits.argmax(dim=1) == labels).double().mean().item()

    def nonfinite(self) -> list[str]:
        """``name: k/n non-finite (e.g. v)`` per non-finite parameter or buffer (``model.``/``objective.``);
        one host sync when all are finite."""
        tensors = [
            (f"{owner}.{name}", t.detach())
            for owner, module in (("model", self.model), ("objective", self.objective))
            for name, t in module.state_dict(keep_vars=True).items()
            if t.is_floating_point()
        ]
        if torch.stack([torch.isfinite(t).all() for _, t in tensors]).all().item():
            return []
        report = []
        for name, t in tensors:
            values = t[~torch.isfinite(t)]
            if len(values):
                report.append(f"{name}: {len(values)}/{t.numel()} non-finite (e.g. {values[0].item()})")
        return report

    def compile(
        self, sample_shape: tuple[int, ...], train_sizes: list[int], eval_sizes: list[int], log: Callable[[str], None]
    ) -> None:
        """``torch.compile`` the model and compile every graph now, on zero inputs of each batch size
        (training forward + backward, eval forward), restoring weights, buffers, gradients and RNG
        afterwards; on any failure log it and stay eager."""
        snapshot = [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in (self.model, self.objective)]
        cuda = self.device.type == "cuda"  # a CPU job leaves CUDA uninitialised
        rng = torch.get_rng_state(), (torch.cuda.get_rng_state(self.device) if cuda else None)
        started = time.perf_counter()
        compiled = torch.compile(self.model, dynamic=False)
        bf16 = self.settings.precision == "bf16"
        try:
            self.model.train()
            for size in train_sizes:
                x = self._prepare(torch.zeros(size, *sample_shape, device=self.device))
                with autocast(self.device, bf16):
                    logits = compiled(x)
                self.objective(logits.float(), torch.zeros(size, dtype=torch.int64, device=self.device)).backward()
            self.model.eval()
            with torch.no_grad():
                for size in eval_sizes:
                    with autocast(self.device, bf16):
                        compiled(self._prepare(torch.zeros(size, *sample_shape, device=self.device)))
            if cuda:
                torch.cuda.synchronize(self.device)
        except Exception as err:  # noqa: BLE001 — whatever the compiler raises, eager still works
            message = str(err).strip().splitlines()[0] if str(err).strip() else ""
            log(f"torch.compile failed ({type(err).__name__}: {message}); falling back to eager")
        else:
            self.forward, self.compiled = compiled, True
            log(
                f"torch.compile: {len(train_sizes)} training and {len(eval_sizes)} eval batch shapes compiled in "
                f"{time.perf_counter() - started:.1f}s"
            )
        finally:
            for module, state in zip((self.model, self.objective), snapshot):
                module.load_state_dict(state)
                module.zero_grad(set_to_none=True)
            torch.set_rng_state(rng[0])
            if cuda:
                torch.cuda.set_rng_state(rng[1], self.device)


def batch_sizes(n: int, batch_size: int) -> list[int]:
    """Distinct mini-batch sizes of ``n`` items in batches of ``batch_size`` (full, then the remainder)."""
    return sorted({min(batch_size, n), n % batch_size} - {0}, reverse=True)


def build_loop(
    model: nn.Module,
    objective: nn.Module,
    recipe: Recipe,
    data: Mapping[str, Any],
    device: torch.device,
    settings: TrainSettings,
) -> Loop:
    """Move model and objective to ``device`` in the settings' memory format and build the optimizer (eager)."""
    if not settings.resolved:
        raise ValueError(f"settings must be resolved (TrainSettings.resolve): {settings}")
    model.to(device)
    objective.to(device)
    if settings.channels_last:
        model.to(memory_format=torch.channels_last)
    if device.type == "cuda":  # a CPU job leaves the flag alone
        torch.backends.cudnn.benchmark = bool(settings.cudnn_benchmark)
    optimizer = make_optimizer(model, objective, recipe, device)
    mean, std = channel_tensors(data, device)
    return Loop(model, objective, optimizer, recipe, settings, device, mean, std, forward=model)
