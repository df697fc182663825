"""Exact optimum encoders of every training objective under model flexibility (Assumption 4.3).

A flexible model minimises its objective separately on each unique input x, so its encoder is
a function of the empirical label distribution ``q = p̂(·|x)`` alone. For an empirical table
(p̂(x), p̂(y|x)) this module gives that optimum for each objective of SPEC §3 (and for label
transformations beyond them), so its exact information-plane point follows from SPEC §2:

- class-conditional LS, ``q^ε(z|y) = (1−ε)·1[z=y] + ε·R[y, z]`` with a K×K row-stochastic R:
  ``p(z|x) = Σ_y p̂(y|x) q^ε(z|y) = (1−ε)·p̂(z|x) + ε·(p̂(·|x) R)(z)``; a smoothing distribution
  r is the special case ``R = 1 rᵀ`` (uniform r: Prop. 4.5);
- temperature sharpening: ``p(z|x) ∝ p̂(z|x)^(1/T)`` (T < 1 sharpens, T → 0 the argmax);
- CP(β): ``argmin_p Σ_y q(y)(−log p(y)) − β·H(p)`` on the simplex (:func:`cp_encoder`);
- LS(ε) (Prop. 4.5): ``p(z|x) = (1−ε)·p̂(z|x) + ε·r(z)`` (:func:`ls_optimal_encoder`,
  :func:`ls_optimum_path`).

VIB(β) and the best class-conditional smoothing at a given Î(X;Z) are in :mod:`lsib.info.vib`.

Every encoder here depends on x only through p̂(·|x), so inputs with identical label rows may be
merged (:func:`merge_identical_rows`) without changing any information value.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from lsib.info.information import (
    EmpiricalData,
    as_float64,
    information_plane,
)
from lsib.info.theory import uniform


def merge_identical_rows(data: EmpiricalData) -> EmpiricalData:
    """The same data with inputs of identical ``p̂(·|x)`` merged into one (their p̂(x) summed).

    For an encoder that depends on x only through ``p̂(·|x)`` (all of this module's), Î(X;Z) and
    Î(Z;Y) are unchanged: the merged inputs share one KL term and one contribution to p(z, y).
    CIFAR-10H's 10,000 images have 2,923 distinct label rows.
    """
    rows, inverse = torch.unique(data.pyx, dim=0, return_inverse=True)
    px = torch.zeros(len(rows), dtype=torch.float64).index_add_(0, inverse, data.px)
    return EmpiricalData(px=px, pyx=rows)


def smoothing_matrix(r: torch.Tensor | np.ndarray) -> torch.Tensor:
    """``R = 1 rᵀ``: every class smoothed towards the same distribution r (shape ``(K,)``)."""
    r = as_float64(r)
    _check_distribution(r, "r")
    return r.expand(len(r), len(r)).clone()


def confusion_smoothing(pyx: torch.Tensor) -> torch.Tensor:
    """Human confusion as a smoothing matrix: row y is the mean ``p̂(·|x)`` over the inputs whose
    majority label (argmax p̂(y|x), first on ties) is y, with its diagonal removed and renormalised.

    Raises:
        ValueError: if a class is nobody's majority label or its row has no off-diagonal mass.
    """
    pyx = as_float64(pyx)
    k = pyx.shape[1]
    majority = pyx.argmax(dim=1)
    sums = torch.zeros(k, k, dtype=torch.float64).index_add_(0, majority, pyx)
    counts = torch.bincount(majority, minlength=k)
    if (counts == 0).any():
        raise ValueError(f"classes {torch.nonzero(counts == 0).flatten().tolist()} are no input's majority label")
    off = sums / counts[:, None] * (1 - torch.eye(k, dtype=torch.float64))
    mass = off.sum(dim=1, keepdim=True)
    if (mass <= 0).any():
        raise ValueError("a class is never confused with another: its confusion row is all diagonal")
    return off / mass


def _check_distribution(p: torch.Tensor, name: str) -> None:
    """Reject anything that is not a probability vector (or row-stochastic matrix) along its last axis."""
    if (p < 0).any() or not torch.allclose(p.sum(-1), torch.ones((), dtype=p.dtype), atol=1e-9):
        raise ValueError(f"{name} must be non-negative and sum to 1 along its last axis")


def class_conditional_encoder(
    pyx: torch.Tensor, eps: torch.Tensor | np.ndarray | float, smoothing: torch.Tensor
) -> torch.Tensor:
    """LS optimum with a class-conditional target: ``p(z|x) = (1−ε)·p̂(z|x) + ε·Σ_y p̂(y|x) R[y, z]``.

    Args:
        pyx: ``(M, K)`` empirical label distribution.
        eps: scalar or ``(E,)`` smoothing strengths in [0, 1].
        smoothing: ``(K, K)`` row-stochastic R (row y: where class y's mass ε goes).

    Returns:
        ``(M, K)`` for a scalar ε, else ``(E, M, K)``.
    """
    pyx, smoothing = as_float64(pyx), as_float64(smoothing)
    _check_distribution(smoothing, "R")
    e = as_float64(eps)
    if ((e < 0) | (e > 1)).any():
        raise ValueError("ε must lie in [0, 1]")
    e = e[..., None, None]
    return (1 - e) * pyx + e * (pyx @ smoothing)


def sharpened_encoder(pyx: torch.Tensor, temperature: torch.Tensor | np.ndarray | float) -> torch.Tensor:
    """Temperature-scaled targets ``p(z|x) = p̂(z|x)^(1/T) / Σ_z' p̂(z'|x)^(1/T)`` for T > 0.

    T = 1 is p̂ itself, T < 1 sharpens towards the argmax (ties shared), T > 1 flattens towards
    uniform over the labels given. Returns ``(M, K)`` for a scalar T, else ``(E, M, K)``.
    """
    t = as_float64(temperature)
    if (t <= 0).any():
        raise ValueError("temperature T must be positive")
    log_p = torch.log(as_float64(pyx))  # −inf where p̂ = 0
    return torch.softmax(log_p / t[..., None, None], dim=-1)


def ls_optimal_encoder(pyx: torch.Tensor, eps: torch.Tensor | float, r: torch.Tensor | None = None) -> torch.Tensor:
    """Prop. 4.5: ``p(z|x) = (1−ε) p̂(z|x) + ε r(z)`` for each ε.

    Args:
        pyx: ``(M, K)`` empirical label distribution per unique input.
        eps: scalar or ``(E,)`` smoothing strengths in ``[0, 1]``.
        r: smoothing distribution ``(K,)``; uniform when omitted.

    Returns:
        ``(M, K)`` for a scalar ε, else ``(E, M, K)``.
    """
    pyx = as_float64(pyx)
    r = uniform(pyx.shape[1]) if r is None else as_float64(r)
    e = as_float64(eps)
    if ((e < 0) | (e > 1)).any():
        raise ValueError("ε must lie in [0, 1]")
    e = e[..., None, None]
    return (1 - e) * pyx + e * r


def ls_optimum_path(data: EmpiricalData, eps: np.ndarray, r: torch.Tensor | None = None) -> dict[str, np.ndarray]:
    """Exact information-plane point of the LS optimum for every ε (Prop. 4.5 plugged into §2).

    Returns arrays ``eps``, ``i_xz``, ``i_zy`` of the same length as ``eps``.
    """
    eps = np.asarray(eps, dtype=np.float64).reshape(-1)
    plane = information_plane(ls_optimal_encoder(data.pyx, torch.from_numpy(eps), r), data)
    return {"eps": eps, "i_xz": plane["i_xz"].numpy(), "i_zy": plane["i_zy"].numpy()}


def cp_objective(p: torch.Tensor, q: torch.Tensor, beta: float) -> torch.Tensor:
    """Per-row CP objective ``Σ_y q(y)(−log p(y)) − β·H(p)`` (``0·log 0 = 0``)."""
    return -torch.special.xlogy(q, p).sum(-1) + beta * torch.special.xlogy(p, p).sum(-1)


def cp_stationarity(log_p: torch.Tensor, q: torch.Tensor, beta: float) -> torch.Tensor:
    """Spread (max − min over y) of ``∂/∂p(y) = −q(y)/p(y) + β(log p(y) + 1)`` per row, from ``log p``.

    At an interior point of the simplex the KKT conditions say this gradient is the same for
    every y (the multiplier of Σ p = 1), so the spread is 0 at the CP optimum.
    """
    g = torch.where(q > 0, -q * torch.exp(-log_p), 0.0) + beta * (log_p + 1)
    return g.amax(-1) - g.amin(-1)


def _log_w_of_exp(level: torch.Tensor, iters: int = 60) -> torch.Tensor:
    """``s`` with ``e^s + s = L`` (so ``e^s = W(e^L)``, Lambert W), by Newton; ``L = −∞ → s = −∞``.

    ``g(s) = e^s + s − L`` is increasing and convex, and ``s0 = min(L, log L)`` (for L > 1) lies
    at or right of the root, so Newton descends monotonically onto it.
    """
    finite = torch.isfinite(level)
    lv = torch.where(finite, level, torch.zeros_like(level))
    s = torch.where(lv > 1, torch.log(lv.clamp_min(1.0)), lv)
    for _ in range(iters):
        es = torch.exp(s)
        step = (es + s - lv) / (es + 1)
        s = s - step
        if float(step.abs().max()) <= 1e-15 * max(1.0, float(s.abs().max())):
            break
    return torch.where(finite, s, torch.full_like(s, -math.inf))


def _cp_log_p(log_q: torch.Tensor, beta: float, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``log p(y)`` at multiplier ``t`` and ``d log p(y)/dt``, from ``p(β log p + βt) = q``.

    With ``s = log W((q/β) e^t)``: ``log p = log q − log β − s`` (q > 0), ``−t`` where q = 0;
    ``d log p / dt = −1/(1 + e^s)``.
    """
    s = _log_w_of_exp(log_q - math.log(beta) + t[:, None])
    log_p = torch.where(torch.isfinite(log_q), log_q - math.log(beta) - s, -t[:, None].expand_as(log_q))
    return log_p, -1.0 / (1.0 + torch.exp(s))


def cp_encoder(pyx: torch.Tensor, beta: float) -> torch.Tensor:
    """CP(β) optimum per input (``exp`` of :func:`cp_log_encoder`)."""
    return torch.exp(cp_log_encoder(pyx, beta))


def cp_log_encoder(pyx: torch.Tensor, beta: float, max_iters: int = 200) -> torch.Tensor:
    """``log p`` of the CP(β) optimum ``p = argmin_{p ∈ Δ} Σ_y q(y)(−log p(y)) − β·H(p)``, q = p̂(·|x).

    Kept in logs because p(y) = e^{−t} underflows where q(y) = 0 and β is small.

    The objective is strictly convex, so the KKT point is the minimum. Stationarity with the
    multiplier of ``Σ p = 1`` written as ``β(t − 1)``: ``q(y)/p(y) = β(log p(y) + t)``, i.e.
    ``p(y) = q(y) / (β·W((q(y)/β)·e^t))`` (Lambert W; ``p(y) = e^{−t}`` where q(y) = 0), every
    p(y) > 0 for β > 0. Multiplying by p(y) and summing gives ``t = 1/β + H(p)``, so t lies in
    ``[1/β, 1/β + log K]``, where ``Σ_y p(y)`` falls monotonically in t; safeguarded Newton on
    ``log Σ_y p(y) = 0`` finds it to machine precision. β = 0 gives CE's optimum p = q.
    """
    q = as_float64(pyx)
    if beta < 0:
        raise ValueError(f"β must be non-negative, got {beta}")
    if beta == 0:
        return torch.log(q)
    log_q = torch.log(q)
    lo = torch.full((q.shape[0],), 1.0 / beta, dtype=torch.float64)
    hi = lo + math.log(q.shape[1])
    t = lo.clone()
    for _ in range(max_iters):
        log_p, dlog_p = _cp_log_p(log_q, beta, t)
        total = torch.logsumexp(log_p, dim=-1)  # log Σ p, decreasing in t
        lo = torch.where(total > 0, t, lo)
        hi = torch.where(total > 0, hi, t)
        slope = (torch.softmax(log_p, -1) * dlog_p).sum(-1)  # d log Σ p / dt < 0
        newton = t - total / slope
        inside = (newton > lo) & (newton < hi)
        t_next = torch.where(inside, newton, 0.5 * (lo + hi))
        if float((t_next - t).abs().max()) <= 4e-16 * float(hi.abs().max()):
            break
        t = t_next
    log_p, _ = _cp_log_p(log_q, beta, t)
    return torch.log_softmax(log_p, dim=-1)
