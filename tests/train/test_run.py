"""The training run and its loop (SPEC §6) on tiny synthetic data: learning, seeds, resume, divergence, compilation."""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from train_helpers import CLASSES, SIZE, Killed, assert_same_state, fit, kill_after, synthetic_data, tiny_recipe

from lsib.models import build_model
from lsib.train import run
from lsib.train.device import seed_everything
from lsib.train.loop import batch_sizes
from lsib.train.losses import Objective
from lsib.train.recipe import Recipe
from lsib.train.run import METRIC_COLUMNS, TrainingDiverged, train
from lsib.train.settings import TrainSettings


def test_tiny_model_learns_separable_data(tmp_path: Path) -> None:
    recipe = tiny_recipe(epochs=6, milestones=[], augment="none")
    _, _, rows = fit("resnet8", "ce", recipe, tmp_path)
    assert rows[-1]["train_acc"] >= 0.95 and rows[-1]["test_acc"] >= 0.95
    assert rows[-1]["loss"] < rows[0]["loss"]


def test_same_seed_gives_identical_weights_and_other_seed_does_not(tmp_path: Path) -> None:
    a, _, rows_a = fit("resnet8", "ls", tiny_recipe(epochs=2), tmp_path / "a", seed=3)
    b, _, rows_b = fit("resnet8", "ls", tiny_recipe(epochs=2), tmp_path / "b", seed=3)
    c, _, _ = fit("resnet8", "ls", tiny_recipe(epochs=2), tmp_path / "c", seed=4)
    assert_same_state(a, b)
    assert [r["loss"] for r in rows_a] == [r["loss"] for r in rows_b]
    assert not torch.equal(a.head.weight, c.head.weight)


RESUME_CASES = [
    ("resnet8", "vib", tiny_recipe()),
    ("cct_tiny", "ls", tiny_recipe(optimizer="adamw", lr=2e-3, warmup_epochs=1, augment="resized_crop_flip")),
]


@pytest.mark.parametrize(("model_name", "objective_name", "recipe"), RESUME_CASES)
def test_resume_after_kill_is_bit_identical(
    tmp_path: Path, model_name: str, objective_name: str, recipe: Recipe
) -> None:
    full, full_objective, full_rows = fit(model_name, objective_name, recipe, tmp_path / "full")
    with pytest.raises(Killed):
        fit(model_name, objective_name, recipe, tmp_path / "resumed", log=kill_after(1))
    lines: list[str] = []
    resumed, resumed_objective, resumed_rows = fit(
        model_name, objective_name, recipe, tmp_path / "resumed", log=lines.append
    )
    assert lines[0].startswith("resuming")
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["2/3", "3/3"]
    assert_same_state(full, resumed)
    assert_same_state(full_objective, resumed_objective)
    drop_time = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop_time(full_rows) == drop_time(resumed_rows)


class CrashingObjective(Objective):
    """An objective that raises on its ``crash_at``-th call: a kill in the middle of an epoch."""

    def __init__(self, crash_at: int) -> None:
        super().__init__("ce", 0.0, CLASSES)
        self.calls, self.crash_at = 0, crash_at

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.crash_at:
            raise Killed
        return super().forward(logits, target)


def test_resume_after_mid_epoch_kill_is_bit_identical(tmp_path: Path) -> None:
    recipe = tiny_recipe()
    full, _, _ = fit("resnet8", "ce", recipe, tmp_path / "full")
    seed_everything(0)
    model = build_model("resnet8", CLASSES, 1, SIZE)
    with pytest.raises(Killed):  # 3 batches per epoch: call 5 is inside epoch 2
        train(
            model,
            CrashingObjective(5),
            synthetic_data(),
            recipe,
            0,
            tmp_path / "resumed",
            log=lambda s: None,
            device="cpu",
        )
    resumed, _, rows = fit("resnet8", "ce", recipe, tmp_path / "resumed")
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert_same_state(full, resumed)


