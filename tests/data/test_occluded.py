"""Occluded CIFAR builder: composition formula, box bookkeeping, independence, determinism."""

import numpy as np
import pytest
import torch
from scipy.stats import chi2_contingency

from lsib.data.occluded import build_occluded, pad_to


def synthetic(n: int, m: int = 300, seed: int = 0, channels: int = 3, size: int = 32):
    g = torch.Generator().manual_seed(seed)
    base_x = torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    base_y = torch.randint(0, 10, (n,), generator=g)
    digits_x = torch.randint(0, 256, (m, 1, 28, 28), generator=g, dtype=torch.uint8)
    digits_x[:, :, :, :5] = 0  # realistic dark margins as well as bright strokes
    digits_y = torch.randint(0, 10, (m,), generator=g)
    return base_x, base_y, digits_x, digits_y


def reference_composite(base: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """out = round((1 − α)·b + α·255), α = d/255, in float64."""
    alpha = digit.astype(np.float64) / 255.0
    return np.rint((1 - alpha) * base.astype(np.float64) + alpha * 255.0).astype(np.uint8)


@pytest.mark.parametrize("digit_size", [None, 14])
def test_box_holds_composite_and_rest_is_base(digit_size):
    base_x, base_y, digits_x, digits_y = synthetic(200)
    out = build_occluded(base_x, base_y, digits_x, digits_y, seed=3, digit_size=digit_size)
    assert out["x"].shape == base_x.shape and out["x"].dtype == torch.uint8
    assert torch.equal(out["y"], base_y)
    assert torch.equal(out["nuisance_y"], digits_y[out["nuisance_index"]])
    side = 28 if digit_size is None else digit_size
    for i in range(len(base_x)):
        t, l, h, w = out["box"][i].tolist()
        assert (h, w) == (side, side) and 0 <= t <= 32 - h and 0 <= l <= 32 - w
        digit = digits_x[out["nuisance_index"][i], 0].numpy().astype(np.float64)
        if digit_size is not None:  # area interpolation by 2 = mean of 2×2 blocks
            digit = np.rint(digit.reshape(14, 2, 14, 2).mean(axis=(1, 3)))
        expected = reference_composite(base_x[i, :, t : t + h, l : l + w].numpy(), digit)
        np.testing.assert_array_equal(out["x"][i, :, t : t + h, l : l + w].numpy(), expected)
        outside = torch.ones(32, 32, dtype=torch.bool)
        outside[t : t + h, l : l + w] = False
        assert torch.equal(out["x"][i][:, outside], base_x[i][:, outside])


def test_grayscale_base_and_positions_cover_range():
    base_x, base_y, digits_x, digits_y = synthetic(2000, channels=1)
    out = build_occluded(base_x, base_y, digits_x, digits_y, seed=0)
    assert out["x"].shape == base_x.shape
    assert set(out["box"][:, 0].tolist()) == set(range(5)) == set(out["box"][:, 1].tolist())


def test_nuisance_label_independent_of_base_label():
    base_x, base_y, digits_x, digits_y = synthetic(5000, size=28)
    out = build_occluded(base_x, base_y, digits_x, digits_y, seed=11)
    table = np.zeros((10, 10))
    np.add.at(table, (out["y"].numpy(), out["nuisance_y"].numpy()), 1)
    assert chi2_contingency(table).pvalue > 1e-3


def test_determinism():
    base_x, base_y, digits_x, digits_y = synthetic(100)
    a = build_occluded(base_x, base_y, digits_x, digits_y, seed=5)
    b = build_occluded(base_x, base_y, digits_x, digits_y, seed=5)
    c = build_occluded(base_x, base_y, digits_x, digits_y, seed=6)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["x"], c["x"])


def test_digit_too_large_rejected():
    base_x, base_y, digits_x, digits_y = synthetic(4, size=16)
    with pytest.raises(ValueError):
        build_occluded(base_x, base_y, digits_x, digits_y, seed=0)


def test_pad_to_centres_images_in_zeros():
    images = torch.randint(1, 256, (3, 2, 28, 27), dtype=torch.uint8)
    padded = pad_to(images, 32)
    assert padded.shape == (3, 2, 32, 32)
    assert torch.equal(padded[:, :, 2:30, 2:29], images)  # 4 rows → 2 + 2, 5 columns → 2 + 3
    assert int(padded.sum()) == int(images.sum())
    assert pad_to(images, None) is images and pad_to(images[..., :28], 28).shape == (3, 2, 28, 28)
    with pytest.raises(ValueError):
        pad_to(images, 20)


def test_padded_base_gives_the_papers_geometry():
    """28-px bases padded to 32 px: the 28-px digit moves over all 5 × 5 positions of the 32-px image."""
    base_x, base_y, digits_x, digits_y = synthetic(2000, channels=1, size=28)
    out = build_occluded(base_x, base_y, digits_x, digits_y, seed=2, canvas=32)
    assert out["x"].shape == (2000, 1, 32, 32)
    assert set(out["box"][:, 0].tolist()) == set(range(5)) == set(out["box"][:, 1].tolist())
    unpadded = build_occluded(pad_to(base_x, 32), base_y, digits_x, digits_y, seed=2)
    assert all(torch.equal(out[k], unpadded[k]) for k in out)
    # outside the digit's box the image is the zero-padded base
    i = 0
    t, l, h, w = out["box"][i].tolist()
    outside = torch.ones(32, 32, dtype=torch.bool)
    outside[t : t + h, l : l + w] = False
    assert torch.equal(out["x"][i][:, outside], pad_to(base_x, 32)[i][:, outside])
