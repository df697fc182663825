"""Tabular IB Lagrangian solver (SPEC §3 last item, §5 E2; paper §5.2.2).

For an M×K logit table ``W`` with encoder ``p(z|x_j) = softmax(W_j)`` it minimises, for every
β of a grid at once,

    plain:    L_β(W) = −Î(Z;Y) + β·Î(X;Z)
    squared:  L_β(W) = −Î(Z;Y) + β·Î(X;Z)²      (Kolchinsky et al. 2018)

with the exact §2 sums. The β grid is one batched table ``(B, M, K)`` and one vectorised Adam
update; since Adam is elementwise and ``L = Σ_β L_β`` separates, each β follows exactly the
trajectory it would follow alone. Each β stops (its rows freeze) once its loss changed by
less than ``tol`` over the last ``window`` iterations, so easy β values do not wait for hard
ones and the solver stops on convergence rather than after a fixed count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lsib.information import EmpiricalData, entropy, information_plane
from lsib.theory import ls_optimal_encoder

VARIANTS = ("plain", "squared")


@dataclass(frozen=True)
class SolverSettings:
    """Optimisation settings of the tabular solver.

    Attributes:
        lr: Adam step size on the logits.
        max_iters: hard cap on iterations for every β.
        tol: a β has converged when its loss changed by less than ``tol`` nats over ``window``.
        window: iterations between convergence checks.
        init_eps: the table starts at the LS optimum of this ε, ``log((1−ε)p̂(z|x) + ε/K)``,
            plus Gaussian noise of sd ``init_noise`` (seeded) to break ties between classes.
        init_noise: sd of that noise.
        seed: seed of the noise.
    """

    lr: float = 0.05
    max_iters: int = 5000
    tol: float = 1e-6
    window: int = 50
    init_eps: float = 0.1
    init_noise: float = 0.1
    seed: int = 0


def ib_objective(plane: dict[str, torch.Tensor], betas: torch.Tensor, variant: str) -> torch.Tensor:
    """Per-β Lagrangian ``−Î(Z;Y) + β·Î(X;Z)`` (plain) or ``… + β·Î(X;Z)²`` (squared)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown IB variant {variant!r}; choose one of {VARIANTS}")
    compression = plane["i_xz"] if variant == "plain" else plane["i_xz"] ** 2
    return -plane["i_zy"] + betas * compression


def lagrangian_and_grad(
    logits: torch.Tensor, data: EmpiricalData, beta: torch.Tensor, variant: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-β loss, Î(X;Z), Î(Z;Y) and the analytic gradient ``∂L_β/∂W`` of a ``(B, M, K)`` table.

    With ``p = softmax(W)`` the encoder derivatives are closed-form (SPEC §2 sums):

        ∂Î(X;Z)/∂p(z|x) = p̂(x)·[log p(z|x) − log p(z)]
        ∂Î(Z;Y)/∂p(z|x) = p̂(x)·Σ_y p̂(y|x) log p(y|z)          (up to a per-x constant)

    and the softmax chain rule gives ``∂L/∂W = p ⊙ (g − Σ_z p g)``. This is the autograd
    gradient of :func:`ib_objective` (a test checks it) at about a third of the cost.
    """
    log_p = torch.log_softmax(logits, dim=-1)
    p = log_p.exp()
    px, pyx = data.px, data.pyx
    weighted = p * px[:, None]                       # p̂(x) p(z|x)
    pz = weighted.sum(-2)                            # (B, K)
    pzy = weighted.mT @ pyx                          # (B, K_z, K_y)
    log_pz = torch.log(pz)
    h_z = -(pz * log_pz).sum(-1)
    h_zx = -((p * log_p).sum(-1) * px).sum(-1)
    i_xz = h_z - h_zx
    log_py_given_z = torch.log(pzy) - log_pz[..., :, None]
    i_zy = entropy(data.py) + torch.special.xlogy(pzy, pzy / pz[..., :, None]).sum((-2, -1))
    loss = -i_zy + beta * (i_xz if variant == "plain" else i_xz**2)
    weight = beta if variant == "plain" else 2 * beta * i_xz
    grad_p = px[:, None] * (
        weight[:, None, None] * (log_p - log_pz[..., None, :]) - pyx @ log_py_given_z.mT
    )
    grad_w = p * (grad_p - (p * grad_p).sum(-1, keepdim=True))
    return loss, i_xz, i_zy, grad_w


def solve_ib(
    data: EmpiricalData,
    betas: Sequence[float],
    variant: str = "plain",
    settings: SolverSettings = SolverSettings(),
    log: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Minimise the IB Lagrangian for every β of ``betas`` in one batched optimisation.

    Returns a dict of arrays, one entry per β: ``beta``, ``i_xz``, ``i_zy``, ``loss``,
    ``grad_norm`` (of the final iterate), ``iterations`` (until convergence or the cap),
    ``converged`` (bool), and the scalar-per-run ``seconds`` broadcast to every β.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown IB variant {variant!r}; choose one of {VARIANTS}")
    start = time.perf_counter()
    s = settings
    beta = torch.as_tensor(np.asarray(betas, dtype=np.float64))
    n_beta = len(beta)
    gen = torch.Generator().manual_seed(s.seed)
    init = torch.log(ls_optimal_encoder(data.pyx, s.init_eps))
    noise = s.init_noise * torch.randn((n_beta, *init.shape), generator=gen, dtype=torch.float64)
    logits = init + noise

    m = torch.zeros_like(logits)
    v = torch.zeros_like(logits)
    b1, b2, adam_eps = 0.9, 0.999, 1e-8
    active = torch.ones(n_beta, dtype=torch.bool)
    iterations = torch.zeros(n_beta, dtype=torch.int64)
    last_check = torch.full((n_beta,), float("inf"), dtype=torch.float64)

    for it in range(1, s.max_iters + 1):
        with torch.no_grad():
            loss, _, _, grad = lagrangian_and_grad(logits, data, beta, variant)
            mask = active[:, None, None].to(grad.dtype)
            m.mul_(1 - (1 - b1) * mask).add_((1 - b1) * mask * grad)
            v.mul_(1 - (1 - b2) * mask).add_((1 - b2) * mask * grad * grad)
            # bias correction by each β's own step count
            steps = (iterations + active.long()).clamp(min=1).to(grad.dtype)[:, None, None]
            update = s.lr * (m / (1 - b1**steps)) / ((v / (1 - b2**steps)).sqrt() + adam_eps)
            logits -= mask * update
            iterations += active.long()
            if it % s.window == 0:
                current = loss.detach()
                done = (last_check - current).abs() < s.tol
                active &= ~done
                last_check = torch.where(active, current, last_check)
                if log is not None:
                    log(f"[{variant}] iter {it}: {int(active.sum())}/{n_beta} β still moving, "
                        f"loss range [{float(current.min()):.5f}, {float(current.max()):.5f}]")
                if not active.any():
                    break

    loss, _, _, grad = lagrangian_and_grad(logits, data, beta, variant)
    plane = information_plane(torch.softmax(logits, -1), data)
    seconds = time.perf_counter() - start
    return {
        "beta": beta.numpy(),
        "i_xz": plane["i_xz"].numpy(),
        "i_zy": plane["i_zy"].numpy(),
        "loss": loss.numpy(),
        "grad_norm": grad.flatten(1).norm(dim=1).numpy(),
        "iterations": iterations.numpy(),
        "converged": (~active).numpy(),
        "seconds": np.full(n_beta, seconds),
    }
