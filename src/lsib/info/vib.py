"""Exact optima that need an iterative search (Assumption 4.3): VIB on the output, best smoothing.

- VIB(β) on the output with a learnable K×K classifier table (:func:`vib_optimum`), by
  alternating exact minimisation over the encoder and the classifier;
- the best class-conditional smoothing at a given Î(X;Z) (:func:`best_smoothing`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lsib.info.information import EmpiricalData, as_float64, information_plane, safe_log
from lsib.info.optima import class_conditional_encoder
from lsib.info.theory import uniform


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


def vib_objective(
    encoder: torch.Tensor, classifier: torch.Tensor, data: EmpiricalData, beta: float, r: torch.Tensor
) -> float:
    """``Σ_x p̂(x) [Σ_z p(z|x) Σ_y p̂(y|x)(−log q(y|z)) + β·KL(p(·|x) ‖ r)]`` (SPEC §3, as trained)."""
    distortion = -(encoder * (data.pyx @ safe_log(classifier).T)).sum(-1)
    kl = (torch.special.xlogy(encoder, encoder) - encoder * torch.log(r)).sum(-1)
    return float((distortion + beta * kl) @ data.px)


def vib_optimum(
    data: EmpiricalData, beta: float, r: torch.Tensor | None = None, max_iters: int = 5000, tol: float = 1e-12
) -> VIBOptimum:
    """VIB(β) on the output with a learnable classifier table, by alternating exact minimisation.

    Objective (SPEC §3, :class:`lsib.train.losses.VIBOutputLoss`, averaged with p̂(x)):
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
        joint = encoder.T @ pxy  # p(z, y)
        pz = joint.sum(-1, keepdim=True)
        classifier = torch.where(pz > 0, joint / pz.clamp_min(1e-300), classifier)
        trace.append(vib_objective(encoder, classifier, data, beta, r))
        encoder = torch.softmax(torch.log(r) + data.pyx @ safe_log(classifier).T / beta, dim=-1)
        trace.append(vib_objective(encoder, classifier, data, beta, r))
        if trace[-3] - trace[-1] < tol:
            converged = True
            break
    return VIBOptimum(encoder=encoder, classifier=classifier, objective=np.array(trace), converged=converged)


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
    return BestSmoothing(
        beta=np.asarray(betas, dtype=np.float64),
        i_xz=np.array([r[0] for r in result]),
        i_zy=np.array([r[1] for r in result]),
        channel=torch.stack([r[2] for r in result]),
    )


def _maximise_channel(data: EmpiricalData, beta: float, start: torch.Tensor, max_iters: int) -> torch.Tensor:
    """L-BFGS on ``−Î(Z;Y) + β·Î(X;Z)`` of the channel ``softmax(logits)``, from ``start``."""
    logits = start.detach().clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [logits],
        lr=1.0,
        max_iter=max_iters,
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        i_xz, i_zy = _channel_information(logits, data)
        loss = -i_zy + beta * i_xz
        loss.backward()
        return loss

    optimizer.step(closure)
    return logits.detach()
