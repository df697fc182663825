"""GPU detection for the workflow's gpu_slots bound (lsib.pipeline.gpus): no torch, env override, CUDA mask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lsib.pipeline.gpus import GPUS_ENV, visible_gpus

LISTING = "GPU 0: NVIDIA H200 (UUID: GPU-a)\n  MIG 1g.18gb Device 0: (UUID: MIG-x)\nGPU 1: NVIDIA H200 (UUID: GPU-b)\n"


@pytest.fixture
def fake_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ``nvidia-smi`` on PATH that lists two GPUs (one with a MIG device)."""
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\ncat <<'END'\n" + LISTING + "END\n")
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv(GPUS_ENV, raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


def test_override_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GPUS_ENV, "3")
    assert visible_gpus() == 3


def test_no_driver_means_no_gpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(GPUS_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    assert visible_gpus() == 0


@pytest.mark.parametrize(("mask", "expected"), [(None, 2), ("1", 1), ("0,1,2", 2), ("-1", 0), ("", 0), ("0,-1,1", 1)])
def test_gpus_are_listed_and_capped_by_the_cuda_mask(
    fake_smi: None, monkeypatch: pytest.MonkeyPatch, mask: str | None, expected: int
) -> None:
    if mask is not None:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", mask)
    assert visible_gpus() == expected
