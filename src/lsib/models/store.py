"""Saving and loading trained runs: the final weights plus what is needed to rebuild the model."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from lsib.atomic import save_torch
from lsib.checks import rebuild_hint, require_finite_weights
from lsib.models.build import build_model


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


def load_trained(path: str | os.PathLike[str], device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model saved by :func:`save_trained`, in eval mode on ``device``; also return its meta.

    Any failure to read or rebuild it (truncated file, wrong format, mismatched weights) raises
    :class:`UnreadableModel` naming ``path`` and :func:`lsib.checks.rebuild_hint`; weights that are not
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
            f"{path} cannot be loaded ({type(err).__name__}: {detail}); {rebuild_hint(path)}"
        ) from err
    require_finite_weights(model.state_dict(), path)
    return model.to(device).eval(), meta
