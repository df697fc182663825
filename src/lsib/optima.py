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
- VIB(β) on the output with a learnable K×K classifier table (:func:`vib_optimum`);
- the best class-conditional smoothing at a given Î(X;Z) (:func:`best_smoothing`).

Every encoder here depends on x only through p̂(·|x), so inputs with identical label rows may be
merged (:func:`merge_identical_rows`) without changing any information value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lsib.information import EmpiricalData, as_float64, information_plane
from lsib.theory import uniform


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


def class_conditional_encoder(pyx: torch.Tensor, eps: torch.Tensor | np.ndarray | float, smoothing: torch.Tensor
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
    log_p = torch.log(as_float64(pyx))                                  # −inf where p̂ = 0
    return torch.softmax(log_p / t[..., None, None], dim=-1)


# ---------------------------------------------------------------- confidence penalty


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
        total = torch.logsumexp(log_p, dim=-1)                       # log Σ p, decreasing in t
        lo = torch.where(total > 0, t, lo)
        hi = torch.where(total > 0, hi, t)
        slope = (torch.softmax(log_p, -1) * dlog_p).sum(-1)          # d log Σ p / dt < 0
        newton = t - total / slope
        inside = (newton > lo) & (newton < hi)
        t_next = torch.where(inside, newton, 0.5 * (lo + hi))
        if float((t_next - t).abs().max()) <= 4e-16 * float(hi.abs().max()):
            break
        t = t_next
    log_p, _ = _cp_log_p(log_q, beta, t)
    return torch.log_softmax(log_p, dim=-1)


# ---------------------------------------------------------------- VIB on the output


@dataclass(frozen=True)
class VIBOptimum:
    """Result of :func:`vib_optimum`.

    Attributes:
        encoder: ``(M, K)`` p(z|x) at the last step.
        classifier: ``(K, K)`` q(y|z) at the last step.
        objective: the VIB objective after every half step (encoder, classifier, encoder, …),
            starting with its value at the initial classifier and encoder.
        converged: the last full step lowered the objective by less than ``tol``.
    """

    encoder: torch.Tensor
    classifier: torch.Tensor
    objective: np.ndarray
    converged: bool


def safe_log(p: torch.Tensor) -> torch.Tensor:
    """``log p`` with 0 mapped to the log of the smallest normal float, so ``0 · log 0 = 0`` in sums."""
    return torch.log(p.clamp_min(torch.finfo(p.dtype).tiny))


def vib_objective(encoder: torch.Tensor, classifier: torch.Tensor, data: EmpiricalData, beta: float,
                  r: torch.Tensor) -> float:
    """``Σ_x p̂(x) [Σ_z p(z|x) Σ_y p̂(y|x)(−log q(y|z)) + β·KL(p(·|x) ‖ r)]`` (SPEC §3, as trained)."""
    distortion = -(encoder * (data.pyx @ safe_log(classifier).T)).sum(-1)
    kl = (torch.special.xlogy(encoder, encoder) - encoder * torch.log(r)).sum(-1)
    return float((distortion + beta * kl) @ data.px)


def vib_optimum(data: EmpiricalData, beta: float, r: torch.Tensor | None = None, max_iters: int = 5000,
                tol: float = 1e-12) -> VIBOptimum:
    """VIB(β) on the output with a learnable classifier table, by alternating exact minimisation.

    Objective (SPEC §3, :class:`lsib.losses.VIBOutputLoss`, averaged with p̂(x)):
    ``J(p, q) = Σ_x p̂(x) [Σ_z p(z|x) d(x, z) + β·KL(p(·|x) ‖ r)]``, ``d(x, z) = Σ_y p̂(y|x)(−log q(y|z))``.
    Each half step is the exact minimiser of J in one block, so J never increases:

    - encoder, q fixed (convex, per x): ``p(z|x) ∝ r(z)·exp(−d(x, z)/β)``;
    - classifier, p fixed: ``q(y|z) = p(z, y)/p(z)``, ``p(z, y) = Σ_x p̂(x) p(z|x) p̂(y|x)``.

    The classifier starts where training starts it, ``q(y|z) = softmax_y(log K · 1[y=z])``. At a
    fixed point ``J = Ĥ(Y|Z) + β·Î(X;Z) + β·KL(p(z) ‖ r)``: the IB Lagrangian (with 1/β) plus a
    pull of the marginal towards r. Stops when a full step lowers J by less than ``tol``.
    """
    if beta <= 0:
        raise ValueError(f"VIB needs β > 0, got {beta}")
    k = data.num_classes
    r = uniform(k) if r is None else as_float64(r)
    classifier = torch.softmax(torch.eye(k, dtype=torch.float64) * math.log(k), dim=-1)
    pxy = data.px[:, None] * data.pyx
    trace: list[float] = []
    encoder = torch.softmax(torch.log(r) + data.pyx @ safe_log(classifier).T / beta, dim=-1)
    trace.append(vib_objective(encoder, classifier, data, beta, r))
    converged = False
    for _ in range(max_iters):
        joint = encoder.T @ pxy                                            # p(z, y)
        pz = joint.sum(-1, keepdim=True)
        classifier = torch.where(pz > 0, joint / pz.clamp_min(1e-300), classifier)
        trace.append(vib_objective(encoder, classifier, data, beta, r))
        encoder = torch.softmax(torch.log(r) + data.pyx @ safe_log(classifier).T / beta, dim=-1)
        trace.append(vib_objective(encoder, classifier, data, beta, r))
        if trace[-3] - trace[-1] < tol:
            converged = True
            break
    return VIBOptimum(encoder=encoder, classifier=classifier, objective=np.array(trace), converged=converged)


# ---------------------------------------------------------------- best class-conditional smoothing


@dataclass(frozen=True)
class BestSmoothing:
    """Result of :func:`best_smoothing`, one entry per β.

    Attributes:
        beta: the Lagrange multipliers, as given.
        i_xz, i_zy: the information-plane point of the best channel found for each β.
        channel: ``(B, K, K)`` row-stochastic ``Q = (1−ε) I + ε R`` (the encoder is ``p̂(·|x) Q``).
    """

    beta: np.ndarray
    i_xz: np.ndarray
    i_zy: np.ndarray
    channel: torch.Tensor


def _channel_information(logits: torch.Tensor, data: EmpiricalData) -> tuple[torch.Tensor, torch.Tensor]:
    """Î(X;Z), Î(Z;Y) (differentiable) of the encoder ``p̂(·|x) softmax(logits)``."""
    plane = information_plane(data.pyx @ torch.softmax(logits, dim=-1), data)
    return plane["i_xz"], plane["i_zy"]


def best_smoothing(
    data: EmpiricalData,
    betas: Sequence[float],
    starts: Sequence[torch.Tensor],
    start_eps: np.ndarray = np.linspace(0.0, 1.0, 101),
    max_iters: int = 300,
) -> BestSmoothing:
    """The class-conditional smoothing that carries most about Y for its compression.

    Every ``(1−ε) I + ε R`` with R row-stochastic and ε ∈ [0, 1] is a row-stochastic K×K channel
    Q and every such Q is one (ε = 1, R = Q), so the ceiling of the LS family of SPEC §3 with
    class-conditional targets is traced by ``max_Q Î(Z;Y) − β·Î(X;Z)`` for the encoder
    ``p(z|x) = Σ_y p̂(y|x) Q[y, z]`` over a grid of β ∈ (0, 1): the IB Lagrangian restricted to
    smoothing channels. Q = softmax of a K×K logit table, optimised by L-BFGS (strong-Wolfe line
    search) on the exact §2 sums with autograd, float64. Each β starts from the best point of the
    LS families in ``starts`` (R matrices, over ``start_eps``) for that β and from the previous
    β's solution; the better end point is kept, so for every β the result beats every start
    family — a local search, not a certificate of global optimality.
    """
    k = data.num_classes
    eye = torch.eye(k, dtype=torch.float64)
    family = torch.cat([class_conditional_encoder(eye, torch.from_numpy(start_eps), r) for r in starts])
    family_logits = torch.log(family.clamp_min(1e-12))
    with torch.no_grad():
        family_plane = information_plane(data.pyx @ family, data)
    result: list[tuple[float, float, torch.Tensor]] = []
    previous: torch.Tensor | None = None
    for beta in betas:
        best_start = int(torch.argmax(family_plane["i_zy"] - beta * family_plane["i_xz"]))
        tries = [family_logits[best_start]] + ([previous] if previous is not None else [])
        ends = [_maximise_channel(data, float(beta), w, max_iters) for w in tries]
        scores = [float(i_zy - beta * i_xz) for i_xz, i_zy in (_channel_information(w, data) for w in ends)]
        previous = ends[int(np.argmax(scores))]
        with torch.no_grad():
            i_xz, i_zy = _channel_information(previous, data)
        result.append((float(i_xz), float(i_zy), torch.softmax(previous, -1)))
    return BestSmoothing(beta=np.asarray(betas, dtype=np.float64), i_xz=np.array([r[0] for r in result]),
                         i_zy=np.array([r[1] for r in result]), channel=torch.stack([r[2] for r in result]))


def _maximise_channel(data: EmpiricalData, beta: float, start: torch.Tensor, max_iters: int) -> torch.Tensor:
    """L-BFGS on ``−Î(Z;Y) + β·Î(X;Z)`` of the channel ``softmax(logits)``, from ``start``."""
    logits = start.detach().clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([logits], lr=1.0, max_iter=max_iters, tolerance_grad=1e-10,
                                  tolerance_change=1e-14, history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        i_xz, i_zy = _channel_information(logits, data)
        loss = -i_zy + beta * i_xz
        loss.backward()
        return loss

    optimizer.step(closure)
    return logits.detach()
