"""Benchmark: aggregate training throughput of k concurrent training processes on one device.

For each k in ``--ks`` (default 1, 2, 4, 8), k processes start together (a barrier after
imports and data set-up) and each trains its own model with :func:`lsib.train.run.train` on its
own synthetic data set (uniform random uint8 images, random labels: the work per step is the
real one, the accuracy is meaningless) for ``--epochs`` epochs. Epoch 1 holds the compilation
(``torch.compile``, tens of seconds on CUDA, longer than many epochs of a small run) and, from
k = 1 on, warms the Inductor cache of the later k, so it is reported apart (the slowest
process's seconds from the barrier to the end of its epoch 1) and the aggregate throughput
counts epochs 2 on only:

    A(k) = Σ_i (epochs − 1) · n_train / (end_i − end of epoch 1_i)   [training images per second]

(each epoch's test pass over ``n_test`` images is part of the work but not counted), and the
sharing factor is A(k) / A(1) (relative to the first k given): how much more a device trains
per hour with k jobs on it. Choose ``gpu: jobs_per_gpu`` (config.yaml; profiles/slurm: shards)
as the smallest k past which the factor stops growing; memory grows about linearly with k.
A worker that dies (e.g. out of memory at k = 8) or outlives ``--timeout`` fails that k with
its exit code instead of hanging the benchmark; the other k still run, and the exit status is 1.

It also prints the FLOPs of one training image (forward + backward, about 3 × forward,
counted with ``torch.utils.flop_counter``), the basis of the GPU-time projections
in docs/running.md: hours ≈ runs · epochs · n_train · FLOPs per image / sustained FLOP/s.

On a CPU the processes share the cores (``--threads`` each), so the factor mainly shows
how well one process uses them: a correctness demo, not GPU advice. Run from the root::

    .venv/bin/python benchmarks/bench_sharing.py --device cpu --quick       # a few minutes
    .venv/bin/python benchmarks/bench_sharing.py --device cuda              # ResNet-56, 32 px
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import sys
import tempfile
import time
from typing import Any

import torch

from lsib.models import MODEL_NAMES, build_model
from lsib.train.device import seed_everything
from lsib.train.losses import Objective
from lsib.train.recipe import Recipe
from lsib.train.run import train


def synthetic_data(n_train: int, n_test: int, channels: int, size: int, seed: int) -> dict[str, Any]:
    """A data dict of :mod:`lsib.train.run` with random uint8 images and labels (10 classes)."""
    g = torch.Generator().manual_seed(seed)
    return {
        "train_x": torch.randint(0, 256, (n_train, channels, size, size), generator=g, dtype=torch.uint8),
        "train_y": torch.randint(0, 10, (n_train,), generator=g),
        "test_x": torch.randint(0, 256, (n_test, channels, size, size), generator=g, dtype=torch.uint8),
        "test_y": torch.randint(0, 10, (n_test,), generator=g),
        "mean": [0.5] * channels,
        "std": [0.25] * channels,
        "classes": [str(c) for c in range(10)],
    }


def worker(rank: int, args: argparse.Namespace, barrier: Any, results: Any) -> None:
    """Set up one training job, wait for the others, train, report (start, end of epoch 1, end) wall times."""
    torch.set_num_threads(args.threads)
    data = synthetic_data(args.n_train, args.n_test, args.channels, args.size, seed=rank)
    recipe = Recipe(epochs=args.epochs, milestones=(), batch_size=args.batch_size, augment=args.augment)
    seed_everything(rank)
    model = build_model(args.model, 10, args.channels, args.size)
    objective = Objective("ls", 0.1, 10)
    epoch_ends: list[float] = []

    def log(line: str) -> None:
        if line.startswith("epoch "):  # train() logs "epoch e/E ..." once each epoch is done
            epoch_ends.append(time.time())

    with tempfile.TemporaryDirectory() as run_dir:
        barrier.wait(timeout=args.timeout)
        start = time.time()
        train(model, objective, data, recipe, rank, run_dir, log=log, device=args.device)
        results.put((start, epoch_ends[0], epoch_ends[-1]))


def collect(procs: list[Any], results: Any, timeout: float) -> list[tuple[float, float, float]]:
    """Every worker's report; raises as soon as one exits with an error or ``timeout`` s pass (all killed)."""
    deadline = time.monotonic() + timeout
    reports: list[tuple[float, float, float]] = []
    try:
        while len(reports) < len(procs):
            try:
                reports.append(results.get(timeout=1.0))
            except queue.Empty:
                failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if failed:
                    raise RuntimeError(f"{len(failed)} of {len(procs)} workers failed (exit codes {failed})") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"timed out after {timeout:.0f} s") from None
    finally:
        for p in procs:
            p.join(timeout=30 if len(reports) == len(procs) else 0)  # a failure: kill the others at once
            if p.is_alive():
                p.kill()
                p.join()
    return reports


def throughput(reports: list[tuple[float, float, float]], epochs: int, n_train: int) -> tuple[float, float]:
    """A(k) from epoch 2 on (module docstring) and the slowest process's seconds to the end of epoch 1."""
    rate = sum((epochs - 1) * n_train / (end - first) for _, first, end in reports)
    return rate, max(first - start for start, first, _ in reports)


def aggregate_throughput(k: int, args: argparse.Namespace) -> tuple[float, float]:
    """A(k) and the compilation + epoch-1 seconds of k concurrent jobs (see the module docstring)."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(k), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(rank, args, barrier, results)) for rank in range(k)]
    for p in procs:
        p.start()
    reports = collect(procs, results, args.timeout)
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {k} workers exited with codes {failed} after reporting")
    return throughput(reports, args.epochs, args.n_train)


def train_flops_per_image(args: argparse.Namespace) -> float:
    """FLOPs of one training image: forward + backward of a batch, divided by its size."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build_model(args.model, 10, args.channels, args.size)
    x = torch.randn(8, args.channels, args.size, args.size)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    return counter.get_total_flops() / len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="ResNet-8, 512 images, 3 epochs (CPU demo)")
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--model", choices=MODEL_NAMES, default="resnet56")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=1_000)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per process (≥ 2: epoch 1 is not counted)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--augment", default="crop_flip")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before one k is given up")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be ≥ 2 (epoch 1 holds the compilation and is not counted)")
    if args.quick:
        args.model, args.n_train, args.n_test, args.epochs = "resnet8", 512, 128, 3

    flops = train_flops_per_image(args)
    print(
        f"{args.model}, {args.channels}×{args.size}² images, batch {args.batch_size}, device {args.device}, "
        f"{args.threads} thread(s) per process; {args.n_train} images × {args.epochs} epochs per process"
    )
    print(f"training FLOPs per image (forward + backward): {flops / 1e9:.3f} GFLOP")
    print(f"{'k':>3} {'images/s (all k)':>17} {'per process':>12} {'sharing factor':>15} {'epoch 1 (s)':>12}")
    base, failures = None, 0
    for k in args.ks:
        try:
            rate, first_epoch = aggregate_throughput(k, args)
        except RuntimeError as err:
            failures += 1
            print(f"{k:>3} failed: {err}", flush=True)
            continue
        base = base or rate
        print(f"{k:>3} {rate:>17.1f} {rate / k:>12.1f} {rate / base:>15.2f} {first_epoch:>12.1f}", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
