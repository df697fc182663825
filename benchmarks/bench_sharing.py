"""Benchmark: aggregate training throughput of k concurrent training processes on one device.

For each k in ``--ks`` (default 1, 2, 4, 8), k processes start together (a barrier after
imports and data set-up) and each trains its own model with :func:`lsib.train.run.train` on its
own synthetic data set (uniform random uint8 images, random labels: the work per step is the
real one, the accuracy is meaningless) for ``--epochs`` epochs. The aggregate throughput is

    A(k) = k · epochs · n_train / (last end − first start)   [training images per second]

(each epoch's test pass over ``n_test`` images is part of the work but not counted), and the
sharing factor is A(k) / A(1) (relative to the first k given): how much more a device trains per hour with k
jobs on it. Choose
the k of ``profiles/local`` (gpu_slots = k × GPUs) and ``profiles/slurm`` (shards) as the
smallest k past which the factor stops growing; memory grows about linearly with k.

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
    """Set up one training job, wait for the others, train, report (start, end) wall times."""
    torch.set_num_threads(args.threads)
    data = synthetic_data(args.n_train, args.n_test, args.channels, args.size, seed=rank)
    recipe = Recipe(epochs=args.epochs, milestones=(), batch_size=args.batch_size, augment=args.augment)
    seed_everything(rank)
    model = build_model(args.model, 10, args.channels, args.size)
    objective = Objective("ls", 0.1, 10)
    with tempfile.TemporaryDirectory() as run_dir:
        barrier.wait()
        start = time.time()
        train(model, objective, data, recipe, rank, run_dir, log=lambda _: None, device=args.device)
        results.put((start, time.time()))


def aggregate_throughput(k: int, args: argparse.Namespace) -> float:
    """A(k): training images per second of k concurrent jobs (see the module docstring)."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(k), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(rank, args, barrier, results)) for rank in range(k)]
    for p in procs:
        p.start()
    times = [results.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a training process exited with code {p.exitcode}")
    wall = max(end for _, end in times) - min(start for start, _ in times)
    return k * args.epochs * args.n_train / wall


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
    parser.add_argument("--quick", action="store_true", help="ResNet-8, 512 images, 2 epochs (CPU demo)")
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--model", choices=MODEL_NAMES, default="resnet56")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=1_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--augment", default="crop_flip")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    args = parser.parse_args()
    if args.quick:
        args.model, args.n_train, args.n_test, args.epochs = "resnet8", 512, 128, 2

    flops = train_flops_per_image(args)
    print(
        f"{args.model}, {args.channels}×{args.size}² images, batch {args.batch_size}, device {args.device}, "
        f"{args.threads} thread(s) per process; {args.n_train} images × {args.epochs} epochs per process"
    )
    print(f"training FLOPs per image (forward + backward): {flops / 1e9:.3f} GFLOP")
    print(f"{'k':>3} {'images/s (all k)':>17} {'per process':>12} {'sharing factor':>15}")
    base = None
    for k in args.ks:
        throughput = aggregate_throughput(k, args)
        base = base or throughput
        print(f"{k:>3} {throughput:>17.1f} {throughput / k:>12.1f} {throughput / base:>15.2f}", flush=True)


if __name__ == "__main__":
    main()
