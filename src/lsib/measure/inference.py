"""A trained model's outputs on a data set: p(z|x) for the exact dumps, penultimate features.

:func:`open_for_inference` is the common start of every job that runs a trained model (dumps,
features, Grad-CAM); :func:`predict_proba` and :func:`penultimate_features` run the model in
eval mode, exact float32 (:func:`exact_float32`: no TF32), contiguous, with test-time
preprocessing (:mod:`lsib.models.forward`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from lsib.data import datasets
from lsib.models.forward import (
    EVAL_BATCH,
    batched_outputs,
    channel_tensors,
    model_device,
)
from lsib.models.store import load_trained
from lsib.train.device import resolve_device


@contextmanager
def exact_float32() -> Iterator[None]:
    """Float32 matmuls and convolutions without TF32 and without cuDNN autotuning inside, the caller's
    flags restored after.

    TF32 (allowed for cuDNN by default, and by training) keeps 10 mantissa bits, so logits would
    carry ~1e-3 relative error and a CUDA dump's Î(X;Z) would differ from the CPU's; the float64
    softmax cannot recover it. ``cudnn.benchmark`` (on in a training job alone on its GPU) picks
    convolution algorithms by their timings, so two dumps of one model could round differently.
    Without CUDA the flags change nothing.
    """
    precision, cudnn_tf32 = torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32
    benchmark = torch.backends.cudnn.benchmark
    torch.set_float32_matmul_precision("highest")  # also turns torch.backends.cuda.matmul.allow_tf32 off
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(precision)
        torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = cudnn_tf32, benchmark


@contextmanager
def evaluating(model: nn.Module, device: torch.device | str | None) -> Iterator[torch.device]:
    """Run ``model`` as every measurement does: on ``device`` (default: where it is), contiguous,
    eval mode, exact float32 (:func:`exact_float32`); yields the device, restores the training flag.

    Inputs and model are both contiguous (a model trained channels-last is converted back), so no
    convolution converts layouts and CPU and CUDA run the same layout.
    """
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device, memory_format=torch.contiguous_format)
    was_training = model.training
    model.eval()
    try:
        with exact_float32():
            yield device
    finally:
        model.train(was_training)


def _inference(
    model: nn.Module,
    method: str,
    images: torch.Tensor,
    mean: Any,
    std: Any,
    batch_size: int,
    device: torch.device | str | None,
) -> torch.Tensor:
    """Run ``model.<method>`` under :func:`evaluating`, with test-time preprocessing."""
    with evaluating(model, device) as device:
        mean_t, std_t = channel_tensors({"mean": mean, "std": std}, device)
        return batched_outputs(getattr(model, method), images, mean_t, std_t, batch_size, device, False, False)


def predict_proba(
    model: nn.Module,
    images: torch.Tensor,
    mean: Any,
    std: Any,
    batch_size: int = EVAL_BATCH,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``p(z|x) = softmax(f_θ(x))`` as a float64 ``(N, K)`` CPU tensor.

    Eval mode, no augmentation; logits are computed in float32 (no autocast) and the
    softmax in float64, so tiny probabilities keep their precision for SPEC §2.
    The model is moved to ``device`` (default: where it already is).
    """
    logits = _inference(model, "forward", images, mean, std, batch_size, device)
    return torch.softmax(logits.double(), dim=-1).cpu()


def penultimate_features(
    model: nn.Module,
    images: torch.Tensor,
    mean: Any,
    std: Any,
    batch_size: int = EVAL_BATCH,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Penultimate activations ``model.features(x)`` (input of ``head``) as float32 ``(N, D)`` on CPU."""
    return _inference(model, "features", images, mean, std, batch_size, device).cpu()


def open_for_inference(
    model_path: str | os.PathLike[str], data_path: str | os.PathLike[str], device: str, threads: int
) -> tuple[nn.Module, dict[str, Any], dict[str, Any], torch.device]:
    """The common start of every job that runs a trained model (dumps, features, Grad-CAM).

    Sets torch's thread count, resolves ``device`` (:func:`resolve_device`), loads the data set
    (:func:`lsib.data.datasets.load`) and the model (:func:`load_trained`: readable, finite weights),
    and returns ``(model, meta, data, device)``.
    """
    torch.set_num_threads(threads)
    resolved = resolve_device(device)
    data = datasets.load(data_path)
    model, meta = load_trained(model_path, resolved)
    return model, meta, data, resolved
