"""The SLURM profile against a real one-node cluster (.ci/slurm/start-cluster.sh; started by .ci/run).

A small quick-preset target — E2's tables, Fig. 1, and two training runs (CE and LS) with
their exact information — is run once through `--profile profiles/slurm` and once locally.
The jobs must have gone through sbatch (SLURM job ids in the log), the CPU jobs to partition
`cpu` and the model jobs (two trainings, two dumps) to `gpu`, each holding one GRES shard of
the cluster's single GPU, and the two trainings must have run at the same time on that GPU
(k = 4 shards / 1 per job); the outputs must equal the local run's. The test cluster's GPU is
a GRES record without CUDA behind it, so the run overrides the profile's ``device=cuda`` with
``device=auto`` (a GPU job that sees no CUDA would otherwise fail, as it should).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from workflow_helpers import FASHION_MNIST, SHARED, copy_workflow, snakemake

pytestmark = [
    pytest.mark.slow,
    pytest.mark.slurm,
    pytest.mark.skipif(
        shutil.which("sinfo") is None or subprocess.run(["sinfo"], capture_output=True).returncode != 0,
        reason="no SLURM cluster answers sinfo (start one with: sudo bash .ci/slurm/start-cluster.sh)",
    ),
    pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="needs Debian's dataset-fashion-mnist"),
    pytest.mark.skipif(
        not (SHARED / "data" / "cifar10h-counts.npy").is_file(), reason="needs ../shared/data/cifar10h-counts.npy"
    ),
]

CONFIGS = ("presets/quick.yaml", "offline.yaml", "tiny.yaml")
TINY = """recipes:
  quick: {epochs: 2, milestones: [1], batch_size: 50, augment: none}
"""
RUNS = ("fashion_mnist/resnet8/ce-0/seed0", "fashion_mnist/resnet8/ls-0.1/seed0")
TARGETS = (
    "results/e2/ls_path.csv",
    "results/e2/reference.csv",
    "results/f1/fig1_theory.pdf",
    *(f"results/runs/{run}/information.csv" for run in RUNS),
)
TABLES = (
    "results/e2/ls_path.csv",
    "results/e2/reference.csv",
    *(f"results/runs/{run}/{name}" for run in RUNS for name in ("information.csv", "metrics.csv")),
)


def run_copy(dest: Path, *args: str) -> subprocess.CompletedProcess:
    workdir = copy_workflow(dest)
    (workdir / "tiny.yaml").write_text(TINY)
    return snakemake(workdir, *TARGETS, *args, configfiles=CONFIGS, timeout=900)


def job_field(job_id: str, field: str) -> str:
    record = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=True
    ).stdout
    return re.search(rf"\b{field}=(\S*)", record).group(1)


def train_interval(workdir: Path, run: str) -> tuple[int, int]:
    """Seconds of the day of a training log's first and last line (``[HH:MM:SS +…]``)."""
    stamps = re.findall(r"^\[(\d\d):(\d\d):(\d\d) ", (workdir / f"results/logs/train/{run}.log").read_text(), re.M)
    first, last = ((int(h) * 60 + int(m)) * 60 + int(s) for h, m, s in (stamps[0], stamps[-1]))
    return first, last


def test_slurm_profile_shares_one_gpu_between_training_jobs_with_local_results(tmp_path: Path) -> None:
    slurm = run_copy(tmp_path / "slurm", "--profile", "profiles/slurm", "--config", "device=auto")
    assert slurm.returncode == 0, slurm.stderr[-5000:]
    log = slurm.stdout + slurm.stderr
    job_ids = re.findall(r"SLURM jobid (\d+)", log)
    # data_cifar10h and data_download are localrules (downloads stay on the submit host)
    assert len(job_ids) >= 7, log[-3000:]
    partitions = {job_field(job_id, "Partition") for job_id in job_ids}
    assert partitions == {"cpu", "gpu"}
    gpu_jobs = {job_id: job_field(job_id, "Comment") for job_id in job_ids if job_field(job_id, "Partition") == "gpu"}
    assert sorted(c.split("_wildcards")[0] for c in gpu_jobs.values()) == ["rule_run_outputs"] * 2 + ["rule_train"] * 2
    assert {job_field(j, "TresPerNode") for j in gpu_jobs} == {"gres:shard:1"}  # a shard of the GPU, not all of it
    gpus = subprocess.run(["sinfo", "-h", "-p", "gpu", "-o", "%G"], capture_output=True, text=True, check=True).stdout
    assert gpus.split()[0].startswith("gpu:1,")  # the cluster has ONE GPU …
    # … and the two training jobs held shards of it at the same time (SLURM's record and the runs' own logs)
    trains = [j for j, c in gpu_jobs.items() if c.startswith("rule_train")]
    starts, ends = zip(*((job_field(j, "StartTime"), job_field(j, "EndTime")) for j in trains))
    assert max(starts) < min(ends), (starts, ends)
    (start_a, end_a), (start_b, end_b) = (train_interval(tmp_path / "slurm", run) for run in RUNS)
    assert max(start_a, start_b) < min(end_a, end_b), ((start_a, end_a), (start_b, end_b))

    local = run_copy(tmp_path / "local", "--cores", "2")
    assert local.returncode == 0, local.stderr[-5000:]
    for table in TABLES:
        a = pd.read_csv(tmp_path / "slurm" / table).drop(columns=["seconds"], errors="ignore")
        b = pd.read_csv(tmp_path / "local" / table).drop(columns=["seconds"], errors="ignore")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
