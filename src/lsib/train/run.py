"""A whole training run (SPEC §6): :func:`train` steps a :class:`lsib.train.loop.Loop` epoch by
epoch, checks it, checkpoints it and resumes it.

Safety: at the end of every epoch (one device sync) the loss and every parameter and buffer
are checked; a non-finite one stops training with :class:`TrainingDiverged` before that
epoch is saved. Checkpoints carry their provenance (:mod:`lsib.train.checkpoint`).

Determinism: shuffling and augmentation draw from one explicit CPU generator seeded with
``seed``; dropout and stochastic depth draw from torch's global generator, which
:func:`train` seeds with ``seed`` on a fresh start. Every epoch ends with an atomic
checkpoint of model, objective, optimizer, both generators' states and the metrics, from
which :func:`train` resumes automatically, so on CPU with float32, no channels-last and no
compilation an interrupted and resumed run ends bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import csv
import io
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lsib.atomic import write_bytes
from lsib.models.forward import (
    EVAL_BATCH,
)
from lsib.train.checkpoint import (
    DATA_KEYS,
    data_fingerprint,
    load_checkpoint,
    save_checkpoint,
)
from lsib.train.device import default_device
from lsib.train.loop import batch_sizes, build_loop
from lsib.train.recipe import Recipe, learning_rate
from lsib.train.settings import TrainSettings

METRIC_COLUMNS = ("epoch", "loss", "train_acc", "test_acc", "test_epoch", "lr", "seconds")
CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.csv"


class TrainingDiverged(RuntimeError):
    """The loss or a parameter became non-finite; nothing of the failing epoch was saved."""


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns: the metrics rows and how the run was executed.

    ``execution``: device, the resolved settings, ``compiled`` (whether ``torch.compile``
    actually ran this session: False after a fallback or when nothing was left to train)
    and the optimizer implementation.
    """

    rows: list[dict[str, float]]
    execution: dict[str, Any]


