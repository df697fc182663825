"""Benchmark: the original tabular IB solver against :func:`lsib.info.ib_solver.solve_ib` on CIFAR-10H.

Both solve the plain IB Lagrangian ``−Î(Z;Y) + β·Î(X;Z)`` for the 12 β values
``linspace(0.05, 1.0, 12)`` from the same seeded initial table (SPEC §5 E2).

- baseline: the solver as first written. Every iteration computes all B rows in float64 on the
  ``(B, M, K)`` table and masks the converged ones out of a hand-written Adam update;
  lr 0.05, tol 1e-6 per 50 iterations, torch's default thread count (``--baseline-threads``
  sets another, to separate the effect of threading from the rest). Its per-iteration cost
  does not depend on how many β are still running, so a run capped at ``--baseline-iters``
  iterations extrapolates to the full run as (seconds per iteration) × ``BASELINE_ITERS``.
- new: ``solve_ib`` with its default :class:`~lsib.info.ib_solver.SolverSettings`.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ib_solver.py                      # full baseline (minutes)
    .venv/bin/python benchmarks/bench_ib_solver.py --baseline-iters 200 # extrapolated baseline
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from lsib.info.ib_solver import SolverSettings, solve_ib
from lsib.info.information import EmpiricalData, entropy, from_annotations, information_plane
from lsib.info.optima import ls_optimal_encoder

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_COUNTS = ROOT.parent / "shared" / "data" / "cifar10h-counts.npy"
BETAS = np.linspace(0.05, 1.0, 12)
# Iterations the uncapped baseline runs on BETAS before its last β converges (measured: the
# slowest β, 0.05, converges at iteration 3850); used only to extrapolate a capped run.
BASELINE_ITERS = 3850


def baseline_lagrangian_and_grad(
    logits: torch.Tensor, data: EmpiricalData, beta: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The original float64 ``(B, M, K)`` loss and analytic gradient of the plain Lagrangian."""
    log_p = torch.log_softmax(logits, dim=-1)
    p = log_p.exp()
    px, pyx = data.px, data.pyx
    weighted = p * px[:, None]
    pz = weighted.sum(-2)
    pzy = weighted.mT @ pyx
    log_pz = torch.log(pz)
    h_z = -(pz * log_pz).sum(-1)
    h_zx = -((p * log_p).sum(-1) * px).sum(-1)
    log_py_given_z = torch.log(pzy) - log_pz[..., :, None]
    i_zy = entropy(data.py) + torch.special.xlogy(pzy, pzy / pz[..., :, None]).sum((-2, -1))
    loss = -i_zy + beta * (h_z - h_zx)
    grad_p = px[:, None] * (beta[:, None, None] * (log_p - log_pz[..., None, :]) - pyx @ log_py_given_z.mT)
    return loss, p * (grad_p - (p * grad_p).sum(-1, keepdim=True))


def baseline_solve(data: EmpiricalData, betas: np.ndarray, max_iters: int) -> dict[str, np.ndarray]:
    """The original masked float64 Adam loop (lr 0.05, tol 1e-6, window 50, init ε 0.1 + noise 0.1)."""
    lr, tol, window, b1, b2, adam_eps = 0.05, 1e-6, 50, 0.9, 0.999, 1e-8
    beta = torch.as_tensor(betas)
    n_beta = len(beta)
    init = torch.log(ls_optimal_encoder(data.pyx, 0.1))
    logits = init + 0.1 * torch.randn(
        (n_beta, *init.shape), generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    m, v = torch.zeros_like(logits), torch.zeros_like(logits)
    active = torch.ones(n_beta, dtype=torch.bool)
    iterations = torch.zeros(n_beta, dtype=torch.int64)
    last_check = torch.full((n_beta,), float("inf"), dtype=torch.float64)
    it = 0
    for it in range(1, max_iters + 1):
        loss, grad = baseline_lagrangian_and_grad(logits, data, beta)
        mask = active[:, None, None].to(grad.dtype)
        m.mul_(1 - (1 - b1) * mask).add_((1 - b1) * mask * grad)
        v.mul_(1 - (1 - b2) * mask).add_((1 - b2) * mask * grad * grad)
        steps = (iterations + active.long()).clamp(min=1).to(grad.dtype)[:, None, None]
        logits -= mask * lr * (m / (1 - b1**steps)) / ((v / (1 - b2**steps)).sqrt() + adam_eps)
        iterations += active.long()
        if it % window == 0:
            active &= ~((last_check - loss).abs() < tol)
            last_check = torch.where(active, loss, last_check)
            if not active.any():
                break
    plane = information_plane(torch.softmax(logits, -1), data)
    return {
        "i_xz": plane["i_xz"].numpy(),
        "i_zy": plane["i_zy"].numpy(),
        "iterations": iterations.numpy(),
        "converged": (~active).numpy(),
        "loop_iterations": np.array(it),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=Path, default=DEFAULT_COUNTS, help="CIFAR-10H counts (.npy)")
    parser.add_argument(
        "--baseline-threads", type=int, default=None, help="torch threads for the baseline (default: torch's default)"
    )
    parser.add_argument(
        "--baseline-iters",
        type=int,
        default=None,
        help=f"cap the baseline at this many iterations and extrapolate to {BASELINE_ITERS}",
    )
    args = parser.parse_args()
    data = from_annotations(np.load(args.counts))
    default_threads = torch.get_num_threads()
    baseline_threads = args.baseline_threads or default_threads
    print(
        f"CIFAR-10H: M={data.num_inputs}, K={data.num_classes}; plain variant, {len(BETAS)} β values; "
        f"torch {torch.__version__}, {default_threads} threads by default"
    )

    torch.set_num_threads(baseline_threads)
    start = time.perf_counter()
    base = baseline_solve(data, BETAS, args.baseline_iters or 10**6)
    base_seconds = time.perf_counter() - start
    torch.set_num_threads(default_threads)
    loop_iters = int(base["loop_iterations"])
    per_iter = base_seconds / loop_iters
    capped = not base["converged"].all()
    base_total = per_iter * BASELINE_ITERS if capped else base_seconds
    extrapolated = f"; extrapolated to {BASELINE_ITERS} iterations: {base_total:.1f} s" if capped else ""
    print(
        f"baseline (threads={baseline_threads}): {loop_iters} iterations in {base_seconds:.1f} s "
        f"({1e3 * per_iter:.1f} ms/iteration){extrapolated}"
    )

    new = solve_ib(data, BETAS, "plain")
    new_seconds = float(new["seconds"][0])
    print(
        f"new (threads={SolverSettings().num_threads}): {int(new['iterations'].max())} iterations "
        f"(Σ over β {int(new['iterations'].sum())}), all converged: {bool(new['converged'].all())}, "
        f"{new_seconds:.1f} s"
    )
    against = " (against the extrapolated baseline)" if capped else ""
    print(f"speed-up: {base_total / new_seconds:.1f}×{against}")
    if not capped:
        print(
            "max |Δ| of the solutions, new − baseline: "
            f"Î(X;Z) {np.abs(new['i_xz'] - base['i_xz']).max():.1e}, "
            f"Î(Z;Y) {np.abs(new['i_zy'] - base['i_zy']).max():.1e} nats"
        )
    print(" β       Î(X;Z)  Î(Z;Y)  iterations (baseline → new)")
    for k, b in enumerate(BETAS):
        print(f" {b:.4f}  {new['i_xz'][k]:.4f}  {new['i_zy'][k]:.4f}  {base['iterations'][k]} → {new['iterations'][k]}")


if __name__ == "__main__":
    main()
