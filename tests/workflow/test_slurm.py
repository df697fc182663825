"""The SLURM profile against a real one-node cluster (.ci/slurm/start-cluster.sh; started by .ci/run).

A small quick-preset target — E2's tables, Fig. 1, and two training runs (CE and LS) with
their exact information — is run once through `--profile profiles/slurm` and once locally.
The jobs must have gone through sbatch (SLURM job ids in the log), the CPU jobs to partition
`cpu` and the model jobs (two trainings, two dumps) to `gpu`, each holding one GRES shard of
the cluster's single GPU, and the two trainings must have run at the same time on that GPU
(k = 4 shards / 1 per job); the outputs must equal the local run's. During the SLURM run the LS
training's job is killed once (``scancel --signal=KILL --full``) right after its first
checkpoint: the profile's ``retries: 2`` must resubmit it as a second SLURM job, which resumes
from ``checkpoint.pt`` and ends with the very ``model.pt`` of the uninterrupted local run
(CPU training is bit-reproducible across a kill). The test cluster's GPU is
a GRES record without CUDA behind it, so the run overrides the profile's ``device=cuda`` with
``device=auto`` (a GPU job that sees no CUDA would otherwise fail, as it should).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pytest
import torch
from result_compare import same_content
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
EPOCHS = 4  # the epochs after the first checkpoint are the window in which the killed job still runs
TINY = f"""recipes:
  quick: {{epochs: {EPOCHS}, milestones: [2], batch_size: 50, augment: none}}
"""
RUNS = ("fashion_mnist/resnet8/ce-0/seed0", "fashion_mnist/resnet8/ls-0.1/seed0")
KILLED = RUNS[1]  # killed once after its first checkpoint; RUNS[0] runs uninterrupted
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


def train_comment(run: str) -> str:
    """The SLURM job comment the plugin gives ``run``'s training job (rule and wildcards)."""
    dataset, model, objective_coef, seed = run.split("/")
    return f"rule_train_wildcards_{dataset}_{model}_{objective_coef.replace('-', '_')}_{seed.removeprefix('seed')}"


def log_interval(text: str) -> tuple[int, int]:
    """Seconds of the day of a job log's first and last line (``[HH:MM:SS +…]``)."""
    stamps = re.findall(r"^\[(\d\d):(\d\d):(\d\d) ", text, re.M)
    first, last = ((int(h) * 60 + int(m)) * 60 + int(s) for h, m, s in (stamps[0], stamps[-1]))
    return first, last


def kill_after_first_checkpoint(workdir: Path, run: str, done: threading.Event, killed: dict[str, str]) -> None:
    """Once ``run`` has written checkpoint.pt, keep its training log as it is and SIGKILL its
    SLURM job's processes (``scancel --signal=KILL --full``); record the job id and log in ``killed``."""
    checkpoint = workdir / f"results/runs/{run}/checkpoint.pt"
    while not done.wait(0.05):
        if not checkpoint.exists():
            continue
        squeue = subprocess.run(["squeue", "-h", "-t", "running", "-o", "%i %k"], capture_output=True, text=True)
        job = next((line.split()[0] for line in squeue.stdout.splitlines() if line.endswith(train_comment(run))), None)
        if job is not None:
            killed["log"] = (workdir / f"results/logs/train/{run}.log").read_text()
            subprocess.run(["scancel", "--signal=KILL", "--full", job], check=True)
            killed["job"] = job
            return


def test_slurm_profile_shares_one_gpu_and_a_killed_training_resumes_with_local_results(tmp_path: Path) -> None:
    done, killed = threading.Event(), {}
    killer = threading.Thread(target=kill_after_first_checkpoint, args=(tmp_path / "slurm", KILLED, done, killed))
    killer.start()
    try:
        slurm = run_copy(tmp_path / "slurm", "--profile", "profiles/slurm", "--config", "device=auto")
    finally:
        done.set()
        killer.join()
    assert slurm.returncode == 0, slurm.stderr[-5000:]
    assert "job" in killed, "the LS training was never seen running with a checkpoint"
    log = slurm.stdout + slurm.stderr
    job_ids = re.findall(r"SLURM jobid (\d+)", log)
    # data_cifar10h and data_download are localrules (downloads stay on the submit host)
    assert len(job_ids) >= 8, log[-3000:]
    partitions = {job_id: job_field(job_id, "Partition") for job_id in job_ids}
    assert set(partitions.values()) == {"cpu", "gpu"}
    gpu_jobs = {job_id: job_field(job_id, "Comment") for job_id, p in partitions.items() if p == "gpu"}
    assert sorted(c.split("_wildcards")[0] for c in gpu_jobs.values()) == ["rule_run_outputs"] * 2 + ["rule_train"] * 3
    assert {job_field(j, "TresPerNode") for j in gpu_jobs} == {"gres:shard:1"}  # a shard of the GPU, not all of it
    gpus = subprocess.run(["sinfo", "-h", "-p", "gpu", "-o", "%G"], capture_output=True, text=True, check=True).stdout
    assert gpus.split()[0].startswith("gpu:1,")  # the cluster has ONE GPU …

    # the killed training: a failed SLURM job, Snakemake's retry as a second job that resumed from the checkpoint
    attempts = sorted((j for j, c in gpu_jobs.items() if c == train_comment(KILLED)), key=int)
    assert attempts[0] == killed["job"] and len(attempts) == 2, (attempts, killed["job"])
    assert [job_field(j, "JobState") for j in attempts] == ["CANCELLED", "COMPLETED"]
    assert "Trying to restart job" in log
    resumed = re.search(
        rf"resuming from \S+checkpoint\.pt after epoch (\d+)/{EPOCHS}",
        (tmp_path / f"slurm/results/logs/train/{KILLED}.log").read_text(),
    )
    assert resumed and int(resumed[1]) > 0, "the retry did not resume from the checkpoint"

    # … and the two trainings' first attempts held shards of the GPU at the same time (SLURM's record, their logs)
    (uninterrupted,) = (j for j, c in gpu_jobs.items() if c == train_comment(RUNS[0]))
    starts, ends = zip(*((job_field(j, "StartTime"), job_field(j, "EndTime")) for j in (uninterrupted, attempts[0])))
    assert max(starts) < min(ends), (starts, ends)
    (start_a, end_a) = log_interval((tmp_path / f"slurm/results/logs/train/{RUNS[0]}.log").read_text())
    (start_b, end_b) = log_interval(killed["log"])
    assert max(start_a, start_b) < min(end_a, end_b), ((start_a, end_a), (start_b, end_b))

    local = run_copy(tmp_path / "local", "--cores", "2")
    assert local.returncode == 0, local.stderr[-5000:]
    for table in TABLES:
        a = pd.read_csv(tmp_path / "slurm" / table).drop(columns=["seconds"], errors="ignore")
        b = pd.read_csv(tmp_path / "local" / table).drop(columns=["seconds"], errors="ignore")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
    for run in RUNS:  # the resumed run's weights equal the uninterrupted local run's bit for bit
        model = f"results/runs/{run}/model.pt"
        same_content(*(torch.load(tmp_path / where / model, weights_only=True) for where in ("slurm", "local")), model)
