"""Training throughput: lsib's trainer against a tuned plain PyTorch loop, ResNet-56 on CIFAR-shaped data.

Every row trains ResNet-56 (lsib.models; ``--model`` for a quick check) with the paper's recipe
(SPEC §6: SGD 0.9, lr 0.1, batch 128, crop with 4-px padding + horizontal flip) on 50,000
synthetic 3×32×32 uint8 images of 10 classes:

- **plain PyTorch**, the baseline, as a careful user would write it: a ``DataLoader``
  (shuffle, ``--workers`` processes, default one per core, pinned memory on CUDA) over a
  ``TensorDataset`` with per-sample torchvision transforms ``RandomCrop(32, 4)`` +
  ``RandomHorizontalFlip`` + ``Normalize``, ``non_blocking`` copies, ``cudnn.benchmark``,
  eager float32, ``F.cross_entropy``, default SGD. A weaker baseline (2 workers, blocking
  copies) would be bound by its input pipeline on a fast GPU and inflate the ratio;
- **lsib**, in four ablation rows that add one setting at a time, so each factor's share of
  the ratio is visible: eager float32 (data resident on the device, batched augmentation, no
  host sync per step, fused/foreach SGD), + channels_last, + bf16 autocast, + ``torch.compile``
  (the CUDA ``auto`` settings). Its code is :class:`lsib.train.loop.Loop`, what every job runs.

Each row runs in its own process (clean peak memory): ``--warmup`` batches, then ``--steps``
timed batches (``torch.cuda.synchronize`` around the timed region). Setup (data, model,
compilation, the warm-up) is timed apart, and lsib draws the epoch's shuffle and augmentation
(:meth:`Loop.draw_epoch`) before the clock starts, so the timed region is the optimizer steps
alone; the plain loop's workers are running by then. The table gives images/s, the ratio to
the baseline and to the row above, the projected time of 160 epochs (setup + 160 × 50,000
images at the measured rate; test evaluation not included) and the peak memory (CUDA:
``torch.cuda.max_memory_allocated``; CPU: peak RSS of the training process, DataLoader workers
not counted).

    python benchmarks/bench_train.py --quick --device cpu     # ≈ 8 min on 2 cores (compiling: 5)
    python benchmarks/bench_train.py --device cuda            # GPU figures
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset

from lsib.models import build_model
from lsib.train.loop import batch_sizes, build_loop
from lsib.train.losses import Objective
from lsib.train.recipe import RESNET_RECIPE
from lsib.train.settings import TrainSettings

N_IMAGES, CLASSES, SIDE, EPOCHS = 50_000, 10, 32, 160
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)

#: The lsib rows: each adds one setting to the row above (precision, channels_last, compile).
ABLATION = {
    "lsib eager float32": TrainSettings("off", False, False),
    "+ channels_last": TrainSettings("off", True, False),
    "+ bf16": TrainSettings("bf16", True, False),
    "+ compile": TrainSettings("bf16", True, True),
}


def synthetic_data(n: int) -> dict[str, Any]:
    """``n`` uniform-noise uint8 images ``(n, 3, 32, 32)`` with uniform labels (seeded); a 10-image test split."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 3, SIDE, SIDE), dtype=torch.uint8, generator=g)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    return {"train_x": x, "train_y": y, "test_x": x[:10], "test_y": y[:10], "mean": list(MEAN), "std": list(STD)}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB on Linux


def run_lsib(
    device: torch.device, model_name: str, warmup: int, steps: int, name: str, settings: TrainSettings
) -> dict[str, Any]:
    """Time :meth:`Loop.steps` on ``steps`` batches of a drawn epoch, after ``warmup`` batches."""
    data = synthetic_data(N_IMAGES)
    settings = settings.resolve(device)
    torch.manual_seed(0)
    model = build_model(model_name, CLASSES, 3, SIDE)
    started = time.perf_counter()
    loop = build_loop(model, Objective("ce", 0.0, CLASSES), RESNET_RECIPE, data, device, settings)
    train_x, train_y = data["train_x"].to(device), data["train_y"].to(device)
    if settings.compile:
        loop.compile(
            (3, SIDE, SIDE), batch_sizes(N_IMAGES, RESNET_RECIPE.batch_size), [], lambda s: print(s, file=sys.stderr)
        )
    generator = torch.Generator().manual_seed(0)
    loop.epoch(train_x, train_y, generator, max_batches=warmup).loss_sum.item()
    drawn = loop.draw_epoch(train_x, generator)
    _sync(device)
    setup = time.perf_counter() - started
    begin = time.perf_counter()
    sums = loop.steps(train_x, train_y, drawn, max_batches=steps)
    sums.loss_sum.item()
    _sync(device)
    seconds = time.perf_counter() - begin
    if settings.compile and not loop.compiled:
        name += " (compilation failed: eager)"
    return {"name": name, "images": sums.images, "seconds": seconds, "setup": setup, "peak_mb": _peak_mb(device)}


