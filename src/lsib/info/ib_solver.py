"""Tabular IB Lagrangian solver (SPEC §3 last item, §5 E2; paper §5.2.2).

For an M×K logit table ``W`` with encoder ``p(z|x_j) = softmax(W_j)`` it minimises, for every
β of a grid at once,

    plain:    L_β(W) = −Î(Z;Y) + β·Î(X;Z)
    squared:  L_β(W) = −Î(Z;Y) + β·Î(X;Z)²      (Kolchinsky et al. 2018)

with the exact §2 sums, by Adam (``torch.optim.Adam``) on ``W`` with the analytic gradient of
:func:`lagrangian_and_grad`. The β grid is one batched table and one vectorised Adam update;
since Adam is elementwise and ``L = Σ_β L_β`` separates, each β follows the trajectory it would
follow alone from its row of the seeded initial table (up to floating-point rounding).

Convergence: every ``window`` iterations the loss of each β still running is evaluated in
float64; a β whose loss changed by less than ``tol`` nats since the previous check has
converged. Its table is stored and its rows leave the batch (the table and Adam's moments are
re-indexed to the β values still running), so easy β values cost nothing while hard ones
finish, and the solver stops on convergence rather than after a fixed count. With a constant
step Adam ends hovering around the minimum. Checked on CIFAR-10H (plain, β from 0.85 to 0.985,
running on to 20,000 iterations): no converged loss went down any further (they drift up by up
to 1e-5 nats), and Î(X;Z), Î(Z;Y) moved by at most 1e-4 nats, except at β = 0.985 next to the
plain Lagrangian's jump to the trivial encoder, where the loss is flat along the way to
Î(X;Z) = 0 and the point slid from Î(X;Z) = 0.0015 to 0.

Speed (CIFAR-10H, M = 10,000, K = 10, 12 β values: 6–9 ms per iteration on one core, about
1,850 iterations for the slowest β at the default lr): the Adam iterations run in
``settings.dtype`` (float32 by default, half the memory traffic of float64) on a class-major
``(B, K, M)`` copy of the table, where every sum over z runs across contiguous length-M rows;
the convergence checks and everything returned are float64.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lsib.info.information import EmpiricalData, entropy, information_plane
from lsib.info.optima import ls_optimal_encoder

VARIANTS = ("plain", "squared")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class SolverSettings:
    """Optimisation settings of the tabular solver.

    Attributes:
        lr: Adam step size on the logits. At 0.05 the CIFAR-10H grid needed twice the
            iterations (3,850 for β = 0.05) and stopped at slightly higher losses; at 0.5 Adam's
            oscillation left losses up to 4e-5 nats above those of 0.2.
        max_iters: hard cap on iterations for every β.
        tol: a β has converged when its float64 loss changed by less than ``tol`` nats between
            two checks ``window`` iterations apart.
        window: iterations between convergence checks.
        init_eps: the table starts at the LS optimum of this ε, ``log((1−ε)p̂(z|x) + ε/K)``,
            plus Gaussian noise of sd ``init_noise`` (seeded) to break ties between classes.
        init_noise: sd of that noise.
        seed: seed of the noise.
        dtype: floating type of the Adam iterations, ``"float32"`` or ``"float64"``.
        num_threads: torch intra-op threads while solving (restored afterwards); ``None`` keeps
            the caller's setting. One thread is the default because it is robust: on two idle
            cores two threads took 4 ms per CIFAR-10H iteration against 6 ms for one, but with
            the other core busy (a training job) two threads made every tensor op about 20×
            slower.
    """

    lr: float = 0.2
    max_iters: int = 5000
    tol: float = 1e-6
    window: int = 50
    init_eps: float = 0.1
    init_noise: float = 0.1
    seed: int = 0
    dtype: str = "float32"
    num_threads: int | None = 1


def ib_objective(plane: dict[str, torch.Tensor], betas: torch.Tensor, variant: str) -> torch.Tensor:
    """Per-β Lagrangian ``−Î(Z;Y) + β·Î(X;Z)`` (plain) or ``… + β·Î(X;Z)²`` (squared)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown IB variant {variant!r}; choose one of {VARIANTS}")
    compression = plane["i_xz"] if variant == "plain" else plane["i_xz"] ** 2
    return -plane["i_zy"] + betas * compression