def test_outputs_on_disk(tmp_path: Path) -> None:
    model, _, rows = fit("resnet8", "cp", tiny_recipe(epochs=2), tmp_path)
    with open(tmp_path / "metrics.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert tuple(table[0].keys()) == METRIC_COLUMNS
    assert [int(r["epoch"]) for r in table] == [1, 2]
    assert float(table[1]["test_acc"]) == pytest.approx(rows[1]["test_acc"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "metrics.csv"]
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 2 and len(checkpoint["metrics"]) == 2
    assert set(checkpoint) >= {"model", "objective", "optimizer", "rng", "provenance", "metrics"}
    origin = checkpoint["provenance"]
    assert (origin["seed"], origin["objective"], origin["coef"], origin["model"]) == (0, "cp", 0.1, "CifarResNet")
    assert origin["recipe"] == tiny_recipe(epochs=2).to_dict() and len(origin["data_sha256"]) == 64
    assert origin["settings"] == {"precision": "off", "channels_last": False, "compile": False}
    # A finished run resumes at its end: nothing is retrained.
    again, _, rows_again = fit("resnet8", "cp", tiny_recipe(epochs=2), tmp_path)
    assert rows_again == rows
    assert_same_state(model, again)


def test_vib_classifier_is_trained(tmp_path: Path) -> None:
    before = Objective("vib", 0.1, CLASSES).vib.classifier_logits.detach().clone()
    _, objective, _ = fit("resnet8", "vib", tiny_recipe(epochs=1), tmp_path)
    assert not torch.allclose(objective.vib.classifier_logits.detach(), before)


def test_batch_sizes() -> None:
    assert batch_sizes(96, 32) == [32] and batch_sizes(100, 32) == [32, 4] and batch_sizes(10, 32) == [10]


def test_bf16_and_channels_last_run_on_cpu(tmp_path: Path) -> None:
    recipe = tiny_recipe(epochs=3, milestones=[], augment="none")
    fast = TrainSettings(precision="bf16", channels_last=True, compile=False)
    model, _, rows = fit("resnet8", "ce", recipe, tmp_path / "fast", settings=fast)
    _, _, plain = fit("resnet8", "ce", recipe, tmp_path / "plain")
    assert model.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert rows[-1]["train_acc"] >= 0.9
    # bf16 autocast really ran (the numbers differ from float32) yet tracks float32 closely.
    losses, plain_losses = [r["loss"] for r in rows], [r["loss"] for r in plain]
    assert losses != plain_losses and losses == pytest.approx(plain_losses, rel=0.1)


def test_test_accuracy_every_k_epochs_carries_the_latest(tmp_path: Path) -> None:
    recipe = tiny_recipe(epochs=4)
    every, _, rows = fit("resnet8", "ce", recipe, tmp_path / "k", settings=TrainSettings(eval_every=3))
    full, _, reference = fit("resnet8", "ce", recipe, tmp_path / "all")
    assert_same_state(every, full)  # evaluation changes no weight and draws no random number
    assert [r["test_epoch"] for r in rows] == [1, 1, 3, 4]
    assert [r["test_acc"] for r in rows] == [reference[i]["test_acc"] for i in (0, 0, 2, 3)]
    with open(tmp_path / "k" / "metrics.csv", newline="") as f:
        assert all(value != "" for row in csv.DictReader(f) for value in row.values())


def test_cudnn_benchmark_is_recorded_and_a_changed_k_still_resumes(tmp_path: Path) -> None:
    """The setting is logged and returned with the others; a run resumed under another k (so another
    cuDNN choice) keeps its checkpoint, and a CPU run leaves torch's flag alone."""
    recipe = tiny_recipe(epochs=2, milestones=[])
    flag = torch.backends.cudnn.benchmark
    lines: list[str] = []

    def killed_after_epoch_1(line: str) -> None:
        lines.append(line)
        kill_after(1)(line)

    with pytest.raises(Killed):
        fit("resnet8", "ce", recipe, tmp_path, log=killed_after_epoch_1, settings=TrainSettings(cudnn_benchmark="on"))
    assert any(line.startswith("settings:") and "cudnn_benchmark True" in line for line in lines), lines
    lines.clear()
    seed_everything(0)
    resumed = train(
        build_model("resnet8", CLASSES, 1, SIZE),
        Objective("ce", 0.1, CLASSES),
        synthetic_data(),
        recipe,
        0,
        tmp_path,
        log=lines.append,
        device="cpu",
        settings=TrainSettings().resolve("cpu", jobs_per_gpu=4),
    )
    assert lines[0].startswith("resuming") and resumed.execution["cudnn_benchmark"] is False
    assert torch.backends.cudnn.benchmark is flag


def tiny_convnet() -> torch.nn.Module:
    """A 3×3 conv + BatchNorm + linear head: the smallest net whose compilation still covers conv, norm and backward."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, CLASSES),
    )


def test_compiled_and_eager_agree_on_cpu(tmp_path: Path) -> None:
    """Inductor on CPU (the code path CUDA runs, minus the device): same metrics within float tolerance."""
    recipe = tiny_recipe(epochs=3, milestones=[], augment="crop_flip", lr=0.05)
    results, models, lines = {}, {}, []
    for compiled in (True, False):
        models[compiled] = tiny_convnet()
        results[compiled] = train(
            models[compiled],
            Objective("ls", 0.1, CLASSES),
            synthetic_data(),
            recipe,
            0,
            tmp_path / str(compiled),
            log=lines.append,
            device="cpu",
            settings=TrainSettings(compile=compiled),
        )
    assert results[True].execution["compiled"] is True and results[False].execution["compiled"] is False
    assert any(line.startswith("torch.compile: 1 training and 1 eval batch shapes compiled") for line in lines), lines
    assert results[True].rows[-1]["loss"] < results[True].rows[0]["loss"]  # it trains
    for row, ref in zip(results[True].rows, results[False].rows, strict=True):
        assert row["loss"] == pytest.approx(ref["loss"], rel=1e-5)
        assert (row["train_acc"], row["test_acc"]) == (ref["train_acc"], ref["test_acc"])
    for key, value in models[True].state_dict().items():
        torch.testing.assert_close(value, models[False].state_dict()[key], rtol=1e-4, atol=1e-5)


def test_failed_compilation_falls_back_to_eager_with_a_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("backend exploded")

    monkeypatch.setattr(torch, "compile", lambda module, **kwargs: Broken())
    lines: list[str] = []
    fallback, _, rows = fit(
        "resnet8",
        "ce",
        tiny_recipe(epochs=2),
        tmp_path / "fallback",
        log=lines.append,
        settings=TrainSettings(compile=True),
    )
    eager, _, reference = fit("resnet8", "ce", tiny_recipe(epochs=2), tmp_path / "eager")
    assert "torch.compile failed (RuntimeError: backend exploded); falling back to eager" in lines
    assert_same_state(fallback, eager)  # the failed warm-up left no trace
    drop_time = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop_time(rows) == drop_time(reference)


@pytest.mark.parametrize(("lr", "epoch", "value"), [(1e8, 1, "nan"), (1000.0, 2, "inf")])
def test_divergence_stops_training_naming_run_epoch_and_value(
    tmp_path: Path, lr: float, epoch: int, value: str
) -> None:
    """lr 1e8 turns weights to nan in epoch 1; lr 1000 sends BatchNorm statistics to inf in epoch 2."""
    with pytest.raises(TrainingDiverged) as error:
        fit("resnet8", "ce", tiny_recipe(lr=lr), tmp_path)
    message = str(error.value)
    assert f"run {tmp_path}" in message and f"epoch {epoch}/3" in message and f"(e.g. {value})" in message
    if epoch == 1:
        assert not (tmp_path / "checkpoint.pt").exists() and not (tmp_path / "metrics.csv").exists()
    else:  # the last good epoch's checkpoint and metrics stay; the bad epoch was not written
        assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["epoch"] == epoch - 1
        with open(tmp_path / "metrics.csv", newline="") as f:
            assert len(list(csv.DictReader(f))) == epoch - 1


def test_nonfinite_loss_alone_stops_training(tmp_path: Path) -> None:
    class NanObjective(Objective):
        def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return super().forward(logits, target) * torch.tensor(float("nan")) if self.training else logits.sum()

    seed_everything(0)
    with pytest.raises(TrainingDiverged, match=r"epoch 1/3 \(lr 0.05\): mean loss nan"):
        # nan × loss gives nan gradients, so parameters go nan too; the loss is reported first.
        train(
            build_model("resnet8", CLASSES, 1, SIZE),
            NanObjective("ce", 0, CLASSES),
            synthetic_data(),
            tiny_recipe(),
            0,
            tmp_path,
            log=lambda s: None,
            device="cpu",
        )


def _benchmark(name: str):
    """Import ``benchmarks/<name>.py`` (not a package) as a module."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_benchmark_table_projects_160_epochs_and_states_each_factor() -> None:
    plain = {"name": "plain", "images": 1000, "seconds": 2.0, "setup": 10.0, "peak_mb": 1200.0}
    eager = {"name": "eager", "images": 1000, "seconds": 1.0, "setup": 5.0, "peak_mb": 1000.0}
    fast = {"name": "all", "images": 1000, "seconds": 0.25, "setup": 40.0, "peak_mb": 900.0}
    text = _benchmark("bench_train").table([plain, eager, fast])
    # 160 × 50,000 images at 4,000 images/s = 2,000 s, + 40 s setup = 34.0 min; at 500/s: 16,000 s + 10 s = 4.4 h.
    assert "| plain | 500 | 1.00× | — | 4.4 h | 10.0 s | 1,200 MB |" in text
    assert "| eager | 1,000 | 2.00× | 2.00× | 2.2 h | 5.0 s | 1,000 MB |" in text
    assert "| all | 4,000 | 8.00× | 4.00× | 34.0 min | 40.0 s | 900 MB |" in text
    assert text.endswith("ratio last row / baseline: 8.00× images/s")


def test_checkpoint_that_cannot_be_restored_restarts_exactly_like_a_fresh_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = tiny_recipe()
    fresh, _, fresh_rows = fit("resnet8", "ls", recipe, tmp_path / "fresh")
    with pytest.raises(Killed):
        fit("resnet8", "ls", recipe, tmp_path / "broken", log=kill_after(1))
    restore = run._set_rng_states

    def fails_half_way(*args) -> None:  # e.g. CUDA state of a device this job cannot see
        restore(*args)  # the shuffle generator already holds the checkpoint's state
        raise RuntimeError("invalid device")

    monkeypatch.setattr(run, "_set_rng_states", fails_half_way)
    lines: list[str] = []
    restarted, _, rows = fit("resnet8", "ls", recipe, tmp_path / "broken", log=lines.append)
    assert "training restarts from scratch" in lines[0]
    assert_same_state(fresh, restarted)
    assert [r["loss"] for r in rows] == [r["loss"] for r in fresh_rows]


def test_cpu_run_and_resume_never_touch_cuda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cuda(*args, **kwargs):
        raise AssertionError("a CPU job called torch.cuda")

    for name in ("is_available", "get_rng_state", "get_rng_state_all", "set_rng_state", "set_rng_state_all"):
        monkeypatch.setattr(torch.cuda, name, no_cuda)
    with pytest.raises(Killed):
        fit("resnet8", "ce", tiny_recipe(), tmp_path, log=kill_after(1))
    lines: list[str] = []
    fit("resnet8", "ce", tiny_recipe(), tmp_path, log=lines.append)
    assert lines[0].startswith("resuming")


@pytest.mark.slow
def test_quick_cpu_benchmark_prints_the_baseline_four_ablation_rows_and_the_ratios() -> None:
    path = Path(__file__).resolve().parents[2] / "benchmarks/bench_train.py"
    done = subprocess.run(
        [sys.executable, str(path), "--quick", "--device", "cpu", "--model", "resnet8"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line.split(" | ")[0] for line in done.stdout.splitlines() if line.startswith("| ")][1:]
    assert rows[0].startswith("| plain PyTorch (DataLoader, ")
    assert rows[1:] == ["| lsib eager float32", "| + channels_last", "| + bf16", "| + compile"]
    assert done.stdout.rstrip().endswith("× images/s")


def test_sharing_throughput_counts_from_epoch_2_and_reports_compilation_apart() -> None:
    # (start, end of epoch 1, end): 4 epochs of 1,000 images; epochs 2–4 take 3 s and 6 s
    reports = [(0.0, 30.0, 33.0), (1.0, 41.0, 47.0)]
    throughput, first_epoch = _benchmark("bench_sharing").throughput(reports, epochs=4, n_train=1000)
    assert throughput == pytest.approx(3000 / 3 + 3000 / 6)
    assert first_epoch == 40.0


@pytest.mark.parametrize(
    ("target", "args", "error"), [("_exit", (3,), "exit codes [3]"), ("sleep", (60,), "timed out")]
)
def test_sharing_fails_at_once_when_a_worker_dies_or_hangs(target: str, args: tuple, error: str) -> None:
    import multiprocessing as mp
    import os
    import time

    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target={"_exit": os._exit, "sleep": time.sleep}[target], args=args)]
    for p in procs:
        p.start()
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=re.escape(error)):
        _benchmark("bench_sharing").collect(procs, ctx.Queue(), timeout=3)
    assert time.monotonic() - started < 20
    assert not any(p.is_alive() for p in procs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without a GPU")
def test_gpu_acceptance_without_a_gpu_says_so_in_one_line_and_fails(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[2] / "benchmarks/gpu_acceptance.sh"
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(script), "out.md"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1 and "no CUDA device is visible" in lines[0]
    assert not (tmp_path / "out.md").exists()


def test_acceptance_table_has_one_row_per_figure(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / "benchmarks/acceptance_table.py"
    spec = importlib.util.spec_from_file_location("acceptance_table", path)
    acceptance = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(acceptance)
    logs = {
        "pytest": (0, "....\n5 passed, 1 deselected in 80.1s\n"),
        "bench_train": (
            124,
            "| trainer | images/s | × baseline | × row above | 160 epochs (projected) | setup | peak memory |\n"
            "|---|---|---|---|---|---|---|\n"
            "| plain PyTorch (DataLoader, 16 workers) | 4,000 | 1.00× | — | 33.4 min | 9.2 s | 1,831 MB |\n"
            "| + compile | 20,000 | 5.00× | 1.50× | 7.4 min | 40.0 s | 1,435 MB |\n\n"
            "ratio last row / baseline: 5.00× images/s\n",
        ),
        "bench_sharing": (1, "  k  images/s\n  1  9000.0  9000.0  1.00  35.0\n  8 failed: timed out after 60 s\n"),
    }
    for step, (rc, text) in logs.items():
        (tmp_path / f"{step}.rc").write_text(f"{rc}\n")
        (tmp_path / f"{step}.log").write_text(text)
    (tmp_path / "skipped").write_text("skipped: mlxtend is not installed\n")
    rows = acceptance.table(tmp_path, "NVIDIA H200").splitlines()
    assert rows[:3] == ["| check | result |", "|---|---|", "| device | NVIDIA H200 |"]
    for row in (
        "| pytest: status | ok |",
        "| pytest -m gpu | 5 passed, 1 deselected in 80.1s |",
        "| bench_train: status | ran out of time (timeout) |",
        "| bench_train: + compile | 20,000 images/s, 5.00× baseline, 1.50× row above, setup 40.0 s, peak 1,435 MB |",
        "| bench_train: ratio | last row / baseline: 5.00× images/s |",
        "| bench_sharing: status | failed (exit 1) |",
        "| bench_sharing: k = 1 | 9000.0 images/s from epoch 2 (9000.0 per process), sharing factor 1.00, "
        "epoch 1 35.0 s |",
        "| bench_sharing: k = 8 | failed: timed out after 60 s |",
        "| skipped | mlxtend is not installed |",
    ):
        assert row in rows
