"""Run-level information (SPEC §2, §4): grouping inputs by content, the LS-optimum distance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lsib.info.optima import ls_optimal_encoder
from lsib.measure.information import content_ids, empirical_data, run_information, split_information


def random_images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, 1, 4, 4), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_content_ids_group_identical_images_only() -> None:
    x = random_images(6)
    x[4] = x[1]
    x[5] = x[1]
    x[3, 0, 0, 0] = x[0, 0, 0, 0] ^ 1  # differs from image 0 in one bit of one pixel
    ids = content_ids(x).tolist()
    assert ids[1] == ids[4] == ids[5]
    assert len(set(ids)) == 4


def test_empirical_data_counts_duplicates_and_contradicting_labels() -> None:
    x = random_images(5)
    x[3] = x[0]
    x[4] = x[0]
    y = torch.tensor([2, 0, 1, 2, 0])
    data, first = empirical_data(x, y, 3)
    assert data.num_inputs == 3
    row = int(torch.nonzero(first == 0))
    assert data.px[row] == pytest.approx(3 / 5)
    assert data.pyx[row].tolist() == pytest.approx([1 / 3, 0, 2 / 3])
    assert data.has_contradicting_labels
    assert sorted(first.tolist()) == [0, 1, 2]


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 0.9])
def test_a_run_at_its_ls_optimum_has_zero_distance(eps: float) -> None:
    x = random_images(40, seed=1)
    y = torch.arange(40) % 4
    data, first = empirical_data(x, y, 4)
    proba = ls_optimal_encoder(torch.nn.functional.one_hot(y, 4).double(), eps)  # per example
    row = run_information(proba, data, first, "ce" if eps == 0 else "ls", eps)
    assert row["ls_distance"] == pytest.approx(0.0, abs=1e-12)
    assert row["h_y"] == pytest.approx(math.log(4))
    assert row["i_xz"] == pytest.approx(row["ls_i_xz"], abs=1e-12)


def test_distance_is_euclidean_and_nan_without_eps() -> None:
    x = random_images(20, seed=2)
    y = torch.arange(20) % 2
    data, first = empirical_data(x, y, 2)
    uniform = torch.full((20, 2), 0.5, dtype=torch.float64)
    row = run_information(uniform, data, first, "ls", 0.0)
    assert row["i_xz"] == pytest.approx(0.0, abs=1e-15) and row["i_zy"] == pytest.approx(0.0, abs=1e-15)
    assert row["ls_distance"] == pytest.approx(math.hypot(math.log(2), math.log(2)))
    assert np.isnan(run_information(uniform, data, first, "cp", 0.3)["ls_distance"])


def test_split_information_matches_a_brute_force_count_with_duplicates() -> None:
    """SPEC §2's sums written out over a 6-image split with a repeated image carrying two labels."""
    x = random_images(6, seed=3)
    x[4] = x[1]
    x[5] = x[1]
    y = torch.tensor([0, 1, 2, 2, 1, 0])
    proba = torch.tensor(
        [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.05, 0.05, 0.9], [0.1, 0.6, 0.3], [0.1, 0.6, 0.3]],
        dtype=torch.float64,
    )
    got = split_information(proba, x, y, 3)
    p, labels = proba.numpy(), y.numpy()
    groups = [[0], [1, 4, 5], [2], [3]]  # unique images; image 1 seen three times, labels 1, 1, 0
    px = np.array([len(g) / 6 for g in groups])
    pzx = np.array([p[g[0]] for g in groups])
    pz = px @ pzx
    i_xz = sum(px[m] * sum(pzx[m, z] * np.log(pzx[m, z] / pz[z]) for z in range(3)) for m in range(4))
    pzy = np.zeros((3, 3))
    for i in range(6):  # p(z, y) = (1/N) Σ_i p(z|x_i) 1[y_i = y]
        pzy[:, labels[i]] += p[i] / 6
    py = pzy.sum(0)
    i_zy = sum(pzy[z, c] * np.log(pzy[z, c] / (pz[z] * py[c])) for z in range(3) for c in range(3))
    assert got["i_xz"] == pytest.approx(i_xz, abs=1e-12)
    assert got["i_zy"] == pytest.approx(i_zy, abs=1e-12)
