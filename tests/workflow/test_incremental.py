"""Incremental reruns: after an edit, Snakemake schedules exactly the stale jobs (dry-run job lists).

A quick-preset workspace whose every output exists with provenance metadata (`snakemake
--touch` records it; no job really runs) is built once per module and copied for each test,
which makes one edit and reads the job statistics of `snakemake -n`. Edits to `src/lsib` rerun
what they touch through each rule's `code` parameter (lsib.pipeline.provenance, function level).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from workflow_helpers import copy_workflow, snakemake

#: Jobs downstream of E1's information tables (the figure reads the table; the report shows it).
E1_INFORMATION = Counter(run_information=5, e1_information=1, e1_fig3=1, report_table=1)
#: The same for E1's second panel (the CCT on fashion_mnist_cct: 2 runs).
E1_CCT_INFORMATION = Counter(run_information=2, e1_information=1, e1_fig3=1, report_table=1)
#: Jobs downstream of E6's per-run measures of one data set (its table, the matched comparison, the
#: figure, both tables' report pages).
E6_TABLES = Counter(e6_benefits=1, e6_matched=1, e6_fig_benefits=1, report_table=2)
#: Every E1 run's E6 measures again, and all that follows (the projection figure's two runs included).
E6_ALL = Counter(run_benefits=5, e6_fig_projection=1) + E6_TABLES
#: Every E3 run's compression again and the E3 table beside the probes (and its report page).
E6_E3 = Counter(run_compression=3, e6_e3_compression=1, report_table=1)
#: E6 of the CCT panel (2 runs: CE and LS ε = 0.4, so its projection figure too).
E6_CCT = Counter(run_benefits=2, e6_fig_projection=1) + E6_TABLES


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workflow copy in which the whole quick graph is up to date (empty files, full metadata)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("prepared"))
    assert snakemake(workdir, "--touch", "--cores", "1").returncode == 0  # records metadata of every job
    summary = snakemake(workdir, "--summary").stdout.splitlines()[1:]
    for line in summary:
        path = workdir / line.split("\t")[0]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    assert snakemake(workdir, "--touch", "--cores", "1").returncode == 0  # outputs now newer than inputs
    assert planned(workdir) == Counter()
    return workdir


@pytest.fixture
def workspace(prepared: Path, tmp_path: Path) -> Path:
    """A fresh copy of the up-to-date workspace (timestamps and metadata kept)."""
    return Path(shutil.copytree(prepared, tmp_path / "w", symlinks=True))


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
    assert text.count(old) == 1, f"{old!r} not found once in {path}"
    path.write_text(text.replace(old, new))


def test_the_copied_workspace_is_up_to_date(workspace: Path) -> None:
    assert planned(workspace) == Counter()


def test_adding_one_eps_trains_only_the_new_run(workspace: Path) -> None:
    edit(workspace / "presets/quick.yaml", "ls: [0.1, 0.4], cp:", "ls: [0.1, 0.2, 0.4], cp:")  # the ResNet-8 panel
    # e1_optimum_paths: the new ε's exact optimum is added to Fig. 3's markers
    # E6: the new run's measures, the data set's table, comparison and figure (not the projection: CE, LS ε = 0.4)
    assert (
        planned(workspace)
        == Counter(train=1, run_outputs=1, e1_optimum_paths=1, e1_fig_curves=1, run_benefits=1)
        + (E1_INFORMATION - Counter(run_information=4))
        + E6_TABLES
    )
    assert "coef=0.2" in snakemake(workspace, "-n").stdout


def test_editing_one_plot_script_redraws_only_its_figure(workspace: Path) -> None:
    edit(workspace / "workflow/scripts/e2_fig4.py", "plots.set_style()", "plots.set_style()  # edited")
    assert planned(workspace) == Counter(e2_fig4=1)


def test_changing_a_training_hyperparameter_reruns_its_runs_and_descendants(workspace: Path) -> None:
    edit(workspace / "presets/quick.yaml", "quick: {epochs: 60,", "quick: {epochs: 61,")
    assert planned(workspace) == Counter(train=5, run_outputs=5, e1_fig_curves=1) + E1_INFORMATION + E6_ALL


def test_changing_the_solver_settings_reruns_only_e2_and_e5(workspace: Path) -> None:
    edit(workspace / "config.yaml", "  solver: {}", "  solver: {lr: 0.1}")
    # E5 compares every path with E2's solutions, so its table and figure follow them; the report
    # pages of the three changed tables (E2 gaps, E5 paths and gaps) are redrawn
    assert planned(workspace) == Counter(
        e2_ib_solutions=1, e2_fig4=1, e2_gaps=1, e5_paths=1, e5_fig_paths=1, report_table=3
    )


def edit_body(path: Path, function: str) -> None:
    """Add a statement at the top of ``function``'s body (after its docstring)."""
    text = path.read_text()
    head, rest = text.split(f"\ndef {function}(", 1)
    signature, after = rest.split('"""', 1)
    docstring, body = after.split('"""', 1)
    path.write_text(f'{head}\ndef {function}({signature}"""{docstring}"""\n    _unused = 0{body}')


def test_editing_the_fig4_plotting_function_redraws_only_fig4(workspace: Path) -> None:
    """Function level: lsib.plots changed, but only plot_ib_vs_ls, which only Fig. 4 reaches."""
    edit_body(workspace / "src/lsib/plots/frontier.py", "plot_ib_vs_ls")
    assert planned(workspace) == Counter(e2_fig4=1)
    assert re.search(
        r"Params have changed since last execution.*before: '[0-9a-f]{16}' now: '[0-9a-f]{16}'",
        snakemake(workspace, "-n").stdout,
    )
    summary = [line.split("\t") for line in snakemake(workspace, "--summary").stdout.splitlines()[1:]]
    assert {row[2] for row in summary if row[-1] != "no update"} == {"e2_fig4"}


