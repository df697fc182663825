"""Running a model on stored images, shared by training and inference.

Data sets store ``uint8`` images; every forward pass scales a batch to ``[0, 1]`` and
normalises it per channel, ``(x/255 − mean)/std`` (:func:`normalize`), in the memory format
and autocast precision asked for. Training's test accuracy and the exact dumps both go
through :func:`batched_outputs`, so the two can never preprocess differently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

EVAL_BATCH = 1024


def normalize(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(x − mean)/std`` per channel for ``x`` in ``[0, 1]``; ``mean``/``std`` are ``(C,)``."""
    return (images - mean[:, None, None]) / std[:, None, None]


def channel_tensors(data: Mapping[str, Any], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    mean = torch.as_tensor(data["mean"], dtype=torch.float32, device=device)
    std = torch.as_tensor(data["std"], dtype=torch.float32, device=device)
    return mean, std


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def autocast(device: torch.device, bf16: bool) -> torch.autocast:
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)


def memory_format(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


@torch.no_grad()
def batched_outputs(
    fn: Callable[[torch.Tensor], torch.Tensor],
    images: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    batch_size: int,
    device: torch.device,
    bf16: bool,
    channels_last: bool,
) -> torch.Tensor:
    """``fn(normalize(images/255))`` over batches, concatenated on ``device`` (caller sets eval mode)."""
    outputs = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device, non_blocking=True).float().div_(255)
        x = memory_format(normalize(x, mean, std), channels_last)
        with autocast(device, bf16):
            outputs.append(fn(x).float())
    return torch.cat(outputs)
