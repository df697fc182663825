"""Device-side augmentations (SPEC §6): hand-computed crops, flips, seeded draws."""

from __future__ import annotations

import torch

from lsib.train.augmentation import augment, crop_flip, random_crop_flip, random_resized_crop_flip


def test_crop_equals_hand_computed_shift_with_zero_padding() -> None:
    x = torch.arange(1, 17, dtype=torch.float32).view(1, 1, 4, 4)
    # padding 2, offsets (oy, ox) = (1, 3): out[i, j] = x[i − 1, j + 1], zero outside.
    out = crop_flip(x, torch.tensor([1]), torch.tensor([3]), torch.tensor([False]), padding=2)
    expected = torch.tensor([[0, 0, 0, 0], [2, 3, 4, 0], [6, 7, 8, 0], [10, 11, 12, 0]], dtype=torch.float32)
    assert torch.equal(out[0, 0], expected)
    flipped = crop_flip(x, torch.tensor([1]), torch.tensor([3]), torch.tensor([True]), padding=2)
    assert torch.equal(flipped[0, 0], expected.flip(-1))


def test_centred_crop_is_identity_and_flip_mirrors() -> None:
    x = torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8)
    centre = torch.full((3,), 4)
    assert torch.equal(crop_flip(x, centre, centre, torch.zeros(3, dtype=torch.bool), 4), x)
    assert torch.equal(crop_flip(x, centre, centre, torch.ones(3, dtype=torch.bool), 4), x.flip(-1))


def test_random_crop_flip_uses_the_generator() -> None:
    x = torch.rand(16, 3, 8, 8)
    a = random_crop_flip(x, 4, True, torch.Generator().manual_seed(1))
    b = random_crop_flip(x, 4, True, torch.Generator().manual_seed(1))
    c = random_crop_flip(x, 4, True, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # padding 0: every output is the image or its mirror, and both occur; "crop" never mirrors.
    g = torch.Generator().manual_seed(0)
    out = augment(x, "crop_flip", g, padding=0)
    is_flip = [torch.equal(o, i.flip(-1)) for o, i in zip(out, x)]
    is_same = [torch.equal(o, i) for o, i in zip(out, x)]
    assert all(f or s for f, s in zip(is_flip, is_same)) and any(is_flip) and any(is_same)
    assert torch.equal(augment(x, "crop", g, padding=0), x)


def test_random_resized_crop_full_scale_is_identity_or_mirror() -> None:
    x = torch.rand(32, 3, 10, 10)
    out = random_resized_crop_flip(x, torch.Generator().manual_seed(0), scale=(1.0, 1.0), ratio=(1.0, 1.0))
    is_flip = [torch.allclose(o, i.flip(-1), atol=1e-6) for o, i in zip(out, x)]
    is_same = [torch.allclose(o, i, atol=1e-6) for o, i in zip(out, x)]
    assert all(f or s for f, s in zip(is_flip, is_same)) and any(is_flip) and any(is_same)


def test_random_resized_crop_zooms_in_and_is_seeded() -> None:
    # A ramp along x: a crop of width w ≤ W resamples a sub-range, so the spread shrinks.
    x = torch.linspace(0, 1, 20).expand(8, 1, 20, 20).contiguous()
    a = random_resized_crop_flip(x, torch.Generator().manual_seed(5), scale=(0.3, 0.5))
    b = random_resized_crop_flip(x, torch.Generator().manual_seed(5), scale=(0.3, 0.5))
    assert torch.equal(a, b) and a.shape == x.shape
    spread = a.amax(dim=(1, 2, 3)) - a.amin(dim=(1, 2, 3))
    assert torch.all(spread < 0.9) and torch.all(spread > 0.3)
    assert a.min() >= 0 and a.max() <= 1
