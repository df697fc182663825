"""The SLURM profile against a real one-node cluster (ci/slurm/start-cluster.sh; started by .ci/run).

A small quick-preset target — E2's tables, Fig. 1, and one training run with its exact
information — is run once through `--profile profiles/slurm` and once locally; the jobs must
have gone through sbatch (SLURM job ids in the log), the GPU job to the `gpu` partition and
the others to `cpu`, and the outputs must equal the local run's.
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
    pytest.mark.skipif(shutil.which("sinfo") is None or subprocess.run(["sinfo"], capture_output=True).returncode != 0,
                       reason="no SLURM cluster answers sinfo (start one with: sudo bash ci/slurm/start-cluster.sh)"),
    pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="needs Debian's dataset-fashion-mnist"),
    pytest.mark.skipif(not (SHARED / "data" / "cifar10h-counts.npy").is_file(), reason="needs ../shared/data/cifar10h-counts.npy"),
]

TINY = """recipes:
  quick: {epochs: 2, milestones: [1], batch_size: 50, augment: none}
"""
RUN = "results/runs/fashion_mnist/resnet8/ce-0/seed0"
TARGETS = ("results/e2/ls_path.csv", "results/e2/reference.csv", "results/f1/fig1_theory.pdf", f"{RUN}/information.csv")
TABLES = ("results/e2/ls_path.csv", "results/e2/reference.csv", f"{RUN}/information.csv", f"{RUN}/metrics.csv")
CONFIGS = ("presets/quick.yaml", "offline.yaml", "tiny.yaml")


def run_copy(dest: Path, *args: str) -> subprocess.CompletedProcess:
    workdir = copy_workflow(dest)
    (workdir / "tiny.yaml").write_text(TINY)
    return snakemake(workdir, *TARGETS, *args, configfiles=CONFIGS, timeout=900)


def job_field(job_id: str, field: str) -> str:
    record = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=True).stdout
    return re.search(rf"\b{field}=(\S*)", record).group(1)


def test_slurm_profile_runs_jobs_through_sbatch_with_local_results(tmp_path: Path) -> None:
    slurm = run_copy(tmp_path / "slurm", "--profile", "profiles/slurm")
    assert slurm.returncode == 0, slurm.stderr[-5000:]
    log = slurm.stdout + slurm.stderr
    job_ids = re.findall(r"SLURM jobid (\d+)", log)
    # data_cifar10h and data_download are localrules (downloads stay on the submit host)
    assert len(job_ids) >= 5, log[-3000:]
    partitions = {job_field(job_id, "Partition") for job_id in job_ids}
    assert partitions == {"cpu", "gpu"}
    gpu_jobs = [job_id for job_id in job_ids if job_field(job_id, "Partition") == "gpu"]
    assert len(gpu_jobs) == 2  # train and run_outputs of the one run
    assert sorted(job_field(j, "Comment").split("_wildcards")[0] for j in gpu_jobs) == ["rule_run_outputs", "rule_train"]

    local = run_copy(tmp_path / "local", "--cores", "2")
    assert local.returncode == 0, local.stderr[-5000:]
    for table in TABLES:
        a = pd.read_csv(tmp_path / "slurm" / table).drop(columns=["seconds"], errors="ignore")
        b = pd.read_csv(tmp_path / "local" / table).drop(columns=["seconds"], errors="ignore")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
