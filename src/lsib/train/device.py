"""Where a job computes and how its randomness starts: device choice, GPU slots, seeding."""

from __future__ import annotations

import os
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
    """``auto`` → CUDA when available, else CPU; ``cuda`` fails at once without a GPU.

    ``cuda`` is what the GPU profiles ask for: a job sent to a GPU that sees none (a CPU build
    of torch, a node without a driver) stops with the config key and what torch sees, rather
    than training for hours on the CPU.

    With several GPUs visible, ``auto``/``cuda`` become ``cuda:g`` for the GPU of a slot
    claimed with :func:`lsib.train.gpu_slots.claim_gpu` (k jobs per GPU, none left idle while another
    has two), which is also made the current CUDA device; with one, plain ``cuda``.
    """
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"config 'device: cuda' but no CUDA device is visible to this job: torch {torch.__version__}, "
            f"CUDA build {torch.version.cuda}, {torch.cuda.device_count()} CUDA devices, "
            f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '(unset)')}; "
            "use 'device: auto' (or cpu) to train on the CPU"
        )
    if choice == "cuda" and torch.cuda.device_count() > 1:
        index = claim_gpu(torch.cuda.device_count())
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return torch.device(choice)
