"""Cluttered MNIST variant (experiment E4): a digit plus clutter cut from the same digit.

Each canvas (uint8, ``canvas × canvas``, zero background) is the pixelwise maximum of

- the original 28 × 28 digit ``d`` pasted at a uniformly random position (the box), and
- ``n_crops`` crops ``d[r:r+s, c:c+s]`` (``s = crop_size``, ``(r, c)`` uniform within the
  digit) pasted at uniformly random positions,

    canvas = max( paste(d, box), max_k paste(crop_k(d), pos_k) ).

Unlike Mnih et al. (2014), whose clutter comes from *other* digits, the clutter is cut from
the same digit, so it is redundant given the original (cluttered ⟂ label | original).

Defaults. The paper keeps 12 crops but its canvas size was lost in extraction. We take
``canvas = 64``: the scale of Mnih et al.'s 60 × 60 cluttered MNIST, rounded up to a power
of two so that ResNet-20's stride-4 last stage yields a 16 × 16 Grad-CAM grid of 4-px cells,
and roomy enough that the clutter (12·14² = 2352 px before overlaps, vs 4096 px of canvas)
leaves much of the original digit uncovered. ``crop_size = 14`` (half the digit's side)
makes each crop a recognisable stroke fragment rather than a near-copy of the digit.
"""

from __future__ import annotations

import torch

from lsib.data.occluded import flat_box_index

CHUNK = 4096  # images composed at a time (bounds the index memory)


def build_cluttered(
    digits_x: torch.Tensor,
    digits_y: torch.Tensor,
    *,
    seed: int,
    canvas: int = 64,
    n_crops: int = 12,
    crop_size: int = 14,
) -> dict[str, torch.Tensor]:
    """Compose one cluttered canvas per digit.

    Args:
        digits_x: uint8 ``(N, 1, h, w)`` digits (MNIST: 28 × 28).
        digits_y: int64 ``(N,)`` labels.
        seed: seed of the ``torch.Generator`` drawing all positions (same seed, same images).
        canvas: side of the square output canvas.
        n_crops: clutter pieces per image.
        crop_size: side of each square clutter piece (≤ min(h, w)).

    Returns:
        dict with ``x`` (uint8 ``(N, 1, canvas, canvas)``), ``y`` (the labels) and ``box``
        (int64 ``(N, 4)``: top, left, h, w of the original digit).
    """
    n, _, h, w = digits_x.shape
    if h > canvas or w > canvas or crop_size > min(h, w):
        raise ValueError(f"digit {h}x{w} / crop {crop_size} does not fit a {canvas}-px canvas")
    gen = torch.Generator().manual_seed(seed)
    top = torch.randint(canvas - h + 1, (n,), generator=gen)
    left = torch.randint(canvas - w + 1, (n,), generator=gen)
    crop_r = torch.randint(h - crop_size + 1, (n * n_crops,), generator=gen)
    crop_c = torch.randint(w - crop_size + 1, (n * n_crops,), generator=gen)
    paste_r = torch.randint(canvas - crop_size + 1, (n * n_crops,), generator=gen)
    paste_c = torch.randint(canvas - crop_size + 1, (n * n_crops,), generator=gen)

    x = torch.zeros(n, canvas * canvas, dtype=torch.uint8)
    flat = digits_x.reshape(n, h * w)
    for s in range(0, n, CHUNK):
        sl, cl = slice(s, s + CHUNK), slice(s * n_crops, (s + CHUNK) * n_crops)
        shape = (len(flat[sl]), n_crops * crop_size**2)  # all crops of one image in a row
        crop_src = flat_box_index(crop_r[cl], crop_c[cl], crop_size, crop_size, w).view(shape)  # in the digit
        crop_dst = flat_box_index(paste_r[cl], paste_c[cl], crop_size, crop_size, canvas).view(shape)
        src = torch.cat([flat[sl], flat[sl].gather(1, crop_src)], dim=1)
        dst = torch.cat([flat_box_index(top[sl], left[sl], h, w, canvas), crop_dst], dim=1)
        x[sl].scatter_reduce_(1, dst, src, reduce="amax", include_self=True)

    box = torch.stack([top, left, torch.full_like(top, h), torch.full_like(top, w)], dim=1)
    return {"x": x.view(n, 1, canvas, canvas), "y": digits_y.clone(), "box": box}
