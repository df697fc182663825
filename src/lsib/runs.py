"""Saving and loading trained runs: the final weights plus what is needed to rebuild the model."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from lsib import datasets
from lsib.atomic import save_torch
from lsib.checks import require_finite_weights
from lsib.gpu import claim_gpu
from lsib.models import build_model


def architecture(model_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments of :func:`lsib.models.build_model` for a prepared data set."""
    _, channels, height, _ = data["train_x"].shape
    return {"name": model_name, "num_classes": len(data["classes"]), "in_channels": channels, "image_size": height}


def save_trained(path: str | os.PathLike[str], model: nn.Module, arch: dict[str, Any], meta: dict[str, Any]) -> None:
    """Write ``{arch, meta, state_dict}`` atomically (weights moved to the CPU)."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    save_torch({"arch": arch, "meta": meta, "state_dict": state}, path)


class UnreadableModel(RuntimeError):
    """A ``model.pt`` that cannot be loaded; the message names the file and the command that rebuilds it."""


def rebuild_command(path: str | os.PathLike[str]) -> str:
    """The Snakemake command that retrains ``path`` (and everything made from it)."""
    return f"snakemake --cores all --forcerun {path}"


def load_trained(path: str | os.PathLike[str], device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model saved by :func:`save_trained`, in eval mode on ``device``; also return its meta.

    Any failure to read or rebuild it (truncated file, wrong format, mismatched weights) raises
    :class:`UnreadableModel` naming ``path`` and :func:`rebuild_command`; weights that are not
    finite (a diverged run) raise :class:`lsib.checks.InputError` naming ``path``.
    """
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = build_model(**saved["arch"])
        model.load_state_dict(saved["state_dict"])
        meta = saved["meta"]
    except Exception as err:  # noqa: BLE001 — every way of being unreadable gets the same advice
        detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise UnreadableModel(
            f"{path} cannot be loaded ({type(err).__name__}: {detail}); rebuild it with "
            f"`{rebuild_command(path)}` (add your usual --configfile/--profile after it)"
        ) from err
    require_finite_weights(model.state_dict(), path)
    return model.to(device).eval(), meta


def resolve_device(choice: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` fails clearly without a GPU.

    With several GPUs visible, ``auto``/``cuda`` become ``cuda:g`` for the GPU of a slot
    claimed with :func:`lsib.gpu.claim_gpu` (k jobs per GPU, none left idle while another
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


def open_for_inference(model_path: str | os.PathLike[str], data_path: str | os.PathLike[str], device: str,
                       threads: int) -> tuple[nn.Module, dict[str, Any], dict[str, Any], torch.device]:
    """The common start of every job that runs a trained model (dumps, features, Grad-CAM).

    Sets torch's thread count, resolves ``device`` (:func:`resolve_device`), loads the data set
    (:func:`lsib.datasets.load`) and the model (:func:`load_trained`: readable, finite weights),
    and returns ``(model, meta, data, device)``.
    """
    torch.set_num_threads(threads)
    resolved = resolve_device(device)
    data = datasets.load(data_path)
    model, meta = load_trained(model_path, resolved)
    return model, meta, data, resolved
