"""Workflow-level faults, through snakemake: a second spelling of a run path matches no rule, and
(slow) a workflow killed with SIGKILL inside each kind of job, rerun as the README says, ends with
the same outputs as an uninterrupted run and no partial file.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import torch
from result_compare import same_content
from workflow_helpers import FASHION_MNIST, ROOT, SHARED, copy_workflow, dry_run_rules, snakemake


def test_snakemake_matches_no_rule_for_a_second_spelling(tmp_path: Path) -> None:
    def dry_run(target: str) -> subprocess.CompletedProcess:
        return dry_run_rules(tmp_path, target, configfiles=(ROOT / "presets" / "quick.yaml",))

    good = dry_run("results/runs/fashion_mnist/resnet8/ls-0.1/seed0/information.csv")
    assert good.returncode == 0, good.stderr
    bad = dry_run("results/runs/fashion_mnist/resnet8/ls-0.10/seed0/information.csv")
    assert bad.returncode != 0 and "MissingRuleException" in bad.stdout + bad.stderr


# ------------------------------------------------------------------------------------------
# fault injection: SIGKILL inside each kind of job, rerun as the README says
# ------------------------------------------------------------------------------------------
TINY = """datasets:
  fashion_mnist: {n_train: 200, n_test: 100}
recipes:
  quick: {epochs: 2, milestones: [1], batch_size: 50, augment: none}
  quick_e3: {epochs: 2, milestones: [1], batch_size: 50, augment: none}
  quick_digits: {epochs: 2, milestones: [1], batch_size: 50, augment: crop}
e1:
  runs: [{dataset: fashion_mnist, model: resnet8, recipe: quick, objectives: {ce: [0.0]}, seeds: [0]}]
