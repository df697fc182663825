"""Exact optimum encoders of lsib.info.optima: optimality conditions, invariants and special cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from lsib.info import optima, vib
from lsib.info.information import EmpiricalData, from_annotations, from_counts, information_plane
from lsib.info.optima import ls_optimum_path
from lsib.info.theory import uniform

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COUNTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cifar10h-counts.npy"


@pytest.fixture(scope="module")
def cifar10h() -> EmpiricalData:
    """CIFAR-10H's first 600 images, identical label rows merged."""
    return optima.merge_identical_rows(from_annotations(np.load(COUNTS)[:600]))


def one_hot(labels: np.ndarray, k: int) -> EmpiricalData:
    return from_counts(np.eye(k)[labels])


def test_merging_identical_rows_keeps_every_information_value() -> None:
    counts = np.array([[3, 1, 0], [6, 2, 0], [0, 0, 5], [3, 1, 0], [1, 1, 1]], dtype=float)
    data = from_counts(counts)
    merged = optima.merge_identical_rows(data)
    assert merged.num_inputs == 3  # (3, 1, 0) and (6, 2, 0) are one label row
    np.testing.assert_allclose(merged.px.sum().item(), 1.0, atol=1e-15)
    for encode in (lambda q: optima.sharpened_encoder(q, 0.3), lambda q: optima.cp_encoder(q, 0.4)):
        full, small = information_plane(encode(data.pyx), data), information_plane(encode(merged.pyx), merged)
        np.testing.assert_allclose(float(full["i_xz"]), float(small["i_xz"]), atol=1e-14)
        np.testing.assert_allclose(float(full["i_zy"]), float(small["i_zy"]), atol=1e-14)


@pytest.mark.parametrize("beta", [0.01, 0.05, 0.3, 1.0, 4.0])
def test_cp_optimum_satisfies_kkt_to_1e_10(cifar10h: EmpiricalData, beta: float) -> None:
    log_p = optima.cp_log_encoder(cifar10h.pyx, beta)
    np.testing.assert_allclose(torch.exp(log_p).sum(-1).numpy(), 1.0, atol=1e-14)
    scale = (cifar10h.pyx * torch.exp(-log_p)).amax(-1).clamp_min(1.0)  # size of the gradient's terms
    assert float((optima.cp_stationarity(log_p, cifar10h.pyx, beta) / scale).max()) < 1e-10


def test_cp_optimum_matches_a_generic_constrained_minimiser() -> None:
    q = np.array([0.6, 0.3, 0.1, 0.0])
    beta = 0.5
    p = optima.cp_encoder(torch.tensor(q[None]), beta)[0].numpy()
    res = minimize(
        lambda w: float(optima.cp_objective(torch.softmax(torch.tensor(w), 0), torch.tensor(q), beta)),
        np.zeros(4),
        method="BFGS",
        options={"gtol": 1e-10},
    )
    np.testing.assert_allclose(p, torch.softmax(torch.tensor(res.x), 0).numpy(), atol=1e-6)
    assert float(optima.cp_objective(torch.tensor(p), torch.tensor(q), beta)) <= res.fun + 1e-12


def test_cp_at_beta_zero_is_the_ce_optimum(cifar10h: EmpiricalData) -> None:
    torch.testing.assert_close(optima.cp_encoder(cifar10h.pyx, 0.0), cifar10h.pyx)


def test_uniform_path_equals_ls_path(cifar10h: EmpiricalData) -> None:
    eps = np.linspace(0, 1, 11)
    r = optima.smoothing_matrix(uniform(10))
    plane = information_plane(optima.class_conditional_encoder(cifar10h.pyx, torch.from_numpy(eps), r), cifar10h)
    want = ls_optimum_path(cifar10h, eps)
    np.testing.assert_allclose(plane["i_xz"].numpy(), want["i_xz"], atol=1e-13)
    np.testing.assert_allclose(plane["i_zy"].numpy(), want["i_zy"], atol=1e-13)


def test_every_ls_family_and_cp_lie_on_the_ib_curve_without_contradicting_labels() -> None:
    k = 4
    data = one_hot(np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3]), k)
    h_y = float(information_plane(data.pyx, data)["h_y"])
    rng = np.random.default_rng(0)
    random_r = rng.dirichlet(np.ones(k), size=k)
    encoders = [
        optima.class_conditional_encoder(data.pyx, e, r)
        for r in (optima.smoothing_matrix(uniform(k)), optima.smoothing_matrix(data.py), torch.tensor(random_r))
        for e in (0.0, 0.2, 0.7, 1.0)
    ]
    encoders += [optima.cp_encoder(data.pyx, b) for b in (0.05, 0.5, 3.0)]
    for enc in encoders:
        plane = information_plane(enc, data)
        np.testing.assert_allclose(float(plane["i_zy"]), min(float(plane["i_xz"]), h_y), atol=1e-12)


