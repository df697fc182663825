"""Scatter ratio against known answers, the template projection's geometry, probes beside compression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lsib.measure.compression import (
    beside_probes,
    compression_measures,
    projection_arrays,
    scatter_ratio,
    template_basis,
    template_projection,
)


def test_points_at_their_class_means_have_zero_ratio() -> None:
    means = np.random.default_rng(0).normal(size=(4, 6))
    labels = np.repeat(np.arange(4), [3, 5, 2, 7])
    assert scatter_ratio(means[labels], labels) == pytest.approx(0.0, abs=1e-30)  # rounding of the means only


def test_hand_computed_two_d_example_with_unequal_classes() -> None:
    """Class 0: (0,0), (2,0), (1,0), mean (1,0); class 1: (1,3), (1,5), mean (1,4); overall mean (1, 1.6).

    tr S_W = 1 + 1 + 0 + 1 + 1 = 4; tr S_B = 3 · 1.6² + 2 · 2.4² = 19.2 (weighted by counts).
    """
    h = np.array([[0, 0], [2, 0], [1, 0], [1, 3], [1, 5]], dtype=float)
    assert scatter_ratio(h, np.array([0, 0, 0, 1, 1])) == pytest.approx(4 / 19.2, abs=1e-15)


def test_ratio_is_invariant_to_scale_and_shift() -> None:
    rng = np.random.default_rng(1)
    h, y = rng.normal(size=(60, 5)), rng.integers(0, 3, 60)
    assert scatter_ratio(3.0 * h + 7.0, y) == pytest.approx(scatter_ratio(h, y), rel=1e-12)


def test_compression_measures_read_a_separable_representation() -> None:
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(3, 8)) * 5
    train_y, test_y = rng.integers(0, 3, 300), rng.integers(0, 3, 200)
    train_f = centres[train_y] + rng.normal(size=(300, 8))
    test_f = centres[test_y] + rng.normal(size=(200, 8))
    got = compression_measures(train_f, train_y, test_f, test_y, {"max_iter": 200, "C": 1.0})
    assert got["own_probe_acc"] > 0.95
    assert 0 < got["scatter_ratio_train"] < 0.2 and 0 < got["scatter_ratio_test"] < 0.2


def test_templates_project_to_a_triangle_with_their_side_lengths() -> None:
    weight = np.random.default_rng(3).normal(size=(10, 16))
    basis = template_basis(weight)
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    xy, labels = template_projection(weight, np.arange(10), weight)  # the templates themselves
    assert labels.tolist() == [0, 1, 2]
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert np.linalg.norm(xy[a] - xy[b]) == pytest.approx(np.linalg.norm(weight[a] - weight[b]), rel=1e-12)


def test_projection_arrays_keep_the_three_classes_of_each_split() -> None:
    rng = np.random.default_rng(4)
    weight = rng.normal(size=(5, 4))
    train = (rng.normal(size=(50, 4)), rng.integers(0, 5, 50))
    test = (rng.normal(size=(30, 4)), rng.integers(0, 5, 30))
    out = projection_arrays(train, test, weight)
    assert out["classes"].tolist() == [0, 1, 2]
    for split, (_, labels) in (("train", train), ("test", test)):
        assert out[f"{split}_xy"].shape == ((labels < 3).sum(), 2)
        assert set(out[f"{split}_y"]) <= {0, 1, 2}


def test_probes_sit_beside_their_run() -> None:
    compression = pd.DataFrame(
        {"dataset": "occluded", "model": "resnet8", "objective": "ls", "coef": [0.0, 0.4], "seed": 0}
        | {"scatter_ratio_train": [0.5, 0.1], "scatter_ratio_test": [0.6, 0.2], "own_probe_acc": [0.8, 0.8]}
    )
    probes = pd.DataFrame(
        {
            "eps": [0.0, 0.0, 0.4, 0.4],
            "seed": 0,
            "base_test_acc": [0.7, 0.7, 0.72, 0.72],
            "probe": ["linear", "mlp"] * 2,
            "probe_acc": [0.3, 0.4, 0.25, 0.35],
            "chance": 0.1,
        }
    )
    table = beside_probes(compression, probes)
    assert list(table.columns[:8]) == list(compression.columns)
    row = table.set_index("coef").loc[0.4]
    assert (row["nuisance_linear_acc"], row["nuisance_mlp_acc"], row["base_test_acc"]) == (0.25, 0.35, 0.72)
    assert row["chance"] == 0.1 and len(table) == 2
