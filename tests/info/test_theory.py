"""Theory curves of SPEC §4: IB curve, CE point, exact LS-optimum path and its closed form."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lsib.info.information import (
    EmpiricalData,
    from_annotations,
    from_counts,
    information_plane,
    label_entropy,
    mutual_info_xy,
)
from lsib.info.optima import ls_optimal_encoder, ls_optimum_path
from lsib.info.theory import binary_mix_entropy, ce_point, ib_curve, ls_closed_form, ls_curve_at, uniform

COUNTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cifar10h-counts.npy"
EPS = np.array([0.0, 0.05, 0.2, 0.5, 0.8, 0.99, 1.0])


def one_hot_data(labels: np.ndarray, num_classes: int) -> EmpiricalData:
    """Distinct inputs, one label each (no contradicting labels)."""
    return from_counts(np.eye(num_classes)[labels])


@pytest.mark.parametrize("k", [2, 3, 10])
@pytest.mark.parametrize("per_class", [1, 7])
def test_closed_form_equals_exact_path_on_balanced_one_hot_data(k: int, per_class: int) -> None:
    data = one_hot_data(np.repeat(np.arange(k), per_class), k)
    path = ls_optimum_path(data, EPS)
    want = ls_closed_form(EPS, k)
    np.testing.assert_allclose(path["i_xz"], want, atol=1e-12)
    np.testing.assert_allclose(path["i_zy"], want, atol=1e-12)


@pytest.mark.parametrize("k", [2, 5])
def test_binary_mix_entropy_endpoints(k: int) -> None:
    """h(0) = 0 (one-hot target) and h(1) = log K (uniform target); log K − h(ε) falls monotonically."""
    assert binary_mix_entropy(0.0, k) == pytest.approx(0.0, abs=1e-15)
    assert binary_mix_entropy(1.0, k) == pytest.approx(math.log(k))
    assert np.all(np.diff(ls_closed_form(np.linspace(0, 1, 101), k)) < 0)


def test_ls_path_runs_down_the_diagonal_without_contradicting_labels() -> None:
    """Unbalanced one-hot data: ε = 0 at (Ĥ(Y), Ĥ(Y)), ε = 1 at (0, 0), Î(X;Z) = Î(Z;Y) between."""
    labels = np.random.default_rng(0).choice(4, size=30, p=[0.5, 0.3, 0.15, 0.05])
    data = one_hot_data(labels, 4)
    h_y = float(label_entropy(data))
    path = ls_optimum_path(data, EPS)
    assert path["i_xz"][0] == pytest.approx(h_y, abs=1e-12)
    assert path["i_zy"][0] == pytest.approx(h_y, abs=1e-12)
    assert path["i_xz"][-1] == pytest.approx(0.0, abs=1e-12)
    assert path["i_zy"][-1] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(path["i_xz"], path["i_zy"], atol=1e-12)
    assert np.all(np.diff(path["i_xz"]) < 0)


def test_ce_point_is_the_one_hot_encoder() -> None:
    labels = np.array([0, 1, 1, 2, 2, 2])
    data = one_hot_data(labels, 3)
    h_y = float(label_entropy(data))
    assert ce_point(data) == pytest.approx((h_y, h_y))
    plane = information_plane(np.eye(3)[labels], data)
    assert (float(plane["i_xz"]), float(plane["i_zy"])) == pytest.approx((h_y, h_y), abs=1e-12)


def test_ib_curve_is_min_of_diagonal_and_label_entropy() -> None:
    x = np.array([0.0, 0.5, 1.0, 1.5, 3.0])
    np.testing.assert_array_equal(ib_curve(x, 1.2), [0.0, 0.5, 1.0, 1.2, 1.2])
    assert float(ib_curve(0.7, 1.0)) == 0.7


def test_ls_optimal_encoder_shapes_and_rows() -> None:
    pyx = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]], dtype=torch.float64)
    r = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
    single = ls_optimal_encoder(pyx, 0.4, r)
    assert single.shape == (2, 3)
    np.testing.assert_allclose(single[0].numpy(), [0.6 + 0.2, 0.1, 0.1])
    batch = ls_optimal_encoder(pyx, torch.tensor([0.0, 0.4, 1.0]))
    assert batch.shape == (3, 2, 3)
    torch.testing.assert_close(batch[0], pyx)
    torch.testing.assert_close(batch[2], uniform(3).expand(2, 3))
    torch.testing.assert_close(batch.sum(-1), torch.ones(3, 2, dtype=torch.float64))


@pytest.mark.parametrize("eps", [-0.1, 1.5])
def test_ls_optimal_encoder_rejects_eps_outside_unit_interval(eps: float) -> None:
    with pytest.raises(ValueError):
        ls_optimal_encoder(torch.eye(3), eps)


def test_ls_curve_at_interpolates_and_holds_the_top() -> None:
    path_x = np.array([2.0, 1.0, 0.0])  # as ls_optimum_path gives it: ε ascending, Î descending
    path_y = np.array([1.5, 0.9, 0.0])
    np.testing.assert_allclose(
        ls_curve_at(np.array([0.0, 0.5, 1.5, 2.0, 2.3]), path_x, path_y), [0.0, 0.45, 1.2, 1.5, 1.5]
    )


@pytest.fixture(scope="module")
def cifar10h() -> EmpiricalData:
    if not COUNTS.is_file():
        pytest.skip(f"needs {COUNTS}")
    return from_annotations(np.load(COUNTS))


def test_cifar10h_ls_path(cifar10h: EmpiricalData) -> None:
    """ε = 0 is the encoder p̂(y|x): Î(X;Z) = Î(X;Y) = 2.1478, Î(Z;Y) = 1.9231; ε = 1 is (0, 0)."""
    path = ls_optimum_path(cifar10h, np.array([0.0, 0.5, 1.0]))
    assert path["i_xz"][0] == pytest.approx(2.1478, abs=1e-3)
    assert path["i_zy"][0] == pytest.approx(1.9231, abs=1e-3)
    assert path["i_xz"][0] == pytest.approx(float(mutual_info_xy(cifar10h)), abs=1e-12)
    assert path["i_xz"][-1] == pytest.approx(0.0, abs=1e-12)
    assert path["i_zy"][-1] == pytest.approx(0.0, abs=1e-12)
    # with contradicting labels the path lies strictly below the diagonal
    assert path["i_zy"][1] < path["i_xz"][1]
