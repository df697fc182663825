"""lsib.pipeline.status on a fake results tree: done, half-trained, failed and missing runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from workflow_helpers import ROOT

from lsib.pipeline import plan, status

QUICK = [ROOT / "config.yaml", ROOT / "presets" / "quick.yaml"]


def write_metrics(run_dir: Path, epochs: int, seconds: float = 2.0) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    rows = [
        {"epoch": e, "loss": 1 / e, "train_acc": 0.9, "test_acc": 0.8, "test_epoch": e, "lr": 0.1, "seconds": seconds}
        for e in range(1, epochs + 1)
    ]
    pd.DataFrame(rows).to_csv(run_dir / "metrics.csv", index=False)


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, list[plan.Run]]:
    """Run 0 done, run 1 at epoch 20 with a checkpoint, run 2 failed, the rest not started."""
    runs = plan.all_runs(status.load_config(QUICK))
    done, half, failed = runs[:3]
    total = plan.total_epochs(status.load_config(QUICK), done)
    results = tmp_path / "results"
    write_metrics(results / "runs" / done.path, total)
    (results / "runs" / done.path / "model.pt").write_bytes(b"")
    write_metrics(results / "runs" / half.path, 20)
    (results / "runs" / half.path / "checkpoint.pt").write_bytes(b"")
    logs = results / "logs" / "train"
    for run, text in [
        (half, "[12:00:00 +0.0s] d: 500 train / 100 test; …\n"),
        (failed, "[12:00:00 +0.0s] d: 500 train / 100 test\nTraceback (most recent call last):\nOSError: disk\n"),
    ]:
        (logs / run.path).parent.mkdir(parents=True, exist_ok=True)
        (logs / f"{run.path}.log").write_text(text)
    return tmp_path, runs


def test_each_state_with_its_progress(tree):
    root, runs = tree
    table = status.status_table(status.load_config(QUICK), root)
    assert len(table) == len(runs)
    done, half, failed, *rest = table.to_dict("records")
    total = done["epochs"]
    assert done["state"] == "done" and done["epoch"] == total and done["eta_h"] == 0
    assert half["state"] == f"training at epoch 20 of {half['epochs']}"
    assert half["images_per_s"] == pytest.approx(500 / 2.0)
    assert half["elapsed_h"] == pytest.approx(20 * 2.0 / 3600)
    assert half["eta_h"] == pytest.approx((half["epochs"] - 20) * 2.0 / 3600)
    assert failed["state"] == "failed" and failed["log"] == f"results/logs/train/{runs[2].path}.log"
    assert {r["state"] for r in rest} == {"not started"}
    same_pair = [r for r in rest if (r["dataset"], r["model"]) == (done["dataset"], done["model"])]
    assert same_pair and all(r["eta_h"] == pytest.approx(r["epochs"] * 2.0 / 3600) for r in same_pair)
    assert status.totals(table).startswith(f"1/{len(runs)} runs done, 1 failed")


def test_the_command_prints_and_writes_the_table_without_importing_torch(tree, tmp_path):
    root, runs = tree
    (root / "config.yaml").write_text((ROOT / "config.yaml").read_text())  # read from --directory
    out = tmp_path / "status.csv"
    args = ["--directory", str(root), "--csv", str(out), "--configfile", str(QUICK[1])]
    code = f"import sys, lsib.pipeline.status as s; s.main({args!r}); assert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "training at epoch 20" in result.stdout and "runs done" in result.stdout
    assert len(pd.read_csv(out)) == len(runs)
