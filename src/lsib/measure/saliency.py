"""Grad-CAM saliency (experiment E4) and the share of saliency on the original digit.

Grad-CAM (Selvaraju et al. 2017), through the ``grad-cam`` package: for target class c and
target-layer activations ``A_k`` (channel k, ``h × w``),

    w_k = (1/hw) Σ_ij ∂f_c/∂A_k[i, j],     L_c = ReLU(Σ_k w_k A_k),

upsampled bilinearly to the input's ``H × W``. The package min–max normalises every map to
[0, 1] (before and after upsampling); since ``L_c`` is a ReLU output its minimum is usually 0,
so this only rescales, which leaves :func:`box_mass` unchanged; a map that is positive
everywhere is shifted by its minimum, though, and keeps only the mass above it.

Because the pipeline placed each original digit itself, it knows its box and can report

    box_mass = Σ_{(i,j) ∈ box} L[i, j] / Σ_{i,j} L[i, j]

instead of only showing pictures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from lsib.checks import require_finite


@dataclass(frozen=True)
class GradCamResult:
    """Grad-CAM maps ``(N, H, W)`` float32 in [0, 1] and the model's predicted classes ``(N,)`` int64."""

    maps: np.ndarray
    predicted: np.ndarray


def gradcam_maps(
    model: nn.Module,
    images: torch.Tensor,
    target_layer: nn.Module,
    *,
    targets: list[int] | None = None,
    batch_size: int = 64,
) -> GradCamResult:
    """Grad-CAM maps of ``images`` (float ``(N, C, H, W)``, already preprocessed).

    The map of image n explains ``targets[n]``, or the predicted class (argmax of the logits)
    when ``targets`` is None. ``target_layer`` is the module whose output gives ``A_k`` (for a
    CIFAR ResNet: its last residual stage). Images are moved to the model's device; the
    model is put in eval mode (the package does so) and left there. pytorch_grad_cam is imported
    here (~2 s with OpenCV), not by every job that imports :mod:`lsib.measure`.
    """
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    cam = GradCAM(model=model, target_layers=[target_layer])
    maps, predicted = [], []
    try:  # not ``with cam``: the package's __exit__ swallows IndexError (e.g. a bad target)
        with torch.enable_grad():
            for s in range(0, len(images), batch_size):
                chunk = (
                    None if targets is None else [ClassifierOutputTarget(int(t)) for t in targets[s : s + batch_size]]
                )
                maps.append(cam(input_tensor=images[s : s + batch_size], targets=chunk))
                predicted.append(cam.outputs.argmax(dim=1).cpu().numpy())
    finally:
        cam.activations_and_grads.release()  # remove the forward hooks from target_layer
    return GradCamResult(
        maps=np.concatenate(maps).astype(np.float32), predicted=np.concatenate(predicted).astype(np.int64)
    )


def box_mass(maps: np.ndarray, boxes: np.ndarray | torch.Tensor) -> np.ndarray:
    """Share of each map's total mass inside its box, ``Σ_box L / Σ L`` (float64, ``(N,)``).

    ``maps``: non-negative ``(N, H, W)``; ``boxes``: ``(N, 4)`` integer top, left, height,
    width. A map with zero total mass has no share to speak of: its entry is NaN.

    Raises:
        lsib.checks.InputError: a map holds NaN or ±inf.
    """
    require_finite(maps, "Grad-CAM maps")
    maps = np.asarray(maps, dtype=np.float64)
    top, left, height, width = np.asarray(boxes, dtype=np.int64).T
    rows = np.arange(maps.shape[1])[None, :]
    cols = np.arange(maps.shape[2])[None, :]
    in_rows = (rows >= top[:, None]) & (rows < (top + height)[:, None])  # (N, H)
    in_cols = (cols >= left[:, None]) & (cols < (left + width)[:, None])  # (N, W)
    inside = np.einsum("nhw,nh,nw->n", maps, in_rows.astype(np.float64), in_cols.astype(np.float64))
    total = maps.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / total, np.nan)


def choose_images(num_images: int, count: int | None, seed: int, offset: int = 0) -> np.ndarray:
    """``count`` distinct random indices into ``num_images`` images (all of them when None), seeded.

    ``offset`` draws an independent selection from the same seed (Fig. 7 and Fig. 8 each
    get their own random images, as in the paper).
    """
    count = num_images if count is None else min(count, num_images)
    return np.random.default_rng([seed, offset]).choice(num_images, size=count, replace=False)


def model_label(objective: str, coef: float) -> str:
    """Legend name of an E4 model: ``CE`` or ``LS ε=<coef>``."""
    return "CE" if objective == "ce" else f"LS ε={coef:g}"


def box_mass_summary(mass: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and count of the box mass over all maps (images × seeds), per model and class.

    ``mass`` columns: model, class, mass (NaN maps are left out). Each model also gets a row
    with ``class = "all"``. With a ``box_area_share`` column, each row also carries its mean
    over the group's maps (the mass a uniform map would put in the box).
    """
    stats = {"mass": ["mean", "std", "count"]} | ({"box_area_share": ["mean"]} if "box_area_share" in mass else {})

    def aggregate(by: list[str]) -> pd.DataFrame:
        table = mass.groupby(by).agg(stats)
        table.columns = [stat if column == "mass" else column for column, stat in table.columns]
        return table.reset_index()

    per_class = aggregate(["model", "class"])
    overall = aggregate(["model"]).assign(**{"class": "all"})
    per_class["class"] = per_class["class"].astype(str)
    return pd.concat([per_class, overall[per_class.columns]], ignore_index=True)
