"""Helpers for tests that run the Snakemake workflow in a temporary copy of the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
WORKFLOW_FILES = ("Snakefile", "config.yaml", "presets", "workflow", "profiles", "envs", "src")


def copy_workflow(dest: Path) -> Path:
    """Copy the workflow (not results) to ``dest`` and point the quick preset at ../shared's CIFAR-10H."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    (dest / "offline.yaml").write_text(f"cifar10h:\n  local_path: {SHARED / 'data' / 'cifar10h-counts.npy'}\n")
    return dest


def snakemake(
    workdir: Path,
    *args: str,
    configfiles: tuple[str, ...] = ("presets/quick.yaml", "offline.yaml"),
    timeout: float = 3600,
) -> subprocess.CompletedProcess:
    """Run ``snakemake ARGS --configfile config.yaml CONFIGFILES`` in ``workdir``; targets go in ``args``."""
    cmd = [sys.executable, "-m", "snakemake", *args, "--configfile", "config.yaml", *configfiles]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)


def dry_run_rules(workdir: Path, *args: str, configfiles: tuple[Path, ...] = ()) -> subprocess.CompletedProcess:
    """``snakemake -n --quiet rules`` of this checkout's Snakefile in ``workdir`` (nothing copied), with ``ARGS``
    (targets, options) and config.yaml merged with ``configfiles``."""
    cmd = [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "-s", str(ROOT / "Snakefile")]
    cmd += ["-d", str(workdir), *args, "--configfile", str(ROOT / "config.yaml"), *map(str, configfiles)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, timeout=120)