def _class_major_lagrangian_and_grad(
    logits: torch.Tensor, px: torch.Tensor, pyx: torch.Tensor, beta: torch.Tensor, variant: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`lagrangian_and_grad` on a class-major table ``W[b, z, x]`` of shape ``(B, K, M)``.

    Args:
        logits: ``(B, K, M)`` logits; any float dtype, all other tensors in the same one.
        px: ``p̂(x)``, shape ``(M,)``.
        pyx: ``p̂(y|x)``, shape ``(M, K)``.
        beta: ``(B,)``.
        variant: ``"plain"`` or ``"squared"``.

    Returns:
        Per-β loss, Î(X;Z), Î(Z;Y) (each ``(B,)``) and ``∂L_β/∂W`` in the layout of ``logits``.
    """
    tiny = torch.finfo(logits.dtype).tiny
    log_p = logits - logits.amax(dim=-2, keepdim=True)
    p = log_p.exp()
    norm = p.sum(dim=-2, keepdim=True)
    p.div_(norm)  # p(z|x)
    log_p.sub_(norm.log_())  # log p(z|x)
    pzy = p @ (px[:, None] * pyx)  # p(z, y) = Σ_x p(z|x) p̂(x, y), (B, K_z, K_y)
    pz = pzy.sum(-1)  # p(z), since Σ_y p̂(y|x) = 1
    # A value of z (or pair z, y) that no input reaches has p = 0 after underflow; clamping the
    # log at the smallest normal float keeps 0·log 0 = 0 in every sum and the gradient finite.
    log_pz = pz.clamp_min(tiny).log()
    log_pzy = pzy.clamp_min(tiny).log()
    h_z = -(pz * log_pz).sum(-1)
    h_z_given_x = -((p * log_p).sum(-2) @ px)
    i_xz = h_z - h_z_given_x
    py = pzy.sum(-2)
    i_zy = h_z + entropy(py) + (pzy * log_pzy).sum((-2, -1))
    loss = -i_zy + beta * (i_xz if variant == "plain" else i_xz**2)
    weight = beta if variant == "plain" else 2 * beta * i_xz  # ∂L/∂Î(X;Z)
    # g(z|x) = ∂L/∂p(z|x) / p̂(x) = weight·[log p(z|x) − log p(z)] − Σ_y p̂(y|x) log p(y|z)
    #        = weight·log p(z|x) − Σ_y p̂(y|x) [log p(z, y) + (weight − 1) log p(z)]
    shift = log_pzy + ((weight - 1)[:, None] * log_pz)[..., None]  # (B, K_z, K_y)
    g = log_p.mul_(weight[:, None, None]).sub_(shift @ pyx.T)
    # softmax chain rule: ∂L/∂W = p̂(x)·p ⊙ (g − Σ_z p g)
    g.sub_((p * g).sum(-2, keepdim=True)).mul_(p).mul_(px)
    return loss, i_xz, i_zy, g


def lagrangian_and_grad(
    logits: torch.Tensor, data: EmpiricalData, beta: torch.Tensor, variant: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-β loss, Î(X;Z), Î(Z;Y) and the analytic gradient ``∂L_β/∂W`` of a ``(B, M, K)`` table.

    Computed in the dtype of ``logits``. With ``p = softmax(W)`` the encoder derivatives are
    closed-form (SPEC §2 sums):

        ∂Î(X;Z)/∂p(z|x) = p̂(x)·[log p(z|x) − log p(z)]
        ∂Î(Z;Y)/∂p(z|x) = p̂(x)·Σ_y p̂(y|x) log p(y|z)          (up to a per-x constant)

    (the per-x constants cancel in the softmax chain rule ``∂L/∂W = p ⊙ (g − Σ_z p g)``).
    This is the autograd gradient of :func:`ib_objective` (a test checks it) at a fraction of
    the cost.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown IB variant {variant!r}; choose one of {VARIANTS}")
    px, pyx = data.px.to(logits.dtype), data.pyx.to(logits.dtype)
    beta = beta.to(logits.dtype)
    loss, i_xz, i_zy, grad = _class_major_lagrangian_and_grad(logits.mT, px, pyx, beta, variant)
    return loss, i_xz, i_zy, grad.mT


def _adam(
    table: torch.Tensor, lr: float, state: dict[str, torch.Tensor] | None = None
) -> tuple[torch.nn.Parameter, torch.optim.Adam]:
    """A fused ``torch.optim.Adam`` on ``table``, optionally resuming from a previous ``state``."""
    param = torch.nn.Parameter(table)
    optimizer = torch.optim.Adam([param], lr=lr, fused=True)
    if state is not None:
        optimizer.state[param] = state
    return param, optimizer


def solve_ib(
    data: EmpiricalData,
    betas: Sequence[float],
    variant: str = "plain",
    settings: SolverSettings = SolverSettings(),
    log: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Minimise the IB Lagrangian for every β of ``betas`` in one batched optimisation.

    Returns a dict of arrays, one entry per β in the order given: ``beta``, ``i_xz``, ``i_zy``
    (float64, :func:`lsib.info.information.information_plane` of the final encoder), ``loss`` and
    ``grad_norm`` (float64, of the final iterate), ``iterations`` (until convergence or the
    cap), ``converged`` (bool: the tolerance was met before the cap), and the run's wall-clock
    ``seconds`` broadcast to every β.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown IB variant {variant!r}; choose one of {VARIANTS}")
    if settings.dtype not in DTYPES:
        raise ValueError(f"unknown dtype {settings.dtype!r}; choose one of {tuple(DTYPES)}")
    beta_grid = np.array(betas, dtype=np.float64).reshape(-1)
    if beta_grid.size == 0:
        raise ValueError("betas is empty")
    previous_threads = torch.get_num_threads()
    if settings.num_threads is not None:
        torch.set_num_threads(settings.num_threads)
    try:
        return _solve(data, beta_grid, variant, settings, log)
    finally:
        torch.set_num_threads(previous_threads)


def _solve(
    data: EmpiricalData,
    betas: np.ndarray,
    variant: str,
    s: SolverSettings,
    log: Callable[[str], None] | None,
) -> dict[str, np.ndarray]:
    """The optimisation loop of :func:`solve_ib` (arguments validated there)."""
    start = time.perf_counter()
    dtype = DTYPES[s.dtype]
    beta64 = torch.from_numpy(betas)
    n_beta = len(betas)
    gen = torch.Generator().manual_seed(s.seed)
    init = torch.log(ls_optimal_encoder(data.pyx, s.init_eps))  # (M, K)
    noise = s.init_noise * torch.randn((n_beta, *init.shape), generator=gen, dtype=torch.float64)
    px, pyx = data.px.to(dtype), data.pyx.to(dtype)

    # The β values still running: their indices into ``betas`` and their class-major tables.
    running = torch.arange(n_beta)
    param, optimizer = _adam((init + noise).mT.contiguous().to(dtype), s.lr)
    final = torch.empty(n_beta, *init.shape[::-1], dtype=torch.float64)  # (B, K, M)
    iterations = np.zeros(n_beta, dtype=np.int64)
    converged = np.zeros(n_beta, dtype=bool)
    last_check = torch.full((n_beta,), float("inf"), dtype=torch.float64)

    for it in range(1, s.max_iters + 1):
        beta = beta64[running]
        param.grad = _class_major_lagrangian_and_grad(param.detach(), px, pyx, beta.to(dtype), variant)[3]
        optimizer.step()
        at_check, at_cap = it % s.window == 0, it == s.max_iters
        if not (at_check or at_cap):
            continue
        table = param.detach()
        current = _class_major_lagrangian_and_grad(table.double(), data.px, data.pyx, beta, variant)[0]
        # converged: the loss moved less than tol over a full window
        done = (last_check - current).abs() < s.tol
        if not at_check:
            done[:] = False
        last_check = current
        finished = done | at_cap
        if log is not None:
            log(
                f"[{variant}] iter {it}: {len(running) - int(finished.sum())}/{n_beta} β still moving, "
                f"loss range [{float(current.min()):.6f}, {float(current.max()):.6f}]"
            )
        if not finished.any():
            continue
        rows = running[finished].numpy()
        final[rows] = table[finished].double()
        iterations[rows] = it
        converged[rows] = done[finished].numpy()
        keep = ~finished
        if not keep.any():
            break
        state = optimizer.state[param]
        param, optimizer = _adam(
            table[keep],
            s.lr,
            {
                "step": state["step"],
                "exp_avg": state["exp_avg"][keep],
                "exp_avg_sq": state["exp_avg_sq"][keep],
            },
        )
        running, last_check = running[keep], last_check[keep]

    loss, _, _, grad = _class_major_lagrangian_and_grad(final, data.px, data.pyx, beta64, variant)
    plane = information_plane(torch.softmax(final.mT, -1), data)
    seconds = time.perf_counter() - start
    return {
        "beta": betas,
        "i_xz": plane["i_xz"].numpy(),
        "i_zy": plane["i_zy"].numpy(),
        "loss": loss.numpy(),
        "grad_norm": grad.flatten(1).norm(dim=1).numpy(),
        "iterations": iterations,
        "converged": converged,
        "seconds": np.full(n_beta, seconds),
    }
