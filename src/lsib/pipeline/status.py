"""A live table of a sweep: one row per planned run, read from the plan and ``results/`` only.

``python -m lsib.pipeline.status [--configfile FILE ...] [--csv OUT]`` from the workflow's
directory prints, for every run :func:`lsib.pipeline.plan.all_runs` plans, its state and
progress, then the totals. It only reads files a job writes anyway — ``model.pt``,
``metrics.csv`` (rewritten atomically after every epoch), ``checkpoint.pt`` and the train log —
so it runs at any time, locally or on a SLURM login node, and never waits for or blocks a job.
It imports neither torch nor Snakemake.

State of a run, in order: **done** (``model.pt`` exists); **failed** (its train log holds a
traceback; the row names the log); **training** at epoch e of E (a ``metrics.csv`` or a
``checkpoint.pt``: running, or interrupted and resumable); **not started**. Speeds come from
the last :data:`RECENT` epochs' ``seconds``: ``images/s = n_train / mean seconds`` (``n_train``
from the log's first line) and ``ETA = mean seconds × epochs left``. A run not started is
projected at the mean epoch time of the runs of its data set and model (else of all runs) ×
its epochs; the totals add up the job time spent (with k jobs per GPU, job-hours, not GPU-hours)
and the hours left.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lsib.pipeline import plan

RECENT = 5
"""Epochs whose mean time gives a run's speed and ETA."""
_TRAIN_SIZE = re.compile(r": (\d+) train / \d+ test")
COLUMNS = [
    "dataset",
    "model",
    "objective",
    "coef",
    "seed",
    "state",
    "epoch",
    "epochs",
    "loss",
    "test_acc",
    "images_per_s",
    "elapsed_h",
    "eta_h",
    "log",
]


def load_config(paths: Sequence[str | Path]) -> dict[str, Any]:
    """The configs of ``paths`` merged in order, nested keys recursively, as Snakemake merges
    ``config.yaml`` and each ``--configfile``."""

    def merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in override.items():
            both = isinstance(value, Mapping) and isinstance(base.get(key), Mapping)
            out[key] = merge(base[key], value) if both else value
        return out

    config: dict[str, Any] = {}
    for path in paths:
        config = merge(config, yaml.safe_load(Path(path).read_text()) or {})
    return config


def run_status(run: plan.Run, epochs: int, root: Path) -> dict[str, Any]:
    """One row of the table for ``run`` (planned for ``epochs`` epochs) under the workflow directory ``root``."""
    run_dir = root / "results" / "runs" / run.path
    log = root / "results" / "logs" / "train" / f"{run.path}.log"
    row: dict[str, Any] = {
        **{k: getattr(run, k) for k in ("dataset", "model", "objective", "coef", "seed")},
        "epochs": epochs,
        "log": "",
    }
    text = log.read_text(errors="replace") if log.is_file() else ""
    metrics = run_dir / "metrics.csv"
    rows = pd.read_csv(metrics) if metrics.is_file() else pd.DataFrame()
    if (run_dir / "model.pt").is_file():
        row["state"] = "done"
    elif "Traceback (most recent call last)" in text:
        row["state"], row["log"] = "failed", str(log.relative_to(root))
    elif not rows.empty or (run_dir / "checkpoint.pt").is_file():
        row["state"] = "training"
    else:
        row["state"] = "not started"
    if rows.empty:
        return row
    last = rows.iloc[-1]
    recent = float(rows["seconds"].tail(RECENT).mean())
    size = _TRAIN_SIZE.search(text)
    row.update(
        epoch=int(last["epoch"]),
        loss=float(last["loss"]),
        test_acc=float(last["test_acc"]),
        images_per_s=int(size[1]) / recent if size else np.nan,
        elapsed_h=float(rows["seconds"].sum()) / 3600,
        eta_h=0.0 if row["state"] == "done" else recent * (epochs - int(last["epoch"])) / 3600,
        epoch_s=float(rows["seconds"].mean()),
    )
    if row["state"] == "training":
        row["state"] = f"training at epoch {int(last['epoch'])} of {epochs}"
    return row


def status_table(config: Mapping[str, Any], root: str | Path = ".") -> pd.DataFrame:
    """Every planned run's row (:data:`COLUMNS`); runs not started get a projected ``eta_h``."""
    runs = plan.all_runs(config)
    table = pd.DataFrame([run_status(run, plan.total_epochs(config, run), Path(root)) for run in runs])
    table = table.reindex(columns=[*COLUMNS, "epoch_s"])
    pending = table["state"] == "not started"
    by_pair = table.groupby(["dataset", "model"])["epoch_s"].transform("mean").fillna(table["epoch_s"].mean())
    table.loc[pending, "eta_h"] = (by_pair * table["epochs"] / 3600)[pending]
    return table[COLUMNS]


def totals(table: pd.DataFrame) -> str:
    """One line: runs done, job-hours spent, projected hours left (unknown before any epoch ran)."""
    done = int((table["state"] == "done").sum())
    failed = int((table["state"] == "failed").sum())
    left = table.loc[table["state"] != "done", "eta_h"]
    projected = f"{left.sum():.2f} h" if left.notna().all() else f"≥ {left.sum():.2f} h (some runs not timed yet)"
    return (
        f"{done}/{len(table)} runs done, {failed} failed; {table['elapsed_h'].sum():.2f} job-hours spent; "
        f"{projected} left if run one after another"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lsib.pipeline.status", description=__doc__.split("\n\n")[0])
    parser.add_argument("--configfile", nargs="+", default=[], help="config files on top of config.yaml, in order")
    parser.add_argument("--directory", default=".", help="the workflow directory (holds config.yaml and results/)")
    parser.add_argument("--csv", help="also write the table to this CSV file")
    args = parser.parse_args(argv)
    root = Path(args.directory)
    table = status_table(load_config([root / "config.yaml", *args.configfile]), root)
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 80):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep=""))
    print(totals(table))
    if args.csv:
        table.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
