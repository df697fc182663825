"""End to end: the quick preset through Snakemake in a temporary directory (slow; run in CI).

One session fixture runs the whole quick graph once; each test checks one experiment's
acceptance numbers (SPEC §5) on the tables it wrote, and that every figure exists.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from workflow_helpers import FASHION_MNIST, ROOT, SHARED, copy_workflow, snakemake

from lsib.info.theory import ls_curve_at

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not FASHION_MNIST.is_dir(),
        reason="needs Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)",
    ),
    pytest.mark.skipif(
        not (SHARED / "data" / "cifar10h-counts.npy").is_file(), reason="needs ../shared/data/cifar10h-counts.npy"
    ),
]

FIGURES = [
    "results/f1/fig1_theory",
    "results/e2/fig4_ib_vs_ls",
    "results/e1/fashion_mnist/fig3_information_plane",
    "results/e1/fashion_mnist_cct/fig3_information_plane",
    "results/e3/fig6_probes",
    "results/e4/fig7_gradcam",
    "results/e4/fig8_gradcam_grid",
    "results/e4/fig_box_mass",
    "results/e5/fig_e5_paths",
    "results/e1/fashion_mnist/fig_learning_curves",
    "results/e1/fashion_mnist_cct/fig_learning_curves",
    "results/e3/fig_learning_curves",
    "results/e4/fig_learning_curves",
    "results/e6/fashion_mnist/fig_benefits",
    "results/e6/fashion_mnist/fig_projection",
    "results/e6/fashion_mnist_cct/fig_benefits",
    "results/e6/fashion_mnist_cct/fig_projection",
]
#: Every result table the report lists, with a phrase of its caption.
REPORT_TABLES = {
    "information.csv": "numbers Fig. 3 plots",
    "reference.csv": "the bounds Fig. 4 is read against",
    "gaps.csv": "LS is not IB-optimal",
    "iterative_ib.csv": "second estimate of the IB frontier",
    "paths.csv": "lines of the E5 figure",
    "probes.csv": "LS discards the nuisance",
    "accuracy.csv": "models of similar accuracy",
    "box_mass_summary.csv": "rather than the clutter",
    "benefits.csv": "everything compression is said to buy",
    "matched.csv": "objectives compared at matched train",
    "e3_compression.csv": "how much its penultimate layer is compressed",
}


@pytest.fixture(scope="session")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of the workflow after `snakemake --cores 2` on the quick preset."""
    workdir = copy_workflow(tmp_path_factory.mktemp("quick"))
    started = time.perf_counter()
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stderr[-5000:]
    print(f"\nquick preset: {time.perf_counter() - started:.0f} s")
    return workdir


