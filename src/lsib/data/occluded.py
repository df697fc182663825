"""Occluded CIFAR (experiment E3; Achille & Soatto 2018): images occluded by MNIST digits.

Every base image ``b`` (uint8, ``(C, H, W)``; optionally zero-padded first to a larger
``canvas × canvas``, centred, e.g. 28-px Fashion-MNIST to CIFAR's 32 px) gets one digit image
``d`` (uint8, ``(1, h, w)``), drawn uniformly from the digit bank, pasted at a uniformly random
position ``(top, left)`` at which it fits entirely. Digit pixels occlude by intensity, with opacity
``α = d/255`` broadcast over the channels:

    out = (1 − α)·b + α·255  =  b + d·(255 − b)/255     inside the box,
    out = b                                             outside it,

rounded to the nearest integer (computed exactly in integers as
``b + ⌊(d·(255 − b) + 127)/255⌋``; ties cannot occur because 255 is odd). The digit is the
nuisance factor: its label is drawn independently of the base label.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

CHUNK = 8192  # images composed at a time (bounds the int32 working memory)


def flat_box_index(top: torch.Tensor, left: torch.Tensor, height: int, width: int, canvas_width: int) -> torch.Tensor:
    """Flat indices ``(r·canvas_width + c)`` of every pixel of each box, row-major.

    Returns int64 ``(N, height·width)`` for boxes with corners ``top``/``left`` (``(N,)``).
    """
    rows = top[:, None] + torch.arange(height)  # (N, height)
    cols = left[:, None] + torch.arange(width)  # (N, width)
    return (rows[:, :, None] * canvas_width + cols[:, None, :]).reshape(len(top), height * width)


def resize_digits(digits: torch.Tensor, size: int | None) -> torch.Tensor:
    """Resize uint8 digits ``(n, 1, h, w)`` to ``size × size`` by area interpolation (None: as is)."""
    if size is None or digits.shape[-2:] == (size, size):
        return digits
    out = F.interpolate(digits.float(), size=(size, size), mode="area")
    return out.round().clamp(0, 255).to(torch.uint8)


def pad_to(images: torch.Tensor, canvas: int | None) -> torch.Tensor:
    """Zero-pad ``(n, C, H, W)`` images to ``canvas × canvas``, centred (the extra pixel, if odd, at
    the bottom/right); None or the images' own size returns them as they are."""
    height, width = images.shape[-2:]
    if canvas is None or (height, width) == (canvas, canvas):
        return images
    if canvas < height or canvas < width:
        raise ValueError(f"cannot pad {height}x{width} images to a smaller {canvas}-px canvas")
    top, left = (canvas - height) // 2, (canvas - width) // 2
    return F.pad(images, (left, canvas - width - left, top, canvas - height - top))


def occlude(base: torch.Tensor, alpha_canvas: torch.Tensor) -> torch.Tensor:
    """Composite ``out = b + round(a·(255 − b)/255)`` of uint8 base ``(n,C,H,W)`` and digit canvas ``(n,1,H,W)``."""
    b = base.to(torch.int32)
    a = alpha_canvas.to(torch.int32)
    return (b + torch.div(a * (255 - b) + 127, 255, rounding_mode="floor")).to(torch.uint8)


def build_occluded(
    base_x: torch.Tensor,
    base_y: torch.Tensor,
    digits_x: torch.Tensor,
    digits_y: torch.Tensor,
    *,
    seed: int,
    digit_size: int | None = None,
    canvas: int | None = None,
) -> dict[str, torch.Tensor]:
    """Occlude every base image with a random digit at a random position.

    Args:
        base_x: uint8 ``(N, C, H, W)`` base images (CIFAR-10).
        base_y: int64 ``(N,)`` base labels (the task labels).
        digits_x: uint8 ``(M, 1, h, w)`` digit bank (MNIST).
        digits_y: int64 ``(M,)`` digit labels.
        seed: seed of the ``torch.Generator`` that draws digits and positions; the same
            seed gives the same images.
        digit_size: resize the digits to ``digit_size × digit_size`` by area interpolation
            before pasting (None: keep ``h × w``; MNIST's 28 × 28 fits in CIFAR's 32 × 32).
        canvas: zero-pad the base images to ``canvas × canvas`` (centred) before occluding
            (None: keep ``H × W``); 32 gives 28-px Fashion-MNIST the paper's CIFAR geometry.

    Returns:
        dict with ``x`` (uint8, shape of ``base_x``, or ``(N, C, canvas, canvas)``), ``y`` (the base labels),
        ``nuisance_y`` (int64 ``(N,)``, ``digits_y[nuisance_index]``), ``nuisance_index``
        (int64 ``(N,)``, the digit image used) and ``box`` (int64 ``(N, 4)``: top, left,
        height, width of the pasted digit).
    """
    base_x = pad_to(base_x, canvas)
    n, _, height, width = base_x.shape
    dh, dw = (digit_size, digit_size) if digit_size is not None else tuple(digits_x.shape[-2:])
    if dh > height or dw > width:
        raise ValueError(f"digit {dh}x{dw} does not fit in {height}x{width} images")
    gen = torch.Generator().manual_seed(seed)
    index = torch.randint(len(digits_x), (n,), generator=gen)
    top = torch.randint(height - dh + 1, (n,), generator=gen)
    left = torch.randint(width - dw + 1, (n,), generator=gen)

    x = torch.empty_like(base_x)
    for s in range(0, n, CHUNK):
        sl = slice(s, s + CHUNK)
        digits = resize_digits(digits_x[index[sl]], digit_size).reshape(-1, dh * dw)
        canvas = torch.zeros(len(digits), height * width, dtype=torch.uint8)
        canvas.scatter_(1, flat_box_index(top[sl], left[sl], dh, dw, width), digits)
        x[sl] = occlude(base_x[sl], canvas.view(-1, 1, height, width))

    box = torch.stack([top, left, torch.full_like(top, dh), torch.full_like(top, dw)], dim=1)
    return {
        "x": x,
        "y": base_y.clone(),
        "nuisance_y": digits_y[index].to(torch.int64),
        "nuisance_index": index,
        "box": box,
    }
