"""GPU slots (lsib.train.gpu_slots): k jobs per GPU spread over the GPUs, claims released when a job ends."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import torch

from lsib.train import device
from lsib.train import gpu_slots as gpu


@pytest.fixture(autouse=True)
def _release():
    yield
    gpu.release_all()


def test_first_n_claims_take_n_different_gpus_then_wrap(tmp_path: Path) -> None:
    assert [gpu.claim_gpu(3, tmp_path) for _ in range(7)] == [0, 1, 2, 0, 1, 2, 0]


def test_released_slot_is_reused_and_no_gpu_exceeds_k(tmp_path: Path) -> None:
    k, n = 2, 3
    held = [gpu.claim_gpu(n, tmp_path) for _ in range(k * n)]
    assert Counter(held) == {g: k for g in range(n)}
    # free one of GPU 1's claims (the 5th claim: slot 1 of GPU 1); the next job must take GPU 1
    handle = gpu._held.pop(4)
    handle.close()
    assert gpu.claim_gpu(n, tmp_path) == 1
    assert not (tmp_path / "gpu0-slot2").exists()  # never beyond slot k − 1 while ≤ k·n jobs run


def test_claim_of_a_killed_process_is_released(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from lsib.train.gpu_slots import claim_gpu; print(claim_gpu(2, {str(tmp_path)!r}), flush=True); "
            "import time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "0"
        assert gpu.claim_gpu(2, tmp_path) == 1  # GPU 0's first slot is the child's
    finally:
        child.kill()
        child.wait()
    assert gpu.claim_gpu(2, tmp_path) == 0  # SIGKILL dropped the child's lock


def test_lock_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(gpu.LOCK_DIR_ENV, str(tmp_path / "locks"))
    assert gpu.default_lock_dir() == tmp_path / "locks"
    assert gpu.claim_gpu(1) == 0 and (tmp_path / "locks" / "gpu0-slot0").exists()
    with pytest.raises(ValueError):
        gpu.claim_gpu(0)


def test_resolve_device_claims_a_gpu_when_several_are_visible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    current = []
    monkeypatch.setenv(gpu.LOCK_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", current.append)
    devices = [device.resolve_device(choice) for choice in ("auto", "cuda", "auto")]
    assert devices == [torch.device("cuda", 0), torch.device("cuda", 1), torch.device("cuda", 0)]
    assert current == [0, 1, 0]
    assert device.resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert device.resolve_device("auto") == torch.device("cuda")  # one GPU: no claim needed


def test_resolve_device_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.resolve_device("auto") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        device.resolve_device("cuda")


def test_cuda_without_cuda_names_the_config_key_and_what_torch_sees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    with pytest.raises(RuntimeError) as err:
        device.resolve_device("cuda")
    message = str(err.value)
    assert "device: cuda" in message and f"torch {torch.__version__}" in message
    assert f"CUDA build {torch.version.cuda}" in message and "0 CUDA devices" in message


def test_lock_dir_does_not_depend_on_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gpu.LOCK_DIR_ENV, raising=False)
    dirs = []
    for private in ("job1", "job2"):  # SLURM gives each job its own TMPDIR
        (tmp_path / private).mkdir()
        monkeypatch.setenv("TMPDIR", str(tmp_path / private))
        monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
        assert tempfile.gettempdir() == str(tmp_path / private)
        dirs.append(gpu.default_lock_dir())
    assert dirs[0] == dirs[1] and tmp_path not in dirs[0].parents
