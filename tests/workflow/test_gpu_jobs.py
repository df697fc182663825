"""How model jobs meet the GPU: the GPU profiles ask for CUDA, training shares one Inductor cache."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_helpers import ROOT


@pytest.mark.parametrize("profile", ["local", "slurm"])
def test_gpu_profiles_set_device_cuda_over_a_preset(tmp_path: Path, profile: str) -> None:
    """A GPU run fails loudly without CUDA (lsib.train.device.resolve_device) instead of training on the CPU."""
    (tmp_path / "Snakefile").write_text('print("device:", config["device"])\nrule all:\n    shell: "true"\n')
    args = ["--profile", str(ROOT / "profiles" / profile), "--configfile", str(ROOT / "presets/quick.yaml")]
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "device: cuda" in result.stdout


def test_train_script_keeps_the_inductor_cache_under_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not in a private /tmp (SLURM): every job would compile every graph again."""
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AttributeError):  # the stand-in for Snakemake's object has nothing else
        runpy.run_path(str(ROOT / "workflow/scripts/train.py"), init_globals={"snakemake": object()})
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "results" / "cache" / "inductor")
