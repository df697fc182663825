"""Cluttered MNIST variant: original digit in its box, clutter from the same digit, determinism."""

import pytest
import torch

from lsib.data.cluttered import build_cluttered


def digits(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8)
    x[:, :, :4] = 0  # a blank margin, as in MNIST
    return x, torch.randint(0, 10, (n,), generator=g)


def test_box_holds_original_digit():
    x, y = digits(300)
    out = build_cluttered(x, y, seed=1)
    assert out["x"].shape == (300, 1, 64, 64) and out["x"].dtype == torch.uint8
    assert torch.equal(out["y"], y)
    for i in range(len(x)):
        t, l, h, w = out["box"][i].tolist()
        assert (h, w) == (28, 28) and 0 <= t <= 36 and 0 <= l <= 36
        assert (out["x"][i, :, t : t + h, l : l + w] >= x[i]).all()
        assert out["x"][i].max() == x[i].max()


def test_clutter_comes_from_the_same_digit():
    """Each digit uses its own two grey values only, so any foreign pixel would show."""
    n = 50
    x = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    for i in range(n):
        x[i, 0, 3:25, 8:20] = 2 * i + 1
        x[i, 0, 10:12, 4:24] = 2 * i + 2
    out = build_cluttered(x, torch.zeros(n, dtype=torch.int64), seed=2)
    for i in range(n):
        assert set(out["x"][i].unique().tolist()) <= {0, 2 * i + 1, 2 * i + 2}


@pytest.mark.parametrize("n_crops", [0, 1, 12])
def test_pixel_count_of_a_full_digit(n_crops):
    """With an all-255 digit the lit pixels are the union of the box and the n_crops patches."""
    x = torch.full((200, 1, 28, 28), 255, dtype=torch.uint8)
    out = build_cluttered(x, torch.zeros(200, dtype=torch.int64), seed=3, n_crops=n_crops, crop_size=14)
    lit = (out["x"] > 0).flatten(1).sum(1)
    assert (lit >= 28 * 28).all() and (lit <= 28 * 28 + n_crops * 14 * 14).all()
    if n_crops == 0:
        assert (lit == 28 * 28).all()
    else:  # patches land outside the box often enough to be seen
        assert lit.float().mean() > 28 * 28 + 0.3 * n_crops * 14 * 14


def test_crop_size_and_canvas_arguments():
    x, y = digits(20)
    out = build_cluttered(x, y, seed=0, canvas=60, n_crops=4, crop_size=8)
    assert out["x"].shape == (20, 1, 60, 60)
    assert (out["box"][:, :2] <= 32).all()
    with pytest.raises(ValueError):
        build_cluttered(x, y, seed=0, canvas=20)


def test_determinism():
    x, y = digits(64)
    a, b, c = (build_cluttered(x, y, seed=s) for s in (7, 7, 8))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["x"], c["x"])
