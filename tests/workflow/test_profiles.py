"""k jobs per GPU through the `gpu_slots` resource, and which rules ask for one.

A tiny workflow whose jobs each take one `gpu_slots`, claim a GPU with lsib.train.gpu_slots and sleep,
runs under the real profiles/local with more cores than slots: the recorded intervals show
exactly as many jobs at once as `--resources gpu_slots` grants, spread evenly over two (pretend)
GPUs. The real workflow, on the quick preset with `--cores 16` on a machine that presents one GPU
(``LSIB_GPUS=1``; the jobs themselves run on the CPU), runs exactly k model jobs at once, with
and without the profile. A dry run of the real workflow shows that exactly the model jobs ask
for a slot.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_helpers import ROOT, copy_workflow, snakemake

JOB = """import sys, time
from lsib.train.gpu_slots import claim_gpu
out, n_gpus, lock_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
gpu = claim_gpu(n_gpus, lock_dir)
start = time.time()
time.sleep(2.5)
open(out, "w").write(f"{gpu} {start} {time.time()}")
"""
SNAKEFILE = """N_GPUS = config["n_gpus"]
rule all:
    input: expand("out/{i}.txt", i=range(8))
rule job:
    output: "out/{i}.txt"
    resources: gpu_slots=1
    shell: "PYTHONPATH={SRC} {PY} job.py {output} {N_GPUS} locks"
"""


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Largest number of intervals open at one instant (an end before a start at equal times)."""
    events = sorted([(end, -1) for _, end in intervals] + [(start, 1) for start, _ in intervals])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def run_tiny(tmp_path: Path, n_gpus: int, *args: str) -> list[tuple[int, float, float]]:
    (tmp_path / "job.py").write_text(JOB)
    snakefile = SNAKEFILE.replace("{SRC}", str(ROOT / "src")).replace("{PY}", sys.executable)
    (tmp_path / "Snakefile").write_text(snakefile)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--profile",
        str(ROOT / "profiles" / "local"),
        "--cores",
        "8",
        "--config",
        f"n_gpus={n_gpus}",
        *args,
    ]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    records = [(tmp_path / "out" / f"{i}.txt").read_text().split() for i in range(8)]
    return [(int(g), float(a), float(b)) for g, a, b in records]


def test_local_profile_runs_as_many_gpu_jobs_as_slots_on_one_gpu(tmp_path: Path) -> None:
    jobs = run_tiny(tmp_path, 1, "--resources", "gpu_slots=3")
    assert {g for g, _, _ in jobs} == {0}
    assert max_overlap([(a, b) for _, a, b in jobs]) == 3  # 8 cores would allow 8


def test_local_profile_spreads_k_jobs_per_gpu_over_several_gpus(tmp_path: Path) -> None:
    jobs = run_tiny(tmp_path, 2, "--resources", "gpu_slots=4")  # 2 GPUs × k = 2
    assert max_overlap([(a, b) for _, a, b in jobs]) == 4
    for gpu in (0, 1):
        assert max_overlap([(a, b) for g, a, b in jobs if g == gpu]) == 2


def test_exactly_the_model_jobs_take_a_gpu_slot(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    out = snakemake(workdir, "-n", "--profile", "profiles/local").stdout
    jobs = re.findall(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, re.M)
    slots = {rule: "gpu_slots=1" in res.split(", ") for rule, res in jobs}
    assert {rule for rule, slot in slots.items() if slot} == {
        "train",
        "run_outputs",
        "run_features",
        "run_gradcam",
        "run_benefits",
    }
    slurm = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())["set-resources"]
    assert {rule for rule, res in slurm.items() if res.get("slurm_partition") == "gpu"} == {
        r for r, s in slots.items() if s
    }
    assert len(slots) > 10 and not any("gpu=" in res for _, res in jobs)


# Started with every Python process of a job: a model job's script (Snakemake runs it as
# `.snakemake/scripts/tmpXXXX.<rule>.py`) records the interval its process lived, which lies
# inside the time Snakemake granted it its `gpu_slots` unit.
HOLD_RECORDER = """import atexit, os, sys, time
MODEL_SCRIPTS = ("train.py", "run_outputs.py", "run_features.py", "run_gradcam.py", "run_benefits.py")
if sys.argv and sys.argv[0].endswith(MODEL_SCRIPTS):
    start = time.time()
    def record():
        with open(os.path.join(os.environ["HELD_DIR"], f"{os.getpid()}.txt"), "w") as f:
            f.write(f"{start} {time.time()}")
    atexit.register(record)
"""
TINY_RECIPES = """recipes:
  quick: {epochs: 2, milestones: [1], batch_size: 50, augment: none}
"""
#: The models of E1's ResNet-8 panel of the quick preset: k + 1 model jobs, none depending on another.
RESNET_PANEL = [
    f"results/runs/fashion_mnist/resnet8/{run}/seed0/model.pt"
    for run in ("ce-0", "ls-0.1", "ls-0.4", "cp-0.3", "vib-0.5")
]


@pytest.mark.slow
@pytest.mark.parametrize("profile", [[], ["--profile", "profiles/local"]], ids=["no_profile", "local_profile"])
def test_cores_16_on_one_gpu_run_exactly_k_model_jobs_at_once(tmp_path: Path, profile: list[str]) -> None:
    workdir = copy_workflow(tmp_path / "w")
    (workdir / "tiny.yaml").write_text(TINY_RECIPES)
    hook, held = tmp_path / "hook", tmp_path / "held"
    hook.mkdir()
    held.mkdir()
    (hook / "sitecustomize.py").write_text(HOLD_RECORDER)
    env = {
        **os.environ,
        "LSIB_GPUS": "1",
        "HELD_DIR": str(held),
        "PYTHONPATH": os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    cmd = [sys.executable, "-m", "snakemake", *RESNET_PANEL, "--cores", "16", *profile]
    cmd += ["--configfile", "config.yaml", "presets/quick.yaml", "offline.yaml", "tiny.yaml"]
    cmd += ["--config", "device=auto"]  # the jobs run on the CPU; profiles/local asks for device=cuda
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    k = yaml.safe_load((ROOT / "config.yaml").read_text())["gpu"]["jobs_per_gpu"]
    intervals = [tuple(map(float, p.read_text().split())) for p in held.glob("*.txt")]
    assert len(intervals) == len(RESNET_PANEL) == k + 1
    assert max_overlap(intervals) == k  # 16 cores and 1 thread per job would allow 5
