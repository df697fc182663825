"""Grad-CAM maps follow the region a model looks at; box_mass measures the share in a box."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from lsib.measure.saliency import box_mass, box_mass_summary, gradcam_maps


class QuadrantMask(nn.Module):
    """Zero a feature map outside one quadrant: the model sees only that region."""

    def __init__(self, rows: slice, cols: slice) -> None:
        super().__init__()
        self.rows, self.cols = rows, cols

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros_like(a)
        mask[..., self.rows, self.cols] = 1
        return a * mask


def quadrant_model(rows: slice, cols: slice) -> tuple[nn.Module, nn.Module]:
    """Conv stage (32 px → 8 × 8 cells, masked to one quadrant) + avg-pool + positive linear head."""
    torch.manual_seed(0)
    stage = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4, padding=1), nn.ReLU(), QuadrantMask(rows, cols))
    head = nn.Linear(8, 5)
    with torch.no_grad():
        head.weight.abs_()  # every class score grows with the stage's activations
    return nn.Sequential(stage, nn.AdaptiveAvgPool2d(1), nn.Flatten(), head), stage


@pytest.mark.parametrize(
    ("rows", "cols", "box"),
    [(slice(0, 4), slice(0, 4), (0, 0, 16, 16)), (slice(4, 8), slice(4, 8), (16, 16, 16, 16))],
)
def test_gradcam_mass_lies_in_the_region_the_model_sees(rows, cols, box):
    model, stage = quadrant_model(rows, cols)
    images = torch.randn(10, 3, 32, 32)
    result = gradcam_maps(model, images, stage, batch_size=4)
    assert result.maps.shape == (10, 32, 32) and result.maps.dtype == np.float32
    assert (result.maps >= 0).all()
    with torch.no_grad():
        np.testing.assert_array_equal(result.predicted, model(images).argmax(1).numpy())
    inside = box_mass(result.maps, np.tile(box, (10, 1)))
    assert (inside > 0.8).all()
    top_left = box_mass(result.maps, np.tile((0, 0, 16, 16), (10, 1)))
    assert (top_left > 0.8).all() if box[0] == 0 else (top_left < 0.2).all()


def test_explicit_targets_and_batching():
    model, stage = quadrant_model(slice(0, 4), slice(0, 8))
    images = torch.randn(6, 3, 32, 32)
    default = gradcam_maps(model, images, stage, batch_size=6)
    explicit = gradcam_maps(model, images, stage, targets=default.predicted.tolist(), batch_size=4)
    np.testing.assert_allclose(explicit.maps, default.maps, atol=1e-6)
    other = gradcam_maps(model, images, stage, targets=[(int(p) + 1) % 5 for p in default.predicted])
    np.testing.assert_array_equal(other.predicted, default.predicted)
    assert not stage._forward_hooks  # the package's hooks are removed afterwards


def test_box_mass_of_indicator_uniform_and_empty_maps():
    boxes = torch.tensor([[2, 3, 4, 5], [0, 0, 10, 10], [1, 1, 2, 2]])
    maps = np.zeros((3, 10, 10), dtype=np.float32)
    maps[0, 2:6, 3:8] = 1.0  # exactly the box
    maps[1] = 0.5  # box covers the whole map
    mass = box_mass(maps, boxes)
    assert mass[0] == 1.0 and mass[1] == 1.0 and np.isnan(mass[2])
    uniform = np.ones((1, 10, 10))
    assert box_mass(uniform, np.array([[2, 3, 4, 5]]))[0] == pytest.approx(20 / 100)


def test_box_mass_summary_is_mean_sd_count_per_model_and_class() -> None:
    mass = pd.DataFrame(
        {"model": ["CE"] * 4 + ["LS"] * 2, "class": [0, 0, 1, 1, 0, 1], "mass": [0.2, 0.4, 0.9, float("nan"), 0.5, 0.7]}
    )
    summary = box_mass_summary(mass).set_index(["model", "class"])
    assert summary.loc[("CE", "0"), "mean"] == pytest.approx(0.3)
    assert summary.loc[("CE", "0"), "std"] == pytest.approx(np.std([0.2, 0.4], ddof=1))
    assert summary.loc[("CE", "1"), "count"] == 1  # the NaN map is left out
    assert summary.loc[("CE", "all"), "mean"] == pytest.approx(0.5)
    assert summary.loc[("LS", "all"), "count"] == 2
