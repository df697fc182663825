"""Objectives of SPEC §3 against their defining identities and torch's own implementations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from lsib.train.losses import (
    OBJECTIVES,
    Objective,
    VIBOutputLoss,
    confidence_penalty,
    cross_entropy,
    label_smoothing,
    smoothed_target,
)

K = 5


@pytest.fixture
def logits() -> torch.Tensor:
    return torch.randn(8, K, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3


def hard_labels() -> torch.Tensor:
    return torch.tensor([0, 1, 2, 3, 4, 0, 1, 2])


def soft_labels() -> torch.Tensor:
    """Soft labels p̂(·|x) drawn from Dirichlet(1, …, 1) (normalised exponentials)."""
    e = -torch.rand(8, K, generator=torch.Generator().manual_seed(2), dtype=torch.float64).log()
    return e / e.sum(-1, keepdim=True)


def cross_entropy_to(q: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Batch mean of H(q, p) = −Σ_z q(z) log p(z|x)."""
    return -(q * torch.log_softmax(logits, -1)).sum(-1).mean()


@pytest.mark.parametrize("labels", [hard_labels, soft_labels], ids=["hard", "soft"])
@pytest.mark.parametrize(
    "r", [None, torch.tensor([0.4, 0.3, 0.1, 0.1, 0.1], dtype=torch.float64)], ids=["uniform-r", "skewed-r"]
)
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_ls_is_mixture_of_ce_and_cross_entropy_to_r(logits: torch.Tensor, labels, r, eps: float) -> None:
    """LS(ε) = (1−ε)·CE + ε·H(r, p(·|x))."""
    y = labels()
    r_ = torch.full((K,), 1 / K, dtype=torch.float64) if r is None else r
    want = (1 - eps) * cross_entropy(logits, y) + eps * cross_entropy_to(r_.expand(8, K), logits)
    torch.testing.assert_close(label_smoothing(logits, y, eps, r), want)


def test_smoothed_target_rows_are_distributions() -> None:
    q = smoothed_target(hard_labels(), 0.3, None, K)
    assert q.shape == (8, K)
    torch.testing.assert_close(q.sum(-1), torch.ones(8))
    assert float(q[0, 0]) == pytest.approx(0.7 + 0.3 / K)
    assert float(q[0, 1]) == pytest.approx(0.3 / K)


def test_ls_at_zero_is_ce_and_torch_cross_entropy(logits: torch.Tensor) -> None:
    y = hard_labels()
    torch.testing.assert_close(label_smoothing(logits, y, 0.0), cross_entropy(logits, y))
    torch.testing.assert_close(cross_entropy(logits, y), F.cross_entropy(logits, y))
    soft = soft_labels()
    torch.testing.assert_close(label_smoothing(logits, soft, 0.0), F.cross_entropy(logits, soft))


@pytest.mark.parametrize("labels", [hard_labels, soft_labels], ids=["hard", "soft"])
@pytest.mark.parametrize("eps", [0.05, 0.3, 1.0])
def test_ls_agrees_with_torch_label_smoothing_for_uniform_r(logits: torch.Tensor, labels, eps: float) -> None:
    y = labels()
    want = F.cross_entropy(logits, y, label_smoothing=eps)
    torch.testing.assert_close(label_smoothing(logits, y, eps), want)


@pytest.mark.parametrize("labels", [hard_labels, soft_labels], ids=["hard", "soft"])
@pytest.mark.parametrize("beta", [0.0, 0.3, 2.0])
def test_confidence_penalty_is_ce_minus_entropy(logits: torch.Tensor, labels, beta: float) -> None:
    """CP(β) = CE − β·H(p) = CE + β·KL(p ‖ u) − β·log K."""
    y = labels()
    p = torch.softmax(logits, -1)
    ent = -(p * p.log()).sum(-1).mean()
    kl_to_uniform = (p * (p * K).log()).sum(-1).mean()
    cp = confidence_penalty(logits, y, beta)
    torch.testing.assert_close(cp, cross_entropy(logits, y) - beta * ent)
    torch.testing.assert_close(cp, cross_entropy(logits, y) + beta * kl_to_uniform - beta * math.log(K))