def test_confusion_smoothing_is_row_stochastic_with_empty_diagonal() -> None:
    pyx = torch.tensor([[0.8, 0.2, 0.0], [0.6, 0.0, 0.4], [0.1, 0.9, 0.0], [0.0, 0.3, 0.7]], dtype=torch.float64)
    r = optima.confusion_smoothing(pyx)
    # class 0: mean of rows 0, 1 = (0.7, 0.1, 0.2) → off-diagonal (0, 0.1, 0.2)/0.3
    np.testing.assert_allclose(r[0].numpy(), [0, 1 / 3, 2 / 3], atol=1e-15)
    np.testing.assert_allclose(r.sum(1).numpy(), 1.0, atol=1e-15)
    assert float(r.diagonal().abs().max()) == 0.0
    with pytest.raises(ValueError, match="majority"):
        optima.confusion_smoothing(torch.eye(3, dtype=torch.float64)[[0, 0, 1]])


def test_sharpening_interpolates_between_soft_labels_and_argmax(cifar10h: EmpiricalData) -> None:
    torch.testing.assert_close(optima.sharpened_encoder(cifar10h.pyx, 1.0), cifar10h.pyx)
    sharp = optima.sharpened_encoder(cifar10h.pyx, torch.tensor([0.5, 0.1, 0.01]))
    plane = information_plane(sharp, cifar10h)
    assert (np.diff(plane["i_xz"].numpy()) > 0).all()  # sharper: less compressed
    assert (sharp[-1].argmax(1) == cifar10h.pyx.argmax(1)).all()
    assert (sharp.amax(-1).diff(dim=0) >= 0).all()  # the top label gains as T falls
    clear = cifar10h.pyx.topk(2).values
    clear = clear[:, 0] > 2 * clear[:, 1]  # at T = 0.01 the runner-up keeps < 2^-100
    argmax = torch.nn.functional.one_hot(cifar10h.pyx.argmax(1), 10).double()
    torch.testing.assert_close(sharp[-1][clear], argmax[clear], atol=1e-12, rtol=0)


@pytest.mark.parametrize("beta", [0.1, 0.5, 0.9])
def test_vib_alternating_minimisation_never_increases_and_ends_at_its_fixed_point(
    cifar10h: EmpiricalData, beta: float
) -> None:
    result = vib.vib_optimum(cifar10h, beta)
    assert result.converged
    assert (np.diff(result.objective) <= 1e-13).all()
    # fixed point: the classifier is p(y|z) of the encoder, the encoder the Gibbs form of the classifier
    joint = result.encoder.T @ (cifar10h.px[:, None] * cifar10h.pyx)
    torch.testing.assert_close(result.classifier, joint / joint.sum(1, keepdim=True), atol=1e-6, rtol=0)
    # the objective there is Ĥ(Y|Z) + β·(Î(X;Z) + KL(p(z) ‖ u))
    plane = information_plane(result.encoder, cifar10h)
    pz = joint.sum(1)
    kl_marginal = float((pz * torch.log(pz * 10)).sum())
    want = float(plane["h_y"] - plane["i_zy"]) + beta * (float(plane["i_xz"]) + kl_marginal)
    assert abs(vib.vib_objective(result.encoder, result.classifier, cifar10h, beta, uniform(10)) - want) < 1e-6


def test_best_smoothing_is_at_least_uniform_and_confusion_ls(cifar10h: EmpiricalData) -> None:
    from lsib.info.frontier import upper_envelope_at

    starts = [optima.smoothing_matrix(uniform(10)), optima.confusion_smoothing(cifar10h.pyx)]
    best = vib.best_smoothing(cifar10h, [0.75, 0.85, 0.92], starts)
    eps = np.linspace(0, 1, 101)
    for r in starts:
        plane = information_plane(optima.class_conditional_encoder(cifar10h.pyx, torch.from_numpy(eps), r), cifar10h)
        family = upper_envelope_at(best.i_xz, plane["i_xz"].numpy(), plane["i_zy"].numpy())
        reached = np.isfinite(family)
        assert (best.i_zy[reached] >= family[reached] - 1e-12).all()
    np.testing.assert_allclose(best.channel.sum(-1).numpy(), 1.0, atol=1e-12)
    encoders = cifar10h.pyx @ best.channel
    plane = information_plane(encoders, cifar10h)
    np.testing.assert_allclose(plane["i_zy"].numpy(), best.i_zy, atol=1e-12)
