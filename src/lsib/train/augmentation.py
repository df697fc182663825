"""Batched training augmentations of SPEC §6, vectorised on the batch's own device.

Images are ``(B, C, H, W)`` tensors in pixel space before normalisation (so zero padding
is a black border, as in torchvision's ``RandomCrop(padding=4)``). Random numbers come
from an explicit CPU :class:`torch.Generator` and are moved to the batch's device, so a
seed gives the same augmentation on any device.

- crop (+ flip): zero-pad by ``p``, take the ``H×W`` window at offset ``(oy, ox)`` drawn
  uniformly from ``{0..2p}²``, mirror it horizontally with probability ½.
- resized crop (+ flip): torchvision's ``RandomResizedCrop(scale, ratio=(3/4, 4/3))`` —
  area fraction ``s ~ U(scale)``, log aspect ratio ``~ U(log ratio)``, size
  ``w = round(√(sHW·a))``, ``h = round(√(sHW/a))``, first of 10 draws that fits (else the
  whole image), integer offsets uniform — resampled bilinearly back to ``H×W`` with an
  affine grid; mirrored with probability ½.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lsib.names import AUGMENTATIONS


def crop_flip(
    x: torch.Tensor, offset_y: torch.Tensor, offset_x: torch.Tensor, flip: torch.Tensor, padding: int
) -> torch.Tensor:
    """Deterministic core of :func:`random_crop_flip`.

    ``out[b, c, i, j] = pad(x)[b, c, oy_b + i, ox_b + j']`` with ``j' = W−1−j`` where
    ``flip_b`` else ``j``; ``pad`` adds ``padding`` zeros on every side. Offsets are
    ``(B,)`` integer tensors in ``[0, 2·padding]``; ``flip`` is a ``(B,)`` bool tensor.
    """
    b, c, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    device = x.device
    rows = offset_y.to(device)[:, None] + torch.arange(h, device=device)  # (B, H)
    cols = torch.arange(w, device=device).expand(b, w)
    cols = torch.where(flip.to(device)[:, None], cols.flip(1), cols) + offset_x.to(device)[:, None]  # (B, W)
    batch_index = torch.arange(b, device=device)[:, None, None, None]
    channel_index = torch.arange(c, device=device)[None, :, None, None]
    return padded[batch_index, channel_index, rows[:, None, :, None], cols[:, None, None, :]]


def crop_flip_params(b: int, padding: int, flip: bool, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Draw ``offset_y``, ``offset_x`` ``~ U{0..2·padding}`` and ``flip`` ``~ Bernoulli(½)`` for ``b`` images."""
    offsets = torch.randint(0, 2 * padding + 1, (2, b), generator=generator)
    mirror = torch.rand(b, generator=generator) < 0.5 if flip else torch.zeros(b, dtype=torch.bool)
    return {"offset_y": offsets[0], "offset_x": offsets[1], "flip": mirror}


def random_crop_flip(x: torch.Tensor, padding: int, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """Random crop with zero padding ``padding`` and, if ``flip``, a random horizontal mirror."""
    params = crop_flip_params(x.shape[0], padding, flip, generator)
    return crop_flip(x, params["offset_y"], params["offset_x"], params["flip"], padding)


def resized_crop_theta(
    b: int,
    h: int,
    w: int,
    generator: torch.Generator,
    scale: tuple[float, float] = (0.8, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    attempts: int = 10,
) -> torch.Tensor:
    """Draw ``b`` crop boxes (+ mirrors) of ``RandomResizedCrop(scale, ratio)`` as float64 ``(b, 2, 3)`` affine maps.

    Crop box ``[j, j+w) × [i, i+h)`` in pixels maps to normalised coordinates through
    ``x_in = (w/W)·(±x_out) + (2j + w)/W − 1`` (likewise for y).
    """
    area = h * w
    fraction = torch.empty(b, attempts, dtype=torch.float64).uniform_(scale[0], scale[1], generator=generator)
    log_aspect = torch.empty(b, attempts, dtype=torch.float64).uniform_(
        math.log(ratio[0]), math.log(ratio[1]), generator=generator
    )
    aspect = log_aspect.exp()
    crop_w = torch.round(torch.sqrt(area * fraction * aspect))
    crop_h = torch.round(torch.sqrt(area * fraction / aspect))
    fits = (crop_w > 0) & (crop_w <= w) & (crop_h > 0) & (crop_h <= h)
    first = fits.to(torch.int64).argmax(dim=1, keepdim=True)
    any_fit = fits.any(dim=1)
    crop_w = torch.where(any_fit, crop_w.gather(1, first).squeeze(1), torch.full((b,), float(w), dtype=torch.float64))
    crop_h = torch.where(any_fit, crop_h.gather(1, first).squeeze(1), torch.full((b,), float(h), dtype=torch.float64))
    top = torch.floor(torch.rand(b, generator=generator, dtype=torch.float64) * (h - crop_h + 1))
    left = torch.floor(torch.rand(b, generator=generator, dtype=torch.float64) * (w - crop_w + 1))
    sign = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0).to(torch.float64)

    theta = torch.zeros(b, 2, 3, dtype=torch.float64)
    theta[:, 0, 0] = sign * crop_w / w
    theta[:, 0, 2] = (2 * left + crop_w) / w - 1
    theta[:, 1, 1] = crop_h / h
    theta[:, 1, 2] = (2 * top + crop_h) / h - 1
    return theta


def resized_crop(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample ``x`` bilinearly (border padding, ``align_corners=False``) through the affine maps ``theta``."""
    xf = x.float()
    grid = F.affine_grid(theta.to(xf), list(xf.shape), align_corners=False)
    return F.grid_sample(xf, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_resized_crop_flip(
    x: torch.Tensor,
    generator: torch.Generator,
    scale: tuple[float, float] = (0.8, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    attempts: int = 10,
) -> torch.Tensor:
    """Batched ``RandomResizedCrop(size, scale, ratio)`` + ``RandomHorizontalFlip`` (float output).

    The boxes of :func:`resized_crop_theta`, applied by :func:`resized_crop`; the output
    keeps the input's ``H × W``.
    """
    b, _, h, w = x.shape
    return resized_crop(x, resized_crop_theta(b, h, w, generator, scale, ratio, attempts))


def draw_batches(
    kind: str,
    batch_sizes: list[int],
    height: int,
    width: int,
    generator: torch.Generator,
    padding: int = 4,
    scale: tuple[float, float] = (0.8, 1.0),
) -> dict[str, torch.Tensor]:
    """Parameters of ``kind`` for consecutive batches, concatenated along the batch.

    The generator is consumed batch by batch, exactly as per-batch calls of :func:`augment`
    would, so ``apply_drawn`` on a slice reproduces :func:`augment` bit for bit while all
    random numbers of an epoch travel to the device at once (no transfer per step).
    """
    if kind not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {kind!r}; choose one of {AUGMENTATIONS}")
    if kind == "none":
        return {}
    if kind == "resized_crop_flip":
        return {"theta": torch.cat([resized_crop_theta(b, height, width, generator, scale) for b in batch_sizes])}
    drawn = [crop_flip_params(b, padding, kind == "crop_flip", generator) for b in batch_sizes]
    return {key: torch.cat([d[key] for d in drawn]) for key in drawn[0]}


def apply_drawn(x: torch.Tensor, kind: str, params: dict[str, torch.Tensor], padding: int = 4) -> torch.Tensor:
    """Apply the parameters drawn by :func:`draw_batches` (sliced to this batch) to ``x``."""
    if kind == "none":
        return x
    if kind == "resized_crop_flip":
        return resized_crop(x, params["theta"])
    return crop_flip(x, params["offset_y"], params["offset_x"], params["flip"], padding)


def augment(
    x: torch.Tensor, kind: str, generator: torch.Generator, padding: int = 4, scale: tuple[float, float] = (0.8, 1.0)
) -> torch.Tensor:
    """Apply augmentation ``kind`` (one of :data:`AUGMENTATIONS`) to a batch."""
    if kind == "crop_flip":
        return random_crop_flip(x, padding, flip=True, generator=generator)
    if kind == "crop":
        return random_crop_flip(x, padding, flip=False, generator=generator)
    if kind == "resized_crop_flip":
        return random_resized_crop_flip(x, generator, scale=scale)
    if kind == "none":
        return x
    raise ValueError(f"unknown augmentation {kind!r}; choose one of {AUGMENTATIONS}")
