"""Training throughput: lsib's trainer against a plain PyTorch loop, ResNet-56 on CIFAR-shaped data.

Both sides train ResNet-56 (lsib.models) with the paper's recipe (SPEC §6: SGD 0.9, lr 0.1,
batch 128, crop with 4-px padding + horizontal flip) on 50,000 synthetic 3×32×32 uint8 images
of 10 classes:

- **lsib**: :func:`lsib.train.loop.build_loop` + :meth:`lsib.train.loop.Loop.epoch`, the code every
  training job runs — data resident on the device, batched augmentation, no host sync per
  step, fused/foreach SGD, and the device's ``auto`` settings (CUDA: bf16, channels_last,
  ``torch.compile``; CPU: float32 eager), or the ones given on the command line;
- **plain PyTorch**: the textbook loop — a ``DataLoader`` (shuffle, ``--workers`` processes)
  over a ``TensorDataset`` with per-sample torchvision transforms ``RandomCrop(32, 4)`` +
  ``RandomHorizontalFlip`` + ``Normalize``, eager float32, ``F.cross_entropy``, default SGD.

Each side runs in its own process (clean peak memory): ``--warmup`` batches, then
``--steps`` timed batches (``torch.cuda.synchronize`` around the timed region). The table
gives images/s, the projected time of 160 epochs (setup, i.e. compilation, + 160 × 50,000
images at the measured rate; test evaluation not included), the peak memory (CUDA:
``torch.cuda.max_memory_allocated``; CPU: peak RSS of the training process, DataLoader
workers not counted) and the ratio of images/s.

    python benchmarks/bench_train.py --quick --device cpu     # < 3 min on 2 cores
    python benchmarks/bench_train.py --device cuda            # GPU figures
"""

from __future__ import annotations

import argparse
import json
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


def run_lsib(device: torch.device, warmup: int, steps: int, settings: TrainSettings) -> dict[str, Any]:
    """Time :meth:`Loop.epoch` on the first ``steps`` batches after ``warmup`` batches."""
    data = synthetic_data(N_IMAGES)
    settings = settings.resolve(device)
    torch.manual_seed(0)
    model = build_model("resnet56", CLASSES, 3, SIDE)
    started = time.perf_counter()
    loop = build_loop(model, Objective("ce", 0.0, CLASSES), RESNET_RECIPE, data, device, settings)
    train_x, train_y = data["train_x"].to(device), data["train_y"].to(device)
    if settings.compile:
        loop.compile(
            (3, SIDE, SIDE), batch_sizes(N_IMAGES, RESNET_RECIPE.batch_size), [], lambda s: print(s, file=sys.stderr)
        )
    generator = torch.Generator().manual_seed(0)
    loop.epoch(train_x, train_y, generator, max_batches=warmup).loss_sum.item()
    _sync(device)
    setup = time.perf_counter() - started
    begin = time.perf_counter()
    sums = loop.epoch(train_x, train_y, generator, max_batches=steps)
    sums.loss_sum.item()
    _sync(device)
    seconds = time.perf_counter() - begin
    label = (
        f"lsib ({settings.precision}, channels_last {'on' if settings.channels_last else 'off'}, "
        f"compile {'on' if loop.compiled else 'off'})"
    )
    return {"name": label, "images": sums.images, "seconds": seconds, "setup": setup, "peak_mb": _peak_mb(device)}


class Transformed(Dataset):
    """A dataset whose items pass through ``transform`` one image at a time (the textbook pattern)."""

    def __init__(self, base: TensorDataset, transform: Any) -> None:
        self.base, self.transform = base, transform

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.base[i]
        return self.transform(x), y


def run_plain(device: torch.device, warmup: int, steps: int, workers: int) -> dict[str, Any]:
    """The textbook loop: DataLoader + per-sample transforms, eager float32."""
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
    started = time.perf_counter()
    dataset = Transformed(TensorDataset(data["train_x"], data["train_y"]), transform)
    loader = DataLoader(
        dataset,
        batch_size=RESNET_RECIPE.batch_size,
        shuffle=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
    )
    torch.manual_seed(0)
    model = build_model("resnet56", CLASSES, 3, SIDE).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = iter(loader)

    def step() -> int:
        x, y = next(batches)
        x, y = x.to(device), y.to(device)
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
    name = f"plain PyTorch (DataLoader, {workers} workers, fp32 eager)"
    return {"name": name, "images": images, "seconds": seconds, "setup": setup, "peak_mb": _peak_mb(device)}


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table of both runs plus the images/s ratio (lsib first)."""
    lines = ["| trainer | images/s | 160 epochs (projected) | setup | peak memory |", "|---|---|---|---|---|"]
    for r in results:
        rate = r["images"] / r["seconds"]
        projected = r["setup"] + EPOCHS * N_IMAGES / rate
        lines.append(
            f"| {r['name']} | {rate:,.0f} | {_duration(projected)} | {r['setup']:.1f} s | {r['peak_mb']:,.0f} MB |"
        )
    ratio = (results[0]["images"] / results[0]["seconds"]) / (results[1]["images"] / results[1]["seconds"])
    lines.append(f"\nratio lsib / plain: {ratio:.2f}× images/s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="1 warm-up + 2 timed batches (CPU: < 3 min on 2 cores)")
    parser.add_argument("--warmup", type=int, help="warm-up batches (default 10, quick 1)")
    parser.add_argument("--steps", type=int, help="timed batches (default 100, quick 2)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the plain loop")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--channels-last", default="auto")
    parser.add_argument("--compile", default="auto")
    parser.add_argument("--variant", choices=["lsib", "plain"], help=argparse.SUPPRESS)  # one side, in a child process
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 10)
    steps = args.steps if args.steps is not None else (2 if args.quick else 100)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but no CUDA device is visible")

    if args.variant == "lsib":
        settings = TrainSettings(args.precision, args.channels_last, args.compile)
        print(json.dumps(run_lsib(device, warmup, steps, settings)))
        return
    if args.variant == "plain":
        print(json.dumps(run_plain(device, warmup, steps, args.workers)))
        return

    results = []
    for variant in ("lsib", "plain"):
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--variant", variant], capture_output=True, text=True, check=False
        )
        if child.returncode != 0:
            sys.exit(f"{variant} run failed:\n{child.stderr}")
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    cpu = f"{platform.processor() or 'CPU'}, {torch.get_num_threads()} threads"
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu
    print(
        f"ResNet-56, {N_IMAGES:,} × 3×{SIDE}×{SIDE} synthetic images, batch {RESNET_RECIPE.batch_size}; "
        f"{device.type} ({where}); torch {torch.__version__}; {warmup} warm-up + {steps} timed batches; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
    )
    print(table(results))


if __name__ == "__main__":
    main()