def _write_metrics(path: Path, rows: list[dict[str, float]]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=METRIC_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes(path, text.getvalue().encode())


def _rng_states(generator: torch.Generator, device: torch.device) -> dict[str, Any]:
    """The shuffle generator's, torch's CPU and, on CUDA, this run's device's generator states.

    Only the device the run uses: the set of visible GPUs may differ on resume (a 1-GPU shard job
    resuming a run started on a 2-GPU box), and a CPU job never initialises CUDA.
    """
    states: dict[str, Any] = {"generator": generator.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _set_rng_states(generator: torch.Generator, states: dict[str, Any], device: torch.device) -> None:
    """Restore :func:`_rng_states`, the CUDA state onto this run's (current) device."""
    generator.set_state(states["generator"])
    torch.set_rng_state(states["torch"])
    if device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state(states["cuda"], device)


def _provenance(
    model: nn.Module,
    objective: nn.Module,
    data: Mapping[str, Any],
    recipe: Recipe,
    seed: int,
    settings: TrainSettings,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    # neither the test interval nor cuDNN's algorithm choice (k jobs per GPU) changes what is learnt
    numerics = {k: v for k, v in settings.to_dict().items() if k not in ("eval_every", "cudnn_benchmark")}
    return {
        "data_sha256": data_fingerprint(data),
        "model": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "objective": getattr(objective, "name", type(objective).__name__),
        "coef": getattr(objective, "coef", None),
        "seed": seed,
        "recipe": recipe.to_dict(),
        "settings": numerics,
        **dict(extra or {}),
    }


def train(
    model: nn.Module,
    objective: nn.Module,
    data: Mapping[str, Any],
    recipe: Recipe,
    seed: int,
    run_dir: str | os.PathLike[str],
    log: Callable[[str], None] = print,
    device: torch.device | str | None = None,
    settings: TrainSettings | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train ``model`` with ``objective`` (a :class:`lsib.train.losses.Objective`) under ``recipe``.

    Each epoch: set the lr of :func:`learning_rate`, shuffle, run mini-batches (the last
    one may be smaller), check that the loss and all parameters are finite (else raise
    :class:`TrainingDiverged`, saving nothing), evaluate test accuracy on epoch 1, every
    ``eval_every``-th epoch and the last, append a row ``(epoch, loss, train_acc, test_acc,
    test_epoch, lr, seconds)`` — ``epoch`` counts completed epochs, ``loss`` and
    ``train_acc`` are averaged over the epoch's augmented batches, ``test_acc`` is the
    accuracy of the weights after epoch ``test_epoch`` (the latest evaluation: equal to
    ``epoch`` where evaluated) — save ``run_dir/checkpoint.pt`` atomically, rewrite
    ``run_dir/metrics.csv`` and log one line.

    A checkpoint trained on the same provenance (data fingerprint, model, objective, seed,
    recipe, numeric settings, plus ``provenance`` from the caller) is resumed after its
    epoch; any other checkpoint is ignored (logged) and training starts from scratch. The
    caller seeds model initialisation (:func:`seed_everything`). ``settings`` not yet resolved
    are resolved for ``device`` as a job alone on its GPU (``TrainSettings.resolve``; the train
    rule resolves them with ``gpu.jobs_per_gpu``).
    """
    missing = [k for k in DATA_KEYS if k not in data]
    if missing:
        raise ValueError(f"data is missing keys {missing}")
    device = torch.device(device) if device is not None else default_device()
    settings = (settings or TrainSettings()).resolve(device)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = run_dir / CHECKPOINT
    total = recipe.total_epochs

    initial = [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in (model, objective)]
    loop = build_loop(model, objective, recipe, data, device, settings)
    origin = _provenance(model, objective, data, recipe, seed, settings, provenance)
    generator = torch.Generator()
    rows: list[dict[str, float]] = []
    start_epoch = 0
    state = load_checkpoint(checkpoint_path, origin, log)
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            objective.load_state_dict(state["objective"])
            loop.optimizer.load_state_dict(state["optimizer"])
            _set_rng_states(generator, state["rng"], device)
            rows, start_epoch = list(state["metrics"]), int(state["epoch"])
            log(f"resuming from {checkpoint_path} after epoch {start_epoch}/{total}")
        except Exception as err:  # noqa: BLE001 — an inconsistent checkpoint is as good as none
            for module, values in zip((model, objective), initial):
                module.load_state_dict(values)
            loop = build_loop(model, objective, recipe, data, device, settings)  # fresh optimizer state
            log(
                f"checkpoint {checkpoint_path} does not fit this run ({type(err).__name__}); "
                "training restarts from scratch"
            )
            state = None
    if state is None:  # a fresh start, also after a checkpoint that failed half-way through restoring
        generator.manual_seed(seed)
        torch.manual_seed(seed)
    optimizer_impl = "fused" if device.type == "cuda" else "foreach"
    log(
        f"settings: device {device}, precision {settings.precision}, channels_last {settings.channels_last}, "
        f"compile {settings.compile}, eval_every {settings.eval_every}, cudnn_benchmark {settings.cudnn_benchmark}; "
        f"{optimizer_impl} {recipe.optimizer}"
    )

    train_x, train_y = data["train_x"].to(device), data["train_y"].to(device)
    test_x, test_y = data["test_x"].to(device), data["test_y"].to(device)
    n = len(train_y)
    if settings.compile and start_epoch < total:
        loop.compile(
            tuple(train_x.shape[1:]), batch_sizes(n, recipe.batch_size), batch_sizes(len(test_y), EVAL_BATCH), log
        )
    for epoch in range(start_epoch, total):
        started = time.perf_counter()
        lr = learning_rate(recipe, epoch)
        for group in loop.optimizer.param_groups:
            group["lr"] = lr
        sums = loop.epoch(train_x, train_y, generator)
        loss = sums.loss_sum.item() / n
        bad = loop.nonfinite()
        if bad or not math.isfinite(loss):
            raise TrainingDiverged(
                f"run {run_dir}: training diverged in epoch {epoch + 1}/{total} (lr {lr:g}): mean loss {loss}; "
                f"{len(bad)} non-finite parameters or buffers{': ' + '; '.join(bad[:3]) if bad else ''}"
                f"{'; …' if len(bad) > 3 else ''}. Nothing of this epoch was saved and no model.pt is written: "
                "lower the recipe's lr (or fix the objective) and rerun"
            )
        done = epoch + 1
        evaluate = done == 1 or done % int(settings.eval_every) == 0 or done == total
        test_acc = loop.accuracy(test_x, test_y) if evaluate else rows[-1]["test_acc"]
        row = {
            "epoch": done,
            "loss": loss,
            "train_acc": sums.correct.item() / n,
            "test_acc": test_acc,
            "test_epoch": done if evaluate else rows[-1]["test_epoch"],
            "lr": lr,
            "seconds": time.perf_counter() - started,
        }
        rows.append(row)
        save_checkpoint(
            checkpoint_path,
            {
                "epoch": done,
                "provenance": origin,
                "model": model.state_dict(),
                "objective": objective.state_dict(),
                "optimizer": loop.optimizer.state_dict(),
                "rng": _rng_states(generator, device),
                "metrics": rows,
            },
        )
        _write_metrics(run_dir / METRICS, rows)
        tested = f"test_acc {test_acc:.4f}" if evaluate else f"(test_acc {test_acc:.4f} of epoch {row['test_epoch']})"
        # ETA: this session's mean epoch time × epochs left (a resumed run's first epochs are not timed here)
        session = [r["seconds"] for r in rows[start_epoch:]]
        eta = sum(session) / len(session) * (total - done)
        log(
            f"epoch {done}/{total} loss {loss:.4f} train_acc {row['train_acc']:.4f} {tested} lr {lr:.3g} "
            f"{row['seconds']:.1f}s {n / row['seconds']:.0f} img/s ETA {eta / 60:.1f} min"
        )
    execution = {"device": str(device), **settings.to_dict(), "compiled": loop.compiled, "optimizer": optimizer_impl}
    return TrainResult(rows, execution)
