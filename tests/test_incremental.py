"""Incremental reruns: after an edit, Snakemake schedules exactly the stale jobs (dry-run job lists).

Each test builds a quick-preset workspace whose every output exists with provenance metadata
(`snakemake --touch` records it; no job really runs), makes one edit, and reads the job
statistics of `snakemake -n`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from workflow_helpers import copy_workflow, snakemake


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workflow copy in which the whole quick graph is up to date (empty files, full metadata)."""
    workdir = copy_workflow(tmp_path)
    assert snakemake(workdir, "--touch", "--cores", "1").returncode == 0  # records metadata of every job
    summary = snakemake(workdir, "--summary").stdout.splitlines()[1:]
    for line in summary:
        path = workdir / line.split("\t")[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    assert snakemake(workdir, "--touch", "--cores", "1").returncode == 0  # outputs now newer than inputs
    assert planned(workdir) == Counter()
    return workdir


def planned(workdir: Path) -> Counter:
    """Jobs per rule that `snakemake -n` would run (the `all` target rule left out)."""
    out = snakemake(workdir, "-n").stdout
    if "Nothing to be done" in out:
        return Counter()
    table = out.split("Job stats:")[1].split("total")[0]
    counts = Counter({m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)})
    del counts["all"]
    return counts


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_adding_one_eps_trains_only_the_new_run(workspace: Path) -> None:
    edit(workspace / "presets/quick.yaml", "ls: [0.1, 0.4]", "ls: [0.1, 0.2, 0.4]")
    # e1_optimum_paths: the new ε's exact optimum is added to Fig. 3's markers
    assert planned(workspace) == Counter(train=1, dump_outputs=1, run_information=1, e1_table=1, e1_figure=1,
                                         e1_optimum_paths=1)
    assert "coef=0.2" in snakemake(workspace, "-n").stdout


def test_editing_one_plot_script_redraws_only_its_figure(workspace: Path) -> None:
    edit(workspace / "workflow/scripts/plot_fig4.py", "plots.set_style()", "plots.set_style()  # edited")
    assert planned(workspace) == Counter(e2_figure=1)


def test_changing_a_training_hyperparameter_reruns_its_runs_and_descendants(workspace: Path) -> None:
    edit(workspace / "presets/quick.yaml", "quick: {epochs: 60,", "quick: {epochs: 61,")
    e1 = Counter(train=5, dump_outputs=5, run_information=5, e1_table=1, e1_figure=1)
    assert planned(workspace) == e1


def test_changing_the_solver_settings_reruns_only_e2_and_e5(workspace: Path) -> None:
    edit(workspace / "config.yaml", "  solver: {}", "  solver: {lr: 0.1}")
    # E5 compares every path with E2's solutions, so its table and figure follow them
    assert planned(workspace) == Counter(e2_ib_solutions=1, e2_figure=1, e2_gaps=1, e5_paths=1, e5_figure=1)
