"""Training objectives of SPEC §3, as torch functions of logits ``f_θ(x)``.

Each loss is per example, averaged over the batch. A target is either a hard label tensor
``(B,)`` of int64 or a soft label distribution ``p̂(y|x)`` of shape ``(B, K)``.

- CE:      −log p(y|x)                               (soft: Σ_y p̂(y|x)·(−log p(y|x)))
- LS(ε):   H(q^ε(·|y), p(·|x)),  q^ε(z|y) = (1−ε)·1[z=y] + ε·r(z)
           = (1−ε)·CE + ε·H(r, p(·|x))
- CP(β):   −log p(y|x) − β·H(p(·|x))
- VIB(β):  E_{z∼p(·|x)}[−log q_φ(y|z)] + β·KL(p(·|x) ‖ r), exact expectation over the K
           values of z, with q_φ a learnable K×K classifier table.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lsib.names import OBJECTIVES


def target_distribution(target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Return the target as a ``(B, K)`` distribution (one-hot for hard labels)."""
    if target.ndim == 1:
        return F.one_hot(target, num_classes).to(torch.get_default_dtype())
    return target


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CE = −log p(y|x), batch-averaged; soft targets give Σ_y p̂(y|x)·(−log p(y|x))."""
    if target.ndim == 1:
        return F.cross_entropy(logits, target)
    return -(target * F.log_softmax(logits, dim=-1)).sum(-1).mean()


def smoothed_target(target: torch.Tensor, eps: float, r: torch.Tensor | None, num_classes: int) -> torch.Tensor:
    """``Σ_y p̂(y|x) q^ε(z|y) = (1−ε)·p̂(z|x) + ε·r(z)``; uniform r when ``r`` is None."""
    t = target_distribution(target, num_classes)
    r_ = torch.full((num_classes,), 1.0 / num_classes, dtype=t.dtype, device=t.device) if r is None else r.to(t)
    return (1 - eps) * t + eps * r_


def label_smoothing(
    logits: torch.Tensor, target: torch.Tensor, eps: float, r: torch.Tensor | None = None
) -> torch.Tensor:
    """LS(ε): cross-entropy to the smoothed target ``(1−ε)·p̂(·|x) + ε·r``."""
    q = smoothed_target(target, eps, r, logits.shape[-1])
    return -(q * F.log_softmax(logits, dim=-1)).sum(-1).mean()


def confidence_penalty(logits: torch.Tensor, target: torch.Tensor, beta: float) -> torch.Tensor:
    """CP(β) = CE − β·H(p(·|x)), batch-averaged."""
    log_p = F.log_softmax(logits, dim=-1)
    ent = -(log_p.exp() * log_p).sum(-1).mean()
    return cross_entropy(logits, target) - beta * ent


class VIBOutputLoss(nn.Module):
    """VIB on the output: ``Σ_z p(z|x)·(−log q_φ(y|z)) + β·KL(p(·|x) ‖ r)``.

    ``q_φ(y|z) = softmax(φ_z)`` is a learnable K×K table, initialised to the identity map
    ``q_φ(y|z) ∝ exp(log K · 1[y=z])`` so that training starts from the fixed-identity
    classifier of LS and CP (SPEC §1) instead of a symmetric point. Its parameters must be
    optimised together with the model's.
    """

    def __init__(self, num_classes: int, beta: float, r: torch.Tensor | None = None) -> None:
        super().__init__()
        self.beta = beta
        self.classifier_logits = nn.Parameter(torch.eye(num_classes) * math.log(num_classes))
        r = torch.full((num_classes,), 1.0 / num_classes) if r is None else r
        self.register_buffer("log_r", torch.log(r))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits, dim=-1)  # (B, K_z)
        log_q = F.log_softmax(self.classifier_logits, dim=-1)  # (K_z, K_y)
        t = target_distribution(target, logits.shape[-1]).to(log_p)
        # Σ_z p(z|x) Σ_y p̂(y|x) (−log q(y|z))
        distortion = -(log_p.exp() * (t @ log_q.T)).sum(-1)
        kl = (log_p.exp() * (log_p - self.log_r.to(log_p))).sum(-1)
        return (distortion + self.beta * kl).mean()


class Objective(nn.Module):
    """A named SPEC §3 objective with its coefficient, callable as ``loss(logits, target)``.

    ``name`` is one of :data:`OBJECTIVES`; ``coef`` is ε for ``ls`` and β for ``cp``/``vib``
    (ignored for ``ce``).
    """

    def __init__(self, name: str, coef: float, num_classes: int) -> None:
        super().__init__()
        if name not in OBJECTIVES:
            raise ValueError(f"unknown objective {name!r}; choose one of {OBJECTIVES}")
        if name == "ls" and not 0.0 <= coef <= 1.0:
            raise ValueError(f"label smoothing ε must lie in [0, 1], got {coef}")
        if name in ("cp", "vib") and coef < 0:
            raise ValueError(f"β must be non-negative, got {coef}")
        self.name, self.coef = name, float(coef)
        self.vib = VIBOutputLoss(num_classes, self.coef) if name == "vib" else None

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.name == "ce":
            return cross_entropy(logits, target)
        if self.name == "ls":
            return label_smoothing(logits, target, self.coef)
        if self.name == "cp":
            return confidence_penalty(logits, target, self.coef)
        assert self.vib is not None
        return self.vib(logits, target)