e3: {base: fashion_mnist, digits: fashion_mnist, eps: [0.0]}
e4: {digits: fashion_mnist, canvas: 32, n_crops: 4, crop_size: 8, n_grid: 4, n_mass: 40}
"""  # one prepared data set for the three experiments (E3's and E4's "digits" are Fashion-MNIST images here)
FIG3 = "results/e1/fashion_mnist/fig3_information_plane.pdf"
PROBES = "results/runs/occluded/resnet8/ls-0/seed0/probes.csv"
GRADCAM = "results/runs/cluttered/resnet8/ce-0/seed0/gradcam.npz"
#: kind of job → (its log, the target whose graph holds it, its output), in the order the kills happen
KILLS = {
    "train": (
        "results/logs/train/fashion_mnist/resnet8/ce-0/seed0.log",
        FIG3,
        "results/runs/fashion_mnist/resnet8/ce-0/seed0/model.pt",
    ),
    "dump": (
        "results/logs/outputs/fashion_mnist/resnet8/ce-0/seed0.log",
        FIG3,
        "results/runs/fashion_mnist/resnet8/ce-0/seed0/outputs.pt",
    ),
    "figure": ("results/logs/e1/fashion_mnist/fig3.log", FIG3, FIG3),
    "features": (
        "results/logs/features/occluded/resnet8/ls-0/seed0.log",
        PROBES,
        "results/runs/occluded/resnet8/ls-0/seed0/features.pt",
    ),
    "probes": ("results/logs/probes/occluded/resnet8/ls-0/seed0.log", PROBES, PROBES),
    "gradcam": ("results/logs/gradcam/cluttered/resnet8/ce-0/seed0.log", GRADCAM, GRADCAM),
}
CONFIGS = ("presets/quick.yaml", "offline.yaml", "tiny.yaml")


def job_seconds(log: Path) -> float:
    """Seconds from a job's first log line to its ``done`` line (lsib.pipeline.joblog's ``+12.3s`` stamps)."""
    last = log.read_text().rstrip().splitlines()[-1]
    assert last.endswith("] done"), last
    return float(re.search(r"\+\s*([0-9.]+)s\]", last).group(1))


def kill_inside(workdir: Path, log: Path, target: str, delay: float, extra: tuple[str, ...]) -> bool:
    """Start snakemake on ``target``; ``delay`` s after the job writing ``log`` starts, SIGKILL its process group.

    Returns whether the job was still running when killed (its log does not end with ``done``).
    """
    started = time.time()
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        target,
        "--cores",
        "2",
        "--rerun-incomplete",
        *extra,
        "--configfile",
        "config.yaml",
        *CONFIGS,
    ]
    with open(workdir.parent / f"{workdir.name}.out", "a") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=out, stderr=out, start_new_session=True)
    deadline = started + 300
    while not (log.exists() and log.stat().st_mtime >= started):
        assert proc.poll() is None, f"snakemake ended before {log} started"
        assert time.time() < deadline
        time.sleep(0.01)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snakemake(workdir, "--unlock", configfiles=CONFIGS).returncode == 0  # a SIGKILL leaves the lock
    return not log.read_text().rstrip().endswith("done")


def assert_same_results(a: Path, b: Path) -> None:
    """Every result file of ``a`` (logs and benchmarks aside) exists in ``b`` with the same content."""

    def results(root: Path) -> set[Path]:
        return {
            p.relative_to(root)
            for p in (root / "results").rglob("*")
            if p.is_file() and p.relative_to(root).parts[1] not in ("logs", "benchmarks")
        }

    assert results(a) == results(b)
    for rel in sorted(results(a)):
        x, y = a / rel, b / rel
        if rel.suffix == ".csv":
            pd.testing.assert_frame_equal(
                pd.read_csv(x).drop(columns=["seconds"], errors="ignore"),
                pd.read_csv(y).drop(columns=["seconds"], errors="ignore"),
                check_exact=True,
            )
        elif rel.suffix == ".pt":
            same_content(torch.load(x, weights_only=True), torch.load(y, weights_only=True), str(rel))
        elif rel.suffix == ".npz":
            with np.load(x) as p, np.load(y) as q:
                assert p.files == q.files, rel
                for key in p.files:
                    nan_ok = np.issubdtype(p[key].dtype, np.floating)
                    assert np.array_equal(p[key], q[key], equal_nan=nan_ok), f"{rel}[{key!r}]"
        elif rel.suffix == ".png":
            assert np.array_equal(matplotlib.image.imread(x), matplotlib.image.imread(y)), rel
        elif rel.suffix == ".pdf":  # PDFs carry their creation time
            assert x.read_bytes()[:5] == y.read_bytes()[:5] == b"%PDF-", rel
        else:
            assert x.read_bytes() == y.read_bytes(), rel


@pytest.mark.slow
@pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="needs Debian's dataset-fashion-mnist")
@pytest.mark.skipif(
    not (SHARED / "data" / "cifar10h-counts.npy").is_file(), reason="needs ../shared/data/cifar10h-counts.npy"
)
def test_killed_inside_each_kind_of_job_the_rerun_ends_as_an_uninterrupted_run(tmp_path: Path) -> None:
    """SIGKILL to the snakemake process group at a seeded random point inside a training, dump, figure,
    feature, probe and Grad-CAM job in turn; after `--unlock` and a rerun with `--rerun-incomplete`,
    every output equals the uninterrupted run's and no partial (.part) file is left."""
    targets = (FIG3, PROBES, GRADCAM)
    workdirs = {}
    for name in ("uninterrupted", "killed"):
        workdirs[name] = copy_workflow(tmp_path / name)
        (workdirs[name] / "tiny.yaml").write_text(TINY)
    clean = workdirs["uninterrupted"]
    result = snakemake(clean, *targets, "--cores", "2", configfiles=CONFIGS, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]

    killed, rng = workdirs["killed"], random.Random(11)
    for kind, (log, target, output) in KILLS.items():
        seconds = job_seconds(clean / log)
        fraction = rng.uniform(0.05, 0.6)
        for attempt in range(4):  # a job that ran faster than in the clean run escapes the kill: force it again, sooner
            extra = ("--forcerun", output) if (killed / output).exists() else ()
            if kill_inside(killed, killed / log, target, fraction * seconds / 2**attempt, extra):
                break
        else:
            pytest.fail(f"could not kill the {kind} job while it ran")
    result = snakemake(killed, *targets, "--cores", "2", "--rerun-incomplete", configfiles=CONFIGS, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not [p for p in killed.rglob("*") if ".part" in p.name]
    assert not list((killed / "results").rglob("checkpoint.pt"))
    assert_same_results(clean, killed)
    assert "Nothing to be done" in snakemake(killed, *targets, "-n", configfiles=CONFIGS).stdout