def test_every_figure_and_table_is_written_atomically(quick: Path) -> None:
    for stem in FIGURES:
        assert (quick / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (quick / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in (quick / "results").rglob("*") if ".part" in p.name]
    assert "Nothing to be done" in snakemake(quick, "-n").stdout


def test_every_job_logged_its_progress(quick: Path) -> None:
    logs = list((quick / "results/logs").rglob("*.log"))
    assert len(logs) >= 30
    for log in logs:
        assert log.read_text().rstrip().endswith("done"), log
    assert list((quick / "results/benchmarks/train").rglob("*.tsv"))


def test_e2_ib_solutions_lie_above_the_ls_curve(quick: Path) -> None:
    """Issue acceptance: span ≤ 0.5 … ≥ 2.25 nats; ≥ 0.02 nats above LS (≥ 0.12 within 0.03 of Î(X;Z) = 2.3)."""
    reference = pd.read_csv(quick / "results/e2/reference.csv").set_index("quantity")["value"]
    assert reference["h_y"] == pytest.approx(2.30221, abs=5e-5)
    assert reference["i_xy"] == pytest.approx(2.14775, abs=5e-5)
    assert reference["argmax_i_zy"] == pytest.approx(2.05307, abs=5e-5)
    ls = pd.read_csv(quick / "results/e2/ls_path.csv")
    ib = pd.read_csv(quick / "results/e2/ib_solutions.csv")
    assert len(ib) >= 12
    assert ib["i_xz"].min() <= 0.5 and ib["i_xz"].max() >= 2.25
    assert (ib["i_zy"] <= np.minimum(ib["i_xz"], reference["i_xy"]) + 1e-9).all()  # DPI
    margin = ib["i_zy"] - ls_curve_at(ib["i_xz"].to_numpy(), ls["i_xz"].to_numpy(), ls["i_zy"].to_numpy())
    assert (margin[ib["i_xz"] >= 0.5] >= 0.02).all()
    assert (margin[ib["i_xz"] >= 2.27] >= 0.12).all()  # "near 2.3": within 0.03 nats
    assert "solved in" in (quick / "results/logs/e2/ib_solutions.log").read_text()


def test_e1_runs_sit_at_their_ls_optimum(quick: Path) -> None:
    """Issue acceptance: CE within 0.05 nats of (Ĥ(Y), Ĥ(Y)); LS within 0.1 of its optimum; Î(X;Z) falls with ε."""
    table = pd.read_csv(quick / "results/e1/fashion_mnist/information.csv").sort_values("coef")
    assert set(table["objective"]) == {"ce", "ls", "cp", "vib"}
    runs = table[table["objective"].isin(["ce", "ls"])]
    ce = runs[runs["objective"] == "ce"].iloc[0]
    assert np.hypot(ce["i_xz"] - ce["h_y"], ce["i_zy"] - ce["h_y"]) <= 0.05
    assert (runs["ls_distance"] <= 0.1).all()
    assert np.all(np.diff(runs["i_xz"].to_numpy()) < 0)
    assert (runs["i_zy"] <= runs["i_xz"] + 1e-9).all()


def test_e1_cct_panel_has_its_own_table_and_reports_its_distance_from_the_optimum(quick: Path) -> None:
    """The paper's second family (CCT-2/3x2, the CCT recipe's shape at 22 epochs) does not fit 500 images:
    measured 2026-12-01, CE 1.458 and LS ε = 0.4 0.493 nats from their exact optima at train accuracy
    0.748 / 0.796 (docs/results.md, E1). Bound: CE ≤ 1.6, LS ≤ 0.6 nats; Î(X;Z) still falls with ε."""
    table = pd.read_csv(quick / "results/e1/fashion_mnist_cct/information.csv").sort_values("coef")
    assert set(table["model"]) == {"cct_tiny"} and list(zip(table["objective"], table["coef"])) == [
        ("ce", 0.0),
        ("ls", 0.4),
    ]
    assert (table["ls_distance"].to_numpy() <= [1.6, 0.6]).all()
    assert np.all(np.diff(table["i_xz"].to_numpy()) < 0)
    assert (table["i_zy"] <= table["i_xz"] + 1e-9).all()
    resnet = pd.read_csv(quick / "results/e1/fashion_mnist/information.csv")
    assert set(resnet["model"]) == {"resnet8"}  # the ResNet-8 panel is unchanged


def test_e1_cp_and_vib_runs_next_to_their_exact_optimum(quick: Path) -> None:
    """Every trained coefficient has its exact optimum in optimum_paths.csv, on the IB curve (one-hot labels)."""
    runs = pd.read_csv(quick / "results/e1/fashion_mnist/information.csv")
    optima = pd.read_csv(quick / "results/e1/fashion_mnist/optimum_paths.csv")
    trained = optima[optima["trained"]].set_index(["objective", "coef"])
    for row in runs.itertuples():
        optimum = trained.loc[(row.objective, row.coef)]
        assert abs(optimum["i_zy"] - min(optimum["i_xz"], row.h_y)) < 1e-9
        assert row.i_zy <= row.i_xz + 1e-9


def test_e5_table_and_gaps_at_equal_compression(quick: Path) -> None:
    """E5: every family's path, gaps at the configured Î(X;Z), paths at or below the frontier; E2 gaps."""
    paths = pd.read_csv(quick / "results/e5/paths.csv")
    gaps = pd.read_csv(quick / "results/e5/gaps.csv")
    assert (
        set(paths["family"])
        == set(gaps["family"])
        == {"ls_uniform", "ls_marginal", "ls_confusion", "best_smoothing", "sharpening", "cp", "vib"}
    )
    at = gaps[gaps["point"] == "at"]
    assert sorted(set(at["i_xz"])) == [0.5, 1.0, 1.5, 2.0, 2.1]
    assert (at["gap"].dropna() > -2e-3).all()  # linear interpolation of the frontier: slack of 2e-3
    best, uniform = (at[at["family"] == f].set_index("i_xz")["i_zy"] for f in ("best_smoothing", "ls_uniform"))
    assert (best.dropna() >= uniform[best.dropna().index] - 1e-12).all()
    assert "wall time" in (quick / "results/logs/e5/paths.log").read_text()
    e2 = pd.read_csv(quick / "results/e2/gaps.csv")
    reached = e2["i_xz"] <= e2["ls_end_i_xz"]
    assert e2.loc[reached, "gap"].notna().all() and e2.loc[~reached, "gap"].isna().all()
    assert (e2.loc[reached & (e2["i_xz"] >= 0.5), "gap"] > 0.02).all()


def test_e3_probe_table(quick: Path) -> None:
    """One linear and one MLP probe per ε and seed, next to chance and the base task's accuracy."""
    probes = pd.read_csv(quick / "results/e3/probes.csv")
    assert sorted(set(probes["eps"])) == [0.0, 0.4, 0.8]
    assert sorted(probes["probe"].unique()) == ["linear", "mlp"] and len(probes) == 6
    assert probes["probe_acc"].between(0, 1).all()
    assert probes["chance"].between(0.05, 0.2).all()
    assert (probes["base_test_acc"] > 0.6).all()


def test_e3_references_bracket_the_trained_models(quick: Path) -> None:
    """Raw pixels show the digit (linear probe 0.63 measured); an untrained ResNet-8 keeps part of it (0.32).

    At this scale training with CE already discards much of the digit (0.21), and LS does not
    lower it further (docs/results.md, E3): the paper's drop is not reproduced, so no ε trend is asserted.
    """
    refs = pd.read_csv(quick / "results/e3/reference_probes.csv").set_index(["reference", "probe"])
    probes = pd.read_csv(quick / "results/e3/probes.csv")
    assert set(refs.index) == {(r, p) for r in ("untrained", "pixels") for p in ("linear", "mlp")}
    chance = float(probes["chance"].iloc[0])
    assert (refs["chance"] == chance).all()
    pixels, untrained = refs.loc[("pixels", "linear"), "probe_acc"], refs.loc[("untrained", "linear"), "probe_acc"]
    assert pixels > 0.5 and untrained > chance + 0.1
    assert (probes["probe_acc"] < pixels).all()
    ce_linear = probes[(probes["eps"] == 0) & (probes["probe"] == "linear")]["probe_acc"].item()
    assert chance < ce_linear < untrained


def test_e4_tables(quick: Path) -> None:
    accuracy = pd.read_csv(quick / "results/e4/accuracy.csv")
    assert set(accuracy["model"]) == {"CE", "LS ε=0.1"}
    assert (accuracy["test_acc"] > 0.5).all()
    mass = pd.read_csv(quick / "results/e4/box_mass.csv")
    assert set(mass["model"]) == {"CE", "LS ε=0.1"}
    assert mass["mass"].dropna().between(0, 1).all()
    assert set(mass["class"]) == set(range(10))
    summary = pd.read_csv(quick / "results/e4/box_mass_summary.csv")
    assert len(summary) == 2 * 11  # 10 classes + "all", per model
    overall = summary[summary["class"] == "all"].set_index("model")
    for model, group in mass.groupby("model"):
        assert overall.loc[model, "mean"] == pytest.approx(group["mass"].mean())


def test_e6_benefits_table_has_every_e1_run_with_every_measure(quick: Path) -> None:
    """Issue acceptance: one row per E1 run, every measure, no empty cell; simple sanity bounds."""
    table = pd.read_csv(quick / "results/e6/fashion_mnist/benefits.csv")
    runs = pd.read_csv(quick / "results/e1/fashion_mnist/information.csv")
    key = ["objective", "coef", "seed"]
    assert sorted(map(tuple, table[key].to_numpy())) == sorted(map(tuple, runs[key].to_numpy()))
    eps = [1, 2, 4, 8]
    measures = [
        *("train_i_xz", "train_i_zy", "test_i_xz", "test_i_zy", "gap_i_zy"),
        *("train_acc", "test_acc", "gap_acc", "train_nll", "test_nll", "gap_nll", "test_ece", "test_brier"),
        *(f"{attack}_acc_{n}" for attack in ("fgsm", "pgd") for n in eps),
        *("clean_acc_attacked", "scatter_ratio_train", "scatter_ratio_test", "own_probe_acc"),
    ]
    assert list(table.columns) == ["dataset", "model", *key[:1], "coef", "seed", *measures]
    assert table.notna().all().all() and np.isfinite(table[measures].to_numpy()).all()
    merged = table.merge(runs, on=key, suffixes=("", "_e1"))
    assert np.allclose(merged["train_i_xz"], merged["i_xz"], atol=1e-9)  # the same exact formulas as E1
    assert np.allclose(merged["test_acc"], merged["test_acc_e1"], atol=1e-12)
    assert table["test_ece"].between(0, 1).all() and table["test_brier"].between(0, 2).all()
    accuracies = [c for c in measures if "acc" in c and not c.startswith("gap")]
    assert table[accuracies].apply(lambda c: c.between(0, 1)).all().all()
    for n in eps:
        assert (table[f"pgd_acc_{n}"] <= table[f"fgsm_acc_{n}"] + 0.01).all()
    pgd = table[[f"pgd_acc_{n}" for n in eps]].to_numpy()
    assert (np.diff(pgd, axis=1) <= 1e-12).all()  # non-increasing in ε
    assert (table["fgsm_acc_1"] <= table["clean_acc_attacked"] + 0.01).all()
    assert (table["scatter_ratio_train"] > 0).all() and (table["gap_acc"] > 0).all()  # 500 images memorised
    projection = np.load(quick / "results/runs/fashion_mnist/resnet8/ls-0.4/seed0/projection.npz")
    assert projection["classes"].tolist() == [0, 1, 2] and projection["train_xy"].shape[1] == 2
    e3 = pd.read_csv(quick / "results/e6/e3_compression.csv")
    assert sorted(e3["coef"]) == [0.0, 0.4, 0.8] and e3.notna().all().all()
    assert {"nuisance_linear_acc", "nuisance_mlp_acc", "scatter_ratio_train", "own_probe_acc"} <= set(e3.columns)


def report_listing(html: str) -> dict[tuple[str, str], list[str]]:
    """(category, subcategory) → the ``result`` labels of its results in the order Snakemake 9's report
    lists them: sorted by their label values, first label first, where every result has labels."""
    categories, results = (
        json.loads(re.search(rf"^\s*var {name} = (\{{.*\}});$", html, re.M)[1]) for name in ("categories", "results")
    )
    listed = {}
    for category, subcategories in categories.items():
        for subcategory, paths in subcategories.items():
            labels = [results[path]["labels"] for path in paths]
            assert all(labels), (category, subcategory)  # else the report sorts by path
            listed[category, subcategory] = [x["result"] for x in sorted(labels, key=lambda x: list(x.values()))]
    return listed


def test_report_holds_every_figure_with_its_caption(quick: Path) -> None:
    assert snakemake(quick, "--report", "report.html").returncode == 0
    html = (quick / "report.html").read_text()
    for stem in FIGURES:
        assert Path(stem).name + ".png" in html
    for caption in (
        "is not IB-optimal",
        "exact LS-optimum path of this training set",
        "for 10 balanced classes",
        "probe accuracy falling",
        "digit 1 as the known exception",
        "box's share of the canvas",
        "learning-rate drop",
        "penultimate-layer projection (M",  # the report stores captions as JSON: ü is escaped
        "what compression buys, data set",
    ):
        assert caption in html
    for table, caption in REPORT_TABLES.items():
        assert table.replace(".csv", ".html") in html and caption in html, table
    assert "Five stages, each a rule file" in html  # the workflow page (workflow/report/workflow.rst)
    assert "information plane, data set" in html and "fashion_mnist" in html  # Fig. 3 labelled per data set
    listed = report_listing(html)
    assert listed[("E1 information plane", "fashion_mnist")][:2] == ["information table", "Fig. 3"]
    assert listed[("E2 IB vs LS on CIFAR-10H", "Other")][:2] == ["gaps table", "Fig. 4"]
    assert listed[("E5 every objective's optimum on CIFAR-10H", "Other")][0] == "gaps table"
    pages = list((quick / "results").rglob("*.html"))  # each result table's page (rule report_table)
    assert {p.name.replace(".html", ".csv") for p in pages} == set(REPORT_TABLES)
    assert sum(map(len, listed.values())) == len(FIGURES) + len(pages)


def test_status_lists_every_planned_run_of_the_finished_run_as_done(quick: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lsib.pipeline.status", "--configfile", "presets/quick.yaml", "--csv", "status.csv"],
        cwd=quick,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    table = pd.read_csv(quick / "status.csv")
    assert len(table) == 12 and set(table["state"]) == {"done"}
    assert table["test_acc"].notna().all() and (table["epoch"] == table["epochs"]).all()
    assert "12/12 runs done, 0 failed" in result.stdout