def test_moving_a_function_to_another_module_reruns_nothing(workspace: Path) -> None:
    """Pure moves cost nothing: ``upper_window`` moves from lsib.plots.plane into lsib.plots.frontier, its user."""
    plots = workspace / "src/lsib/plots"
    plane = (plots / "plane.py").read_text()
    start = plane.index("\n\ndef upper_window(")
    end = plane.index("\n\ndef ", start + 2)
    (plots / "plane.py").write_text(plane[:start] + plane[end:])
    frontier = plots / "frontier.py"
    edit(frontier, "import frame_panel, label_path, upper_window\n", "import frame_panel, label_path\n")
    edit(frontier, "\n\n@styled\ndef plot_ib_vs_ls(", plane[start:end] + "\n\n@styled\ndef plot_ib_vs_ls(")
    for path in (plots / "plane.py", frontier):
        compile(path.read_text(), str(path), "exec")
    assert "def upper_window(" in frontier.read_text() and "upper_window" not in (plots / "plane.py").read_text()
    assert planned(workspace) == Counter()


def test_editing_a_docstring_in_the_trainer_reruns_nothing(workspace: Path) -> None:
    edit(
        workspace / "src/lsib/train/recipe.py",
        '"""A training recipe (SPEC §6).',
        '"""A training recipe (SPEC §6), edited.',
    )
    assert planned(workspace) == Counter()


def test_editing_the_mutual_information_function_reruns_information_but_no_training(workspace: Path) -> None:
    edit_body(workspace / "src/lsib/info/information.py", "mutual_info_zy")
    counts = planned(workspace)
    assert (
        counts
        == E1_INFORMATION
        + E1_CCT_INFORMATION
        + E6_ALL
        + E6_CCT
        + Counter(  # E6's test-set information uses it too
            e1_ls_path=2,  # one per E1 panel
            e1_optimum_paths=2,
            e2_ls_path=1,
            e2_ib_solutions=1,
            e2_fig4=1,
            e2_gaps=1,
            e5_iterative_ib=1,
            e5_paths=1,
            e5_fig_paths=1,
            report_table=5,  # E2 reference and gaps, E5's three tables (E1's is in E1_INFORMATION)
        )
    )
    assert not {"train", "run_outputs", "data_prepare"} & set(counts)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  n_attack: 100\n", "  n_attack: 50\n", E6_ALL + E6_CCT),  # the attack settings: E1 runs only
        ("  n_attack: 100\n", "  n_attack: 100\n  probe: {max_iter: 500}\n", E6_ALL + E6_CCT + E6_E3),  # E1 and E3
    ],
    ids=["n_attack", "probe"],
)
def test_e6_settings_rerun_exactly_the_e6_jobs_that_read_them(workspace: Path, old: str, new: str, expected) -> None:
    edit(workspace / "presets/quick.yaml", old, new)
    assert planned(workspace) == expected


@pytest.mark.parametrize(
    ("module", "function", "expected"),
    [
        ("attacks.py", "fgsm", E6_ALL + E6_CCT),  # E1 runs only: E3's compression attacks nothing
        ("compression.py", "scatter_ratio", E6_ALL + E6_CCT + E6_E3),
        ("calibration.py", "ece", E6_ALL + E6_CCT),
    ],
)
def test_editing_an_e6_measure_reruns_the_jobs_that_execute_it(
    workspace: Path, module: str, function: str, expected: Counter
) -> None:
    edit_body(workspace / "src/lsib/measure" / module, function)
    assert planned(workspace) == expected


def test_editing_an_e6_figure_script_redraws_only_its_figure(workspace: Path) -> None:
    """A new model (its input) reruns the E6 jobs: test_changing_a_training_hyperparameter_reruns_…"""
    edit(workspace / "workflow/scripts/e6_fig_benefits.py", "plots.set_style()", "plots.set_style()  # edited")
    assert planned(workspace) == Counter(e6_fig_benefits=2)  # one per E1 panel


def test_reformatting_a_module_reruns_nothing(workspace: Path) -> None:
    """Comments, blank lines, line breaks and indentation of continuation lines are not code."""
    path = workspace / "src/lsib/info/information.py"
    text = path.read_text()
    reformatted = text.replace("\n\n\ndef ", "\n\n\n# a comment\n\ndef ").replace(
        "(pzx: ArrayLike, px: ArrayLike)", "(\n    pzx: ArrayLike,\n    px: ArrayLike,\n)"
    )
    assert reformatted != text
    path.write_text(reformatted)
    assert planned(workspace) == Counter()


def test_every_scripted_rule_fingerprints_its_own_script() -> None:
    """Each rule with a `script:` passes `code=lsib_code(<that script>)`, except the downloads."""
    rules = Path(__file__).resolve().parents[2] / "workflow/rules"
    checked = 0
    for smk in rules.glob("*.smk"):
        for rule in re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]:
            name = rule.split(":")[0]
            script = re.search(r'script:\s*"\.\./scripts/([\w.]+)"', rule)
            if script is None or name in ("data_cifar10h", "data_download"):
                continue
            assert f'code=lsib_code("{script[1]}")' in rule, f"rule {name} in {smk.name}"
            checked += 1
    assert checked >= 20
