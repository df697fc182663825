"""Exact empirical information quantities (SPEC §2) against independent computations."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy

from lsib.checks import InputError
from lsib.info.information import (
    EmpiricalData,
    conditional_entropy_z,
    entropy,
    from_annotations,
    from_counts,
    from_pairs,
    information_plane,
    joint_zy,
    label_entropy,
    marginal_z,
    mutual_info_xy,
    mutual_info_xz,
    mutual_info_zy,
)

COUNTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cifar10h-counts.npy"


def random_problem(seed: int, m: int, k: int, zero_fraction: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Random label counts ``(m, k)`` and encoder ``p(z|x)`` ``(m, k)``, both with exact zeros."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 5, size=(m, k)) * (rng.random((m, k)) > zero_fraction)
    counts[counts.sum(1) == 0, 0] = 1
    enc = rng.random((m, k)) * (rng.random((m, k)) > zero_fraction)
    enc[enc.sum(1) == 0, -1] = 1.0
    return counts, enc / enc.sum(1, keepdims=True)


def mutual_information(p_ab: dict[tuple[int, int], float], p_a: list[float], p_b: list[float]) -> float:
    """``Σ_{a,b} p(a,b) log[p(a,b) / (p(a) p(b))]`` over the pairs with ``p(a,b) > 0``."""
    return sum(p * math.log(p / (p_a[a] * p_b[b])) for (a, b), p in p_ab.items() if p > 0)


def shannon(p: list[float]) -> float:
    """``−Σ p log p`` over the entries with ``p > 0``."""
    return -sum(q * math.log(q) for q in p if q > 0)


def brute_force(counts: np.ndarray, enc: np.ndarray) -> dict[str, float]:
    """Every SPEC §2 quantity by explicit loops over the joint ``p(x, z, y) = p̂(x) p(z|x) p̂(y|x)``."""
    m, k = counts.shape
    n = counts.sum()
    joint = {}
    for x, z, y in itertools.product(range(m), range(k), range(k)):
        px = counts[x].sum() / n
        joint[x, z, y] = px * enc[x, z] * counts[x, y] / counts[x].sum()
    p_x = [sum(joint[x, z, y] for z in range(k) for y in range(k)) for x in range(m)]
    p_z = [sum(joint[x, z, y] for x in range(m) for y in range(k)) for z in range(k)]
    p_y = [sum(joint[x, z, y] for x in range(m) for z in range(k)) for y in range(k)]
    p_xz = {(x, z): sum(joint[x, z, y] for y in range(k)) for x in range(m) for z in range(k)}
    p_zy = {(z, y): sum(joint[x, z, y] for x in range(m)) for z in range(k) for y in range(k)}
    p_xy = {(x, y): sum(joint[x, z, y] for z in range(k)) for x in range(m) for y in range(k)}
    return {
        "h_z": shannon(p_z),
        "h_y": shannon(p_y),
        "h_z_given_x": -sum(p * math.log(p / p_x[x]) for (x, _), p in p_xz.items() if p > 0),
        "i_xz": mutual_information(p_xz, p_x, p_z),
        "i_zy": mutual_information(p_zy, p_z, p_y),
        "i_xy": mutual_information(p_xy, p_x, p_y),
        "p_z": np.array(p_z),
        "p_zy": np.array([[p_zy[z, y] for y in range(k)] for z in range(k)]),
    }


@pytest.mark.parametrize("seed, m, k", [(0, 1, 2), (1, 3, 2), (2, 4, 3), (3, 6, 4), (4, 5, 5)])
def test_every_quantity_matches_brute_force_enumeration(seed: int, m: int, k: int) -> None:
    counts, enc = random_problem(seed, m, k)
    data = from_counts(counts)
    want = brute_force(counts, enc)
    plane = information_plane(enc, data)
    for key in ("h_z", "h_y", "h_z_given_x", "i_xz", "i_zy", "i_xy"):
        assert float(plane[key]) == pytest.approx(want[key], abs=1e-12), key
    np.testing.assert_allclose(marginal_z(enc, data.px).numpy(), want["p_z"], atol=1e-15)
    np.testing.assert_allclose(joint_zy(enc, data.px, data.pyx).numpy(), want["p_zy"], atol=1e-15)
    assert float(mutual_info_xz(enc, data.px)) == pytest.approx(want["i_xz"], abs=1e-12)
    assert float(mutual_info_zy(enc, data.px, data.pyx)) == pytest.approx(want["i_zy"], abs=1e-12)
    assert float(conditional_entropy_z(enc, data.px)) == pytest.approx(want["h_z_given_x"], abs=1e-12)
    assert float(label_entropy(data)) == pytest.approx(want["h_y"], abs=1e-12)
    assert float(mutual_info_xy(data)) == pytest.approx(want["i_xy"], abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_entropy_and_i_xz_match_scipy(seed: int) -> None:
    counts, enc = random_problem(seed, 7, 4)
    data = from_counts(counts)
    px = data.px.numpy()
    pz = px @ enc
    assert float(entropy(torch.from_numpy(pz))) == pytest.approx(scipy_entropy(pz), abs=1e-13)
    # Î(X;Z) as the p̂(x)-average of KL(p(·|x) ‖ p(·)); rel_entr(a, b) = a log(a/b), 0 at a = 0
    i_xz = sum(px[x] * rel_entr(enc[x], pz).sum() for x in range(len(px)))
    assert float(mutual_info_xz(enc, px)) == pytest.approx(i_xz, abs=1e-13)
    assert float(label_entropy(data)) == pytest.approx(scipy_entropy(px @ data.pyx.numpy()), abs=1e-13)


def test_leading_batch_axes_equal_per_item() -> None:
    counts, _ = random_problem(0, 6, 3)
    data = from_counts(counts)
    rng = np.random.default_rng(1)
    enc = rng.dirichlet(np.ones(3), size=(2, 4, 6))  # (2, 4, M, K)
    batched = information_plane(enc, data)
    for i, j in itertools.product(range(2), range(4)):
        single = information_plane(enc[i, j], data)
        for key in ("i_xz", "i_zy", "h_z", "h_z_given_x"):
            assert batched[key].shape == (2, 4)
            assert float(batched[key][i, j]) == pytest.approx(float(single[key]), abs=1e-14)


def test_autograd_gradcheck_float64() -> None:
    counts, _ = random_problem(2, 5, 3)
    data = from_counts(counts)
    logits = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)

    def both(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p = torch.softmax(w, -1)
        return mutual_info_xz(p, data.px), mutual_info_zy(p, data.px, data.pyx)

    assert torch.autograd.gradcheck(both, (logits,))


def test_from_pairs_groups_duplicate_inputs() -> None:
    ids = [5, 3, 5, 5, 3, 9, 3]
    labels = [0, 1, 0, 2, 1, 1, 0]
    data, unique = from_pairs(ids, labels, num_classes=3)
    assert unique.tolist() == [3, 5, 9]
    # per unique id (sorted): counts of labels 0, 1, 2
    counts = np.array([[1, 2, 0], [2, 0, 1], [0, 1, 0]], dtype=float)
    np.testing.assert_allclose(data.px.numpy(), counts.sum(1) / 7)
    np.testing.assert_allclose(data.pyx.numpy(), counts / counts.sum(1, keepdims=True))
    assert data.num_inputs == 3 and data.num_classes == 3
    assert data.has_contradicting_labels


def test_from_pairs_of_distinct_inputs_is_one_hot() -> None:
    data, _ = from_pairs([0, 1, 2, 3], [2, 0, 2, 1], num_classes=3)
    assert not data.has_contradicting_labels
    np.testing.assert_allclose(data.py.numpy(), [0.25, 0.25, 0.5])
    # without contradicting labels Î(X;Y) = Ĥ(Y)
    assert float(mutual_info_xy(data)) == pytest.approx(float(label_entropy(data)), abs=1e-15)


@pytest.mark.parametrize(
    "ids, labels",
    [([0, 1], [0]), ([[0, 1]], [[0, 1]]), ([0, 1], [0, 3]), ([0, 1], [-1, 0])],
)
def test_from_pairs_rejects_bad_input(ids: list, labels: list) -> None:
    with pytest.raises(ValueError):
        from_pairs(ids, labels, num_classes=3)


@pytest.mark.parametrize("counts", [np.ones(3), np.array([[1, -1], [2, 0]]), np.array([[1, 0], [0, 0]])])
def test_from_counts_rejects_bad_tables(counts: np.ndarray) -> None:
    with pytest.raises(ValueError):
        from_counts(counts)


def test_information_plane_rejects_wrong_number_of_rows() -> None:
    data = from_counts(np.eye(3))
    with pytest.raises(ValueError, match="rows"):
        information_plane(np.full((4, 3), 1 / 3), data)


def test_information_functions_refuse_nan() -> None:
    with pytest.raises(InputError, match="counts: 1 of 4 values are not finite"):
        from_annotations(np.array([[1.0, np.nan], [2.0, 1.0]]))
    data = from_annotations(np.array([[1, 1], [2, 0]]))
    with pytest.raises(InputError, match=r"encoder p\(z\|x\)"):
        information_plane(torch.tensor([[0.5, 0.5], [np.nan, 0.5]], dtype=torch.float64), data)


def test_annotations_weigh_every_input_equally_and_pairs_by_count() -> None:
    counts = np.array([[3, 1, 0], [0, 1, 0], [0, 0, 4]])
    pyx = counts / counts.sum(1, keepdims=True)
    soft = from_annotations(counts)
    np.testing.assert_array_equal(soft.px.numpy(), np.full(3, 1 / 3))
    np.testing.assert_allclose(soft.pyx.numpy(), pyx, rtol=1e-15)
    pairs = from_counts(counts)
    np.testing.assert_allclose(pairs.px.numpy(), [4 / 9, 1 / 9, 4 / 9], rtol=1e-15)
    np.testing.assert_allclose(pairs.pyx.numpy(), pyx, rtol=1e-15)
    # Î(X;Y) by hand: Ĥ(Y) − Σ_x p̂(x) H(p̂(·|x)) with p̂(x) = 1/3
    py = pyx.mean(0)
    assert float(mutual_info_xy(soft)) == pytest.approx(scipy_entropy(py) - scipy_entropy(pyx[0]) / 3, abs=1e-14)
    with pytest.raises(ValueError, match="at least one label"):
        from_annotations(np.array([[1, 0], [0, 0]]))


def test_exact_zeros_give_finite_values() -> None:
    """0·log 0 = 0: one-hot encoders and one-hot labels are finite and exact."""
    data = from_counts(np.array([[3, 0, 0], [0, 1, 0], [0, 0, 2]]))
    one_hot = torch.eye(3, dtype=torch.float64)
    plane = information_plane(one_hot, data)
    h_x = scipy_entropy([0.5, 1 / 6, 1 / 3])
    for key in ("i_xz", "i_zy", "h_z"):
        assert float(plane[key]) == pytest.approx(h_x, abs=1e-14)
    assert float(plane["h_z_given_x"]) == 0.0
    collapsed = information_plane(torch.tensor([[1.0, 0, 0]] * 3, dtype=torch.float64), data)
    assert float(collapsed["i_xz"]) == 0.0 and float(collapsed["i_zy"]) == 0.0


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A random data set (integer label counts) and encoder, exact zeros allowed in both."""
    m = draw(st.integers(1, 6))
    k = draw(st.integers(2, 4))
    counts = draw(arrays(np.int64, (m, k), elements=st.integers(0, 4)))
    counts[counts.sum(1) == 0, 0] = 1
    enc = draw(arrays(np.float64, (m, k), elements=st.floats(0, 1, allow_subnormal=False)))
    enc[enc.sum(1) == 0, 0] = 1.0
    return counts, enc / enc.sum(1, keepdims=True)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_information_inequalities(problem: tuple[np.ndarray, np.ndarray]) -> None:
    """SPEC §2: 0 ≤ Î(Z;Y) ≤ min(Î(X;Z), Î(X;Y)) and Î(X;Z) ≤ min(Ĥ(Z), log M), all finite."""
    counts, enc = problem
    data = from_counts(counts)
    plane = information_plane(enc, data)
    values = {k: float(v) for k, v in plane.items()}
    assert all(math.isfinite(v) for v in values.values())
    tol = 1e-12
    assert values["i_zy"] >= -tol
    assert values["i_zy"] <= min(values["i_xz"], values["i_xy"]) + tol
    assert values["i_xz"] >= -tol
    assert values["i_xz"] <= min(values["h_z"], math.log(data.num_inputs)) + tol
    assert values["i_xy"] <= values["h_y"] + tol


@pytest.fixture(scope="module")
def cifar10h() -> EmpiricalData:
    if not COUNTS.is_file():
        pytest.skip(f"needs {COUNTS}")
    return from_annotations(np.load(COUNTS))


def test_reference_values_on_cifar10h(cifar10h: EmpiricalData) -> None:
    """SPEC §2 reference values: Ĥ(Y), Î(X;Y) and the argmax encoder's Î(Z;Y)."""
    assert cifar10h.num_inputs == 10_000 and cifar10h.num_classes == 10
    # the SPEC prints 5 decimals: each value must round to it (|error| ≤ 5e-6)
    assert float(label_entropy(cifar10h)) == pytest.approx(2.30221, abs=5e-6)
    assert float(mutual_info_xy(cifar10h)) == pytest.approx(2.14775, abs=5e-6)
    argmax = torch.nn.functional.one_hot(cifar10h.pyx.argmax(1), 10).to(torch.float64)
    assert float(mutual_info_zy(argmax, cifar10h.px, cifar10h.pyx)) == pytest.approx(2.05307, abs=5e-6)