class Transformed(Dataset):
    """A dataset whose items pass through ``transform`` one image at a time (the textbook pattern)."""

    def __init__(self, base: TensorDataset, transform: Any) -> None:
        self.base, self.transform = base, transform

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.base[i]
        return self.transform(x), y


def run_plain(device: torch.device, model_name: str, warmup: int, steps: int, workers: int) -> dict[str, Any]:
    """The tuned textbook loop: DataLoader + per-sample transforms, pinned memory, eager float32."""
    from torchvision.transforms import v2

    data = synthetic_data(N_IMAGES)
    transform = v2.Compose(
        [
            v2.ToDtype(torch.float32, scale=True),
            v2.RandomCrop(SIDE, padding=4),
            v2.RandomHorizontalFlip(),
            v2.Normalize(MEAN, STD),
        ]
    )
    torch.backends.cudnn.benchmark = True
    started = time.perf_counter()
    dataset = Transformed(TensorDataset(data["train_x"], data["train_y"]), transform)
    loader = DataLoader(
        dataset,
        batch_size=RESNET_RECIPE.batch_size,
        shuffle=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
    )
    torch.manual_seed(0)
    model = build_model(model_name, CLASSES, 3, SIDE).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = iter(loader)

    def step() -> int:
        x, y = next(batches)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return len(y)

    for _ in range(warmup):
        step()
    _sync(device)
    setup = time.perf_counter() - started
    begin = time.perf_counter()
    images = sum(step() for _ in range(steps))
    _sync(device)
    seconds = time.perf_counter() - begin
    cuda = ", pinned, non_blocking, cudnn.benchmark" if device.type == "cuda" else ""
    name = f"plain PyTorch (DataLoader, {workers} workers{cuda}, fp32 eager)"
    return {"name": name, "images": images, "seconds": seconds, "setup": setup, "peak_mb": _peak_mb(device)}


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table: the baseline first, then each row with its ratio to the baseline and to the row above."""
    rates = [r["images"] / r["seconds"] for r in results]
    lines = [
        "| trainer | images/s | × baseline | × row above | 160 epochs (projected) | setup | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, (r, rate) in enumerate(zip(results, rates)):
        projected = r["setup"] + EPOCHS * N_IMAGES / rate
        step = f"{rate / rates[i - 1]:.2f}×" if i else "—"
        lines.append(
            f"| {r['name']} | {rate:,.0f} | {rate / rates[0]:.2f}× | {step} | {_duration(projected)} | "
            f"{r['setup']:.1f} s | {r['peak_mb']:,.0f} MB |"
        )
    lines.append(f"\nratio last row / baseline: {rates[-1] / rates[0]:.2f}× images/s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="1 warm-up + 2 timed batches")
    parser.add_argument("--model", default="resnet56", help="architecture (lsib.models; default resnet56)")
    parser.add_argument("--warmup", type=int, help="warm-up batches (default 10, quick 1)")
    parser.add_argument("--steps", type=int, help="timed batches (default 100, quick 2)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="DataLoader workers (default: cores)")
    parser.add_argument("--row", help=argparse.SUPPRESS)  # one row, in a child process
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 10)
    steps = args.steps if args.steps is not None else (2 if args.quick else 100)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but no CUDA device is visible")

    if args.row == "plain":
        print(json.dumps(run_plain(device, args.model, warmup, steps, args.workers)))
        return
    if args.row is not None:
        print(json.dumps(run_lsib(device, args.model, warmup, steps, args.row, ABLATION[args.row])))
        return

    results = []
    for row in ("plain", *ABLATION):
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--row", row], capture_output=True, text=True, check=False
        )
        if child.returncode != 0:
            sys.exit(f"{row} run failed:\n{child.stderr}")
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    cpu = f"{platform.processor() or 'CPU'}, {torch.get_num_threads()} threads"
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu
    print(
        f"{args.model}, {N_IMAGES:,} × 3×{SIDE}×{SIDE} synthetic images, batch {RESNET_RECIPE.batch_size}; "
        f"{device.type} ({where}); torch {torch.__version__}; {warmup} warm-up + {steps} timed batches; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
    )
    print(table(results))


if __name__ == "__main__":
    main()
