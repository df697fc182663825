"""Where a job computes and how its randomness starts: device choice, GPU slots, seeding."""

from __future__ import annotations

import random

import numpy as np
import torch

from lsib.train.gpu_slots import claim_gpu


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (call before building a model)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(choice: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` fails clearly without a GPU.

    With several GPUs visible, ``auto``/``cuda`` become ``cuda:g`` for the GPU of a slot
    claimed with :func:`lsib.train.gpu_slots.claim_gpu` (k jobs per GPU, none left idle while another
    has two), which is also made the current CUDA device; with one, plain ``cuda``.
    """
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config 'device: cuda' but no CUDA device is visible to this job")
    if choice == "cuda" and torch.cuda.device_count() > 1:
        index = claim_gpu(torch.cuda.device_count())
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return torch.device(choice)