def test_vib_table_starts_at_identity_map() -> None:
    vib = VIBOutputLoss(K, beta=0.1)
    q = torch.softmax(vib.classifier_logits.detach(), -1)
    # q(y|z) ∝ exp(log K · 1[y = z]): K/(2K−1) on the diagonal, 1/(2K−1) elsewhere
    torch.testing.assert_close(torch.diagonal(q), torch.full((K,), K / (2 * K - 1)))
    torch.testing.assert_close(q.sum(-1), torch.ones(K))
    assert float(q[0, 1]) == pytest.approx(1 / (2 * K - 1))


@pytest.mark.parametrize("labels", [hard_labels, soft_labels], ids=["hard", "soft"])
@pytest.mark.parametrize("r", [None, torch.tensor([0.4, 0.3, 0.1, 0.1, 0.1])], ids=["uniform-r", "skewed-r"])
def test_vib_value_is_exact_expectation_plus_kl(labels, r) -> None:
    """VIB(β) = Σ_z p(z|x) [Σ_y t(y) (−log q(y|z)) + β·log(p(z|x)/r(z))], by explicit loops."""
    beta = 0.7
    vib = VIBOutputLoss(K, beta, r)
    with torch.no_grad():
        vib.classifier_logits.add_(torch.randn(K, K, generator=torch.Generator().manual_seed(3)))
    logits = torch.randn(8, K, generator=torch.Generator().manual_seed(4))
    y = labels()
    t = F.one_hot(y, K).double() if y.ndim == 1 else y
    p = torch.softmax(logits, -1).double()
    q = torch.softmax(vib.classifier_logits.detach(), -1).double()
    r_ = torch.full((K,), 1 / K) if r is None else r
    total = 0.0
    for i in range(8):
        for z in range(K):
            distortion = sum(-float(t[i, yy]) * math.log(float(q[z, yy])) for yy in range(K))
            total += float(p[i, z]) * (distortion + beta * math.log(float(p[i, z]) / float(r_[z])))
    with torch.no_grad():
        value = float(vib(logits, y.float() if y.ndim == 2 else y))
    assert value == pytest.approx(total / 8, rel=1e-5)


def test_vib_trains_its_classifier_table() -> None:
    vib = VIBOutputLoss(K, beta=0.1)
    logits = torch.randn(8, K, requires_grad=True)
    vib(logits, hard_labels()).backward()
    assert vib.classifier_logits.grad is not None and vib.classifier_logits.grad.abs().sum() > 0
    assert logits.grad is not None


@pytest.mark.parametrize("name, coef", [("ce", 0.0), ("ls", 0.2), ("cp", 0.3), ("vib", 0.4)])
def test_objective_dispatches_to_the_named_loss(name: str, coef: float) -> None:
    logits = torch.randn(8, K, generator=torch.Generator().manual_seed(5))
    y = hard_labels()
    objective = Objective(name, coef, K)
    want = {
        "ce": lambda: cross_entropy(logits, y),
        "ls": lambda: label_smoothing(logits, y, coef),
        "cp": lambda: confidence_penalty(logits, y, coef),
        "vib": lambda: VIBOutputLoss(K, coef)(logits, y),
    }[name]()
    torch.testing.assert_close(objective(logits, y), want)
    assert objective.name == name and objective.coef == coef
    assert len(list(objective.parameters())) == (1 if name == "vib" else 0)


def test_objectives_constant_lists_every_name() -> None:
    assert set(OBJECTIVES) == {"ce", "ls", "cp", "vib"}


@pytest.mark.parametrize("name, coef", [("mse", 0.0), ("ls", -0.1), ("ls", 1.5), ("cp", -1.0), ("vib", -0.5)])
def test_objective_rejects_bad_names_and_coefficients(name: str, coef: float) -> None:
    with pytest.raises(ValueError):
        Objective(name, coef, K)
