"""Faults a user meets (issue #11 "Why"), each reproduced: bad inputs fail loudly, naming the file.

The trainer's own cases (a diverging loss, a changed data set under a checkpoint, unreadable
checkpoints and models) are tested in tests/test_trainer.py. Here: every stage that reads
probabilities, features, maps or tables refuses non-finite input naming the file; no table
gets an empty cell where a number belongs; results get the umask's permissions; CIFAR-10H
counts and subset sizes are checked; run paths have one spelling; and (slow) a workflow
killed with SIGKILL inside each kind of job, rerun as the README says, ends with the same
outputs as an uninterrupted run and no partial file.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import runpy
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from workflow_helpers import FASHION_MNIST, ROOT, SHARED, copy_workflow, snakemake

from lsib import atomic, names
from lsib.checks import InputError, check_counts, load_arrays, load_counts, read_table, require_distributions
from lsib.data import datasets, sources
from lsib.data.fetch import DataSourceError, md5sum, obtain
from lsib.info.information import from_annotations, information_plane
from lsib.measure.information import empirical_data, run_information
from lsib.measure.probes import run_probes
from lsib.measure.saliency import box_mass
from lsib.models import build_model
from lsib.models.store import save_trained
from lsib.pipeline import plan

SCRIPTS = ROOT / "workflow" / "scripts"


# ------------------------------------------------------------------------------------------
# helpers: run a workflow script in-process with a stand-in for Snakemake's `snakemake` object
# ------------------------------------------------------------------------------------------
class Files(list):
    """Snakemake's named file lists: ``files[0]`` and ``files.name`` both work."""

    def __init__(self, *items: Any, **named: Any) -> None:
        super().__init__([*map(str, items), *map(str, named.values())])
        self.__dict__.update({k: str(v) for k, v in named.items()})


def run_script(
    name: str, tmp_path: Path, *, input: Files, output: Files, params: Any = None, wildcards: Any = None
) -> None:
    """Run ``workflow/scripts/<name>``; the global state scripts set (torch threads, matplotlib style) is restored."""
    smk = SimpleNamespace(
        input=input,
        output=output,
        params=params or SimpleNamespace(),
        threads=1,
        wildcards=wildcards or SimpleNamespace(),
        log=Files(tmp_path / "job.log"),
    )
    threads = torch.get_num_threads()
    try:
        with matplotlib.rc_context():
            runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": smk}, run_name="__main__")
    finally:
        torch.set_num_threads(threads)


def tiny_dataset(path: Path, n: int = 8, size: int = 8, classes: int = 2) -> dict[str, Any]:
    g = torch.Generator().manual_seed(0)
    data = {
        "name": "tiny",
        "classes": [str(c) for c in range(classes)],
        "train_x": torch.randint(0, 256, (n, 1, size, size), generator=g, dtype=torch.uint8),
        "train_y": torch.arange(n) % classes,
        "test_x": torch.randint(0, 256, (n, 1, size, size), generator=g, dtype=torch.uint8),
        "test_y": torch.arange(n) % classes,
    }
    data["mean"], data["std"] = datasets.channel_stats(data["train_x"])
    torch.save(data, path)
    return data


def run_wildcards(objective: str = "ls", coef: str = "0.1") -> SimpleNamespace:
    return SimpleNamespace(dataset="tiny", model="resnet8", objective=objective, coef=coef, seed="0")


# ------------------------------------------------------------------------------------------
# 1. a diverged run (lr: 1e8 → NaN, lr: 1000 → inf weights): no stage reads it silently
# ------------------------------------------------------------------------------------------
def test_information_of_nan_outputs_fails_naming_the_file_and_writes_no_table(tmp_path: Path) -> None:
    tiny_dataset(tmp_path / "data.pt")
    proba = torch.full((8, 2), 0.5, dtype=torch.float64)
    proba[3] = float("nan")  # what `lr: 1e8` dumped before: NaN probabilities → empty table cells
    torch.save({"train_proba": proba, "test_proba": proba.clone()}, tmp_path / "outputs.pt")
    out = tmp_path / "information.csv"
    with pytest.raises(
        InputError, match=re.escape(f"{tmp_path / 'outputs.pt'}['train_proba']: 2 of 16 values are not finite")
    ):
        run_script(
            "run_information.py",
            tmp_path,
            input=Files(outputs=tmp_path / "outputs.pt", data=tmp_path / "data.pt"),
            output=Files(out),
            wildcards=run_wildcards(),
        )
    assert not out.exists()
    assert "InputError" in (tmp_path / "job.log").read_text()  # the job log says why


def test_dump_of_a_model_with_infinite_weights_fails_naming_model_pt(tmp_path: Path) -> None:
    """`lr: 1000`: weights at inf gave outputs one-hot on class 0 and Î(X;Z) = −6.7e-16; now the dump refuses."""
    tiny_dataset(tmp_path / "data.pt")
    model = build_model("resnet8", num_classes=2, in_channels=1, image_size=8)
    with torch.no_grad():
        model.head.weight[0, 0] = float("inf")
    save_trained(
        tmp_path / "model.pt", model, {"name": "resnet8", "num_classes": 2, "in_channels": 1, "image_size": 8}, {}
    )
    out = tmp_path / "outputs.pt"
    with pytest.raises(
        InputError,
        match=re.escape(f"{tmp_path / 'model.pt'} (weight 'head.weight'") + ".*1 of 128 values are not finite",
    ):
        run_script(
            "run_outputs.py",
            tmp_path,
            input=Files(model=tmp_path / "model.pt", data=tmp_path / "data.pt"),
            output=Files(out),
            params=SimpleNamespace(device="cpu"),
        )
    assert not out.exists()


def test_run_information_rejects_rows_that_are_not_distributions() -> None:
    x = torch.arange(4, dtype=torch.uint8).reshape(4, 1, 1, 1)
    data, first = empirical_data(x, torch.tensor([0, 1, 0, 1]), 2)
    bad = torch.tensor([[0.5, 0.5], [0.9, 0.2], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    with pytest.raises(InputError, match=r"train_proba: row 1 sums to 1.1, not 1"):
        run_information(bad, data, first, "ce", 0.0)
    with pytest.raises(InputError, match="negative probability in row 0"):
        require_distributions(np.array([[-0.1, 1.1]]), "p")


def test_probes_of_nan_features_fail_naming_features_pt(tmp_path: Path) -> None:
    features = torch.randn(20, 4)
    features[5, 2] = float("inf")
    labels = torch.arange(20) % 2
    torch.save(
        {
            "train_features": features,
            "train_nuisance_y": labels,
            "test_features": torch.randn(20, 4),
            "test_nuisance_y": labels,
        },
        tmp_path / "features.pt",
    )
    pd.DataFrame({"epoch": [1], "test_acc": [0.5]}).to_csv(tmp_path / "metrics.csv", index=False)
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{tmp_path / 'features.pt'}['train_features']: 1 of 80 values are not finite (first at index (5, 2): inf)"
        ),
    ):
        run_script(
            "run_probes.py",
            tmp_path,
            input=Files(features=tmp_path / "features.pt", metrics=tmp_path / "metrics.csv"),
            output=Files(tmp_path / "probes.csv"),
            params=SimpleNamespace(probes={}),
            wildcards=run_wildcards(),
        )
    with pytest.raises(InputError, match="train features"):
        run_probes(features.numpy(), labels.numpy(), features.numpy(), labels.numpy(), seed=0, settings={})


def test_gradcam_maps_with_nan_are_refused(tmp_path: Path) -> None:
    maps = np.zeros((2, 4, 4), dtype=np.float32)
    maps[1, 0, 0] = np.nan
    np.savez_compressed(tmp_path / "gradcam.npz", grid_maps=maps, examples_maps=maps)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'gradcam.npz'}['grid_maps']: 1 of 32 values")):
        load_arrays(tmp_path / "gradcam.npz", finite=("grid_maps",))
    with pytest.raises(InputError, match="Grad-CAM maps"):
        box_mass(maps, np.array([[0, 0, 2, 2], [0, 0, 2, 2]]))


def test_figure_from_a_table_with_an_empty_cell_fails_naming_file_and_column(tmp_path: Path) -> None:
    runs = pd.DataFrame(
        {
            "dataset": "tiny",
            "model": "resnet8",
            "objective": ["ce", "ls"],
            "coef": [0.0, 0.1],
            "seed": 0,
            "i_xz": [2.3, np.nan],
            "i_zy": [2.3, 1.8],
            "h_y": 2.3,
        }
    )
    runs.to_csv(tmp_path / "information.csv", index=False)
    pd.DataFrame({"eps": [0.0, 1.0], "i_xz": [2.3, 0.0], "i_zy": [2.3, 0.0]}).to_csv(
        tmp_path / "ls_path.csv", index=False
    )
    outputs = Files(tmp_path / "fig3.pdf", tmp_path / "fig3.png")
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{tmp_path / 'information.csv'}: column 'i_xz' has 1 empty or non-finite cell(s) (first in row 1"
        ),
    ):
        run_script(
            "e1_fig3.py",
            tmp_path,
            input=Files(runs=tmp_path / "information.csv", path=tmp_path / "ls_path.csv"),
            output=outputs,
            wildcards=SimpleNamespace(dataset="tiny"),
        )
    assert not any(Path(p).exists() for p in outputs)


def test_unreadable_inputs_name_the_file_and_how_to_rebuild_it(tmp_path: Path) -> None:
    torch.save({"train_proba": torch.ones(100, 2)}, tmp_path / "outputs.pt")
    np.savez_compressed(tmp_path / "gradcam.npz", grid_maps=np.ones((50, 8, 8)))
    for name in ("outputs.pt", "gradcam.npz"):
        path = tmp_path / name
        path.write_bytes(path.read_bytes()[:200])  # truncated, as by a full disk
        with pytest.raises(
            InputError, match=re.escape(f"{path}: unreadable") + ".*" + re.escape(f"snakemake --forcerun {path}")
        ):
            load_arrays(path)
    (tmp_path / "t.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not a readable CSV table"):
        read_table(tmp_path / "t.csv")
    (tmp_path / "t.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="the table has no rows"):
        read_table(tmp_path / "t.csv")


def test_e1_table_refuses_parts_with_different_columns(tmp_path: Path) -> None:
    """Stacking tables with different columns is what fills cells with blanks: refused."""
    pd.DataFrame({"coef": [0.0], "i_xz": [2.3]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"coef": [0.1], "i_zy": [1.8]}).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'b.csv'}: columns ['coef', 'i_zy'] differ")):
        run_script(
            "concat_tables.py",
            tmp_path,
            input=Files(tmp_path / "a.csv", tmp_path / "b.csv"),
            output=Files(tmp_path / "all.csv"),
        )
    assert not (tmp_path / "all.csv").exists()


def test_no_table_is_written_with_an_empty_cell(tmp_path: Path) -> None:
    out = tmp_path / "information.csv"
    for bad in (np.nan, np.inf, None):
        table = pd.DataFrame({"objective": ["ce", "ls"], "i_xz": [2.3, bad]})
        with pytest.raises(
            atomic.IncompleteTableError,
            match=re.escape(f"{out}: column 'i_xz' has 1 missing or non-finite value(s) (first in row 1"),
        ):
            atomic.save_csv(table, out)
        assert not out.exists() and not list(tmp_path.iterdir())
    with pytest.raises(atomic.IncompleteTableError, match="column 'objective'"):
        atomic.save_csv(pd.DataFrame({"objective": ["ce", None], "i_xz": [1.0, 2.0]}), out)
    atomic.save_csv(pd.DataFrame({"objective": ["vib"], "ls_distance": [np.nan]}), out, nullable=["ls_distance"])
    assert out.read_text() == "objective,ls_distance\nvib,\n"  # "does not apply", declared by the writer
    with pytest.raises(ValueError, match=r"nullable columns \['typo'\]"):
        atomic.save_csv(pd.DataFrame({"a": [1]}), out, nullable=["typo"])


def test_information_functions_refuse_nan() -> None:
    with pytest.raises(InputError, match="counts: 1 of 4 values are not finite"):
        from_annotations(np.array([[1.0, np.nan], [2.0, 1.0]]))
    data = from_annotations(np.array([[1, 1], [2, 0]]))
    with pytest.raises(InputError, match=r"encoder p\(z\|x\)"):
        information_plane(torch.tensor([[0.5, 0.5], [np.nan, 0.5]], dtype=torch.float64), data)


# ------------------------------------------------------------------------------------------
# 3. results are written with the permissions of the user's umask
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o007, 0o077])
def test_results_get_the_umask_permissions_of_a_plain_open(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        with open(tmp_path / "plain.txt", "w"):
            pass
        atomic.save_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
        atomic.save_torch({"w": torch.ones(2)}, tmp_path / "m.pt")
        atomic.save_npz(tmp_path / "g.npz", a=np.ones(2))
        atomic.save_json({"a": 1}, tmp_path / "j.json")
        atomic.write_bytes(tmp_path / "b.bin", b"x")
        (tmp_path / "src.npy").write_bytes(b"payload")
        obtain(tmp_path / "fetched.npy", config_key="k", md5=None, local_path=str(tmp_path / "src.npy"))
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == expected
    for name in ("t.csv", "m.pt", "g.npz", "j.json", "b.bin", "fetched.npy"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name


def test_light_modules_import_no_torch() -> None:
    code = "import sys, lsib.atomic, lsib.checks, lsib.pipeline.plan; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.stdout.strip() == "False"


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "fig.png"
    stale = tmp_path / ".fig.png.k2j3x_9q.part.png"  # what a SIGKILLed savefig leaves behind
    other = tmp_path / ".fig.png.b.png.k2j3x_9q.part.png"  # the temporary file of another target, fig.png.b.png
    stale.write_bytes(b"half")
    other.write_bytes(b"half")
    atomic.write_bytes(target, b"whole")
    assert target.read_bytes() == b"whole"
    assert not stale.exists() and other.exists()


def test_a_live_writers_temporary_file_is_left_alone(tmp_path: Path) -> None:
    """Two jobs may stage the same raw file at once (two data sets of one source): neither deletes the other's."""
    target = tmp_path / "train-images.gz"
    with atomic.atomic_path(target) as first:
        first.write_bytes(b"first")
        atomic.write_bytes(target, b"second")  # a concurrent writer of the same file
        assert first.read_bytes() == b"first"
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["train-images.gz"]


# ------------------------------------------------------------------------------------------
# 4. data inputs: CIFAR-10H counts, subset sizes
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (np.ones((100, 3), dtype=np.int64), "expected an (M, 10) table of label counts with M ≥ 1, got shape (100, 3)"),
        (np.ones((0, 10), dtype=np.int64), "expected an (M, 10) table of label counts with M ≥ 1, got shape (0, 10)"),
        (np.ones(10, dtype=np.int64), "expected an (M, 10) table of label counts with M ≥ 1, got shape (10,)"),
        (np.full((2, 10), 0.5), "label counts must be whole numbers (row 0)"),
        (np.array([[1] * 9 + [-1]] * 2), "negative label count in row 0"),
        (np.vstack([np.ones(10, dtype=np.int64), np.zeros(10, dtype=np.int64)]), "image 1 has no annotation"),
        (np.full((2, 10), np.nan), "20 of 20 values are not finite"),
        (np.array([["a"] * 10]), "expected integer label counts, got <U1"),
    ],
)
def test_cifar10h_counts_must_be_an_m_by_10_table_of_counts(counts: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(f"counts.npy: {message}")):
        check_counts(counts, "counts.npy")


def test_a_wrong_cifar10h_file_is_not_fetched_even_when_its_md5_is_set_to_match(tmp_path: Path) -> None:
    """The issue's case: a (100, 3) file with a matching md5 was accepted and E2 ran on it."""
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.ones((100, 3), dtype=np.int64))
    dest = tmp_path / "results" / "cifar10h-counts.npy"
    with pytest.raises(
        DataSourceError, match=re.escape(f"{wrong}: expected an (M, 10) table") + ".*config key 'cifar10h'"
    ):
        obtain(
            dest,
            config_key="cifar10h",
            md5=md5sum(wrong),
            local_path=str(wrong),
            check=lambda path, origin: load_counts(path, source=origin),
        )
    assert not dest.exists() and not list(dest.parent.iterdir())
    one = tmp_path / "one.npy"
    np.save(one, np.arange(10, dtype=np.int64)[None])  # M = 1 is enough; M = 10,000 is reported, not required
    obtain(
        dest,
        config_key="cifar10h",
        md5=None,
        local_path=str(one),
        check=lambda path, origin: load_counts(path, source=origin),
    )
    assert load_counts(dest).shape == (1, 10)


def test_the_real_cifar10h_counts_pass() -> None:
    path = SHARED / "data" / "cifar10h-counts.npy"
    if not path.is_file():
        pytest.skip("needs ../shared/data/cifar10h-counts.npy")
    assert load_counts(path).shape == (10_000, 10)


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` merged into ``base`` recursively, as Snakemake merges --configfile files."""
    return {
        **base,
        **{
            k: merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
            for k, v in override.items()
        },
    }


def quick_config() -> dict[str, Any]:
    return merged(
        yaml.safe_load((ROOT / "config.yaml").read_text()),
        yaml.safe_load((ROOT / "presets" / "quick.yaml").read_text()),
    )


@pytest.mark.parametrize(
    ("source", "key", "size"),
    [
        ("mnist", "n_train", 60_000),
        ("cifar10", "n_test", 10_000),
        ("mnist5k", "n_train", 4_000),
        ("flowers102", "n_train", 2_040),
    ],
)
def test_a_subset_larger_than_its_split_is_rejected_at_config_check(source: str, key: str, size: int) -> None:
    config = quick_config()
    config["datasets"]["digits"] = {"source": source, key: size + 1}
    with pytest.raises(plan.ConfigError, match=re.escape(f"datasets.digits.{key}: {size + 1} is more than the {size}")):
        plan.check(config)
    config["datasets"]["digits"] = {"source": source, key: size}
    plan.check(config)


def test_split_sizes_cover_every_source_and_match_the_data() -> None:
    assert set(plan.SPLIT_SIZES) == set(datasets.DATASETS)
    train, test, _ = sources.load_mnist5k()
    assert (len(train[1]), len(test[1])) == plan.SPLIT_SIZES["mnist5k"]
    if FASHION_MNIST.is_dir():  # IDX headers: magic, then the item count (big-endian)
        counts = [
            int.from_bytes(gzip.open(FASHION_MNIST / f"{s}-labels-idx1-ubyte.gz").read(8)[4:], "big")
            for s in ("train", "t10k")
        ]
        assert tuple(counts) == plan.SPLIT_SIZES["fashion_mnist"]


def test_a_subset_the_job_cannot_draw_names_the_config_key(tmp_path: Path) -> None:
    """mnist5k's test split has 100 images per digit: 1,000 works, 1,001 is over; per class 101 is too many."""
    with pytest.raises(
        ValueError,
        match=re.escape(
            "datasets.digits.n_test = 1001: cannot draw a balanced subset of the 1000-image mnist5k test split"
        ),
    ):
        datasets.prepare("mnist5k", tmp_path, tmp_path / "d.pt", n_test=1001, config_key="datasets.digits")
    assert not (tmp_path / "d.pt").exists()


# ------------------------------------------------------------------------------------------
# 5. run paths are canonical; duplicate runs are rejected naming both places
# ------------------------------------------------------------------------------------------
def run_regex(config: dict[str, Any]) -> re.Pattern[str]:
    """The run-directory pattern as Snakemake compiles it, with the workflow's wildcard constraints."""
    return re.compile(
        rf"results/runs/(?P<dataset>[A-Za-z0-9_]+)/(?P<model>{'|'.join(names.MODELS)})/"
        rf"(?P<objective>{'|'.join(names.OBJECTIVES)})-(?P<coef>{plan.coef_constraint(config)})/seed(?P<seed>\d+)/model\.pt"
    )


def test_only_planned_runs_in_their_one_spelling_match() -> None:
    config = quick_config()
    regex = run_regex(config)
    planned = {f"results/runs/{run.path}/model.pt" for run in plan.all_runs(config)}
    assert len(planned) == 10  # E1: CE, LS 0.1, LS 0.4, CP 0.3, VIB 0.5; E3: three ε; E4: CE, LS
    for path in planned:
        assert regex.fullmatch(path), path
    for path in (
        "fashion_mnist/resnet8/ls-0.10/seed0",
        "fashion_mnist/resnet8/ls-.1/seed0",
        "fashion_mnist/resnet8/ls-1e-1/seed0",
        "fashion_mnist/resnet8/ls-0.2/seed0",
        "fashion_mnist/resnet8/ls-1.5/seed0",
        "fashion_mnist/resnet8/ce-0.1/seed0",
        "fashion_mnist/resnet8/ls-0.1/seed00",
        "fashion_mnist/resnet8/ls-0.1/seed1",
        "occluded/resnet8/ls-0.1/seed0",
        "cluttered/resnet20/ls-0.1/seed0",
        "fashion_mnist/resnet8/ce-0.0/seed0",
    ):
        assert not regex.fullmatch(f"results/runs/{path}/model.pt"), path
    config["e1"]["enabled"] = config["e3"]["enabled"] = config["e4"]["enabled"] = False
    assert not run_regex(config).fullmatch("results/runs/fashion_mnist/resnet8/ce-0/seed0/model.pt")


def test_duplicate_runs_are_rejected_naming_both_places() -> None:
    config = quick_config()
    entry = config["e1"]["runs"][0]
    config["e1"]["runs"].append({**entry, "objectives": {"ls": [0.4]}})
    with pytest.raises(
        plan.ConfigError,
        match=re.escape(
            "e1.runs[0].objectives.ls[1] × e1.runs[0].seeds[0] and "
            "e1.runs[1].objectives.ls[0] × e1.runs[1].seeds[0] both ask for run "
            "fashion_mnist/resnet8/ls-0.4/seed0"
        ),
    ):
        plan.check(config)
    config = quick_config()
    config["e3"]["seeds"] = [0, 0]
    with pytest.raises(
        plan.ConfigError, match=re.escape("e3.eps[0] × e3.seeds[0] and e3.eps[0] × e3.seeds[1] both ask")
    ):
        plan.check(config)


def test_snakemake_matches_no_rule_for_a_second_spelling(tmp_path: Path) -> None:
    def dry_run(target: str) -> subprocess.CompletedProcess:
        cmd = [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--quiet",
            "rules",
            "-s",
            str(ROOT / "Snakefile"),
            "-d",
            str(tmp_path),
            target,
            "--configfile",
            str(ROOT / "config.yaml"),
            str(ROOT / "presets" / "quick.yaml"),
        ]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=120)

    good = dry_run("results/runs/fashion_mnist/resnet8/ls-0.1/seed0/information.csv")
    assert good.returncode == 0, good.stderr
    bad = dry_run("results/runs/fashion_mnist/resnet8/ls-0.10/seed0/information.csv")
    assert bad.returncode != 0 and "MissingRuleException" in bad.stdout + bad.stderr


# ------------------------------------------------------------------------------------------
# 6. fault injection: SIGKILL inside each kind of job, rerun as the README says
# ------------------------------------------------------------------------------------------
TINY = """datasets:
  fashion_mnist: {n_train: 200, n_test: 100}
recipes:
  quick: {epochs: 2, milestones: [1], batch_size: 50, augment: none}
  quick_e3: {epochs: 2, milestones: [1], batch_size: 50, augment: none}
  quick_digits: {epochs: 2, milestones: [1], batch_size: 50, augment: crop}
e1:
  runs: [{dataset: fashion_mnist, model: resnet8, recipe: quick, objectives: {ce: [0.0]}, seeds: [0]}]
e3: {base: fashion_mnist, digits: fashion_mnist, eps: [0.0]}
e4: {digits: fashion_mnist, canvas: 32, n_crops: 4, crop_size: 8, n_grid: 4, n_mass: 40}
"""  # one prepared data set for the three experiments (E3's and E4's "digits" are Fashion-MNIST images here)
FIG3 = "results/e1/fashion_mnist/fig3_information_plane.pdf"
PROBES = "results/runs/occluded/resnet8/ls-0/seed0/probes.csv"
GRADCAM = "results/runs/cluttered/resnet8/ce-0/seed0/gradcam.npz"
#: kind of job → (its log, the target whose graph holds it, its output), in the order the kills happen
KILLS = {
    "train": (
        "results/logs/train/fashion_mnist/resnet8/ce-0/seed0.log",
        FIG3,
        "results/runs/fashion_mnist/resnet8/ce-0/seed0/model.pt",
    ),
    "dump": (
        "results/logs/outputs/fashion_mnist/resnet8/ce-0/seed0.log",
        FIG3,
        "results/runs/fashion_mnist/resnet8/ce-0/seed0/outputs.pt",
    ),
    "figure": ("results/logs/e1/fashion_mnist/fig3.log", FIG3, FIG3),
    "features": (
        "results/logs/features/occluded/resnet8/ls-0/seed0.log",
        PROBES,
        "results/runs/occluded/resnet8/ls-0/seed0/features.pt",
    ),
    "probes": ("results/logs/probes/occluded/resnet8/ls-0/seed0.log", PROBES, PROBES),
    "gradcam": ("results/logs/gradcam/cluttered/resnet8/ce-0/seed0.log", GRADCAM, GRADCAM),
}
CONFIGS = ("presets/quick.yaml", "offline.yaml", "tiny.yaml")


def job_seconds(log: Path) -> float:
    """Seconds from a job's first log line to its ``done`` line (lsib.pipeline.joblog's ``+12.3s`` stamps)."""
    last = log.read_text().rstrip().splitlines()[-1]
    assert last.endswith("] done"), last
    return float(re.search(r"\+\s*([0-9.]+)s\]", last).group(1))


def kill_inside(workdir: Path, log: Path, target: str, delay: float, extra: tuple[str, ...]) -> bool:
    """Start snakemake on ``target``; ``delay`` s after the job writing ``log`` starts, SIGKILL its process group.

    Returns whether the job was still running when killed (its log does not end with ``done``).
    """
    started = time.time()
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        target,
        "--cores",
        "2",
        "--rerun-incomplete",
        *extra,
        "--configfile",
        "config.yaml",
        *CONFIGS,
    ]
    with open(workdir.parent / f"{workdir.name}.out", "a") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=out, stderr=out, start_new_session=True)
    deadline = started + 300
    while not (log.exists() and log.stat().st_mtime >= started):
        assert proc.poll() is None, f"snakemake ended before {log} started"
        assert time.time() < deadline
        time.sleep(0.01)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snakemake(workdir, "--unlock", configfiles=CONFIGS).returncode == 0  # a SIGKILL leaves the lock
    return not log.read_text().rstrip().endswith("done")


def same_content(a: Any, b: Any, where: str) -> None:
    """Recursive equality of loaded .pt contents, ignoring wall-clock ``seconds``."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            if key != "seconds":
                same_content(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_content(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    else:
        assert a == b, where


def assert_same_results(a: Path, b: Path) -> None:
    """Every result file of ``a`` (logs and benchmarks aside) exists in ``b`` with the same content."""

    def results(root: Path) -> set[Path]:
        return {
            p.relative_to(root)
            for p in (root / "results").rglob("*")
            if p.is_file() and p.relative_to(root).parts[1] not in ("logs", "benchmarks")
        }

    assert results(a) == results(b)
    for rel in sorted(results(a)):
        x, y = a / rel, b / rel
        if rel.suffix == ".csv":
            pd.testing.assert_frame_equal(
                pd.read_csv(x).drop(columns=["seconds"], errors="ignore"),
                pd.read_csv(y).drop(columns=["seconds"], errors="ignore"),
                check_exact=True,
            )
        elif rel.suffix == ".pt":
            same_content(torch.load(x, weights_only=True), torch.load(y, weights_only=True), str(rel))
        elif rel.suffix == ".npz":
            with np.load(x) as p, np.load(y) as q:
                assert p.files == q.files, rel
                for key in p.files:
                    nan_ok = np.issubdtype(p[key].dtype, np.floating)
                    assert np.array_equal(p[key], q[key], equal_nan=nan_ok), f"{rel}[{key!r}]"
        elif rel.suffix == ".png":
            assert np.array_equal(matplotlib.image.imread(x), matplotlib.image.imread(y)), rel
        elif rel.suffix == ".pdf":  # PDFs carry their creation time
            assert x.read_bytes()[:5] == y.read_bytes()[:5] == b"%PDF-", rel
        else:
            assert x.read_bytes() == y.read_bytes(), rel


@pytest.mark.slow
@pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="needs Debian's dataset-fashion-mnist")
@pytest.mark.skipif(
    not (SHARED / "data" / "cifar10h-counts.npy").is_file(), reason="needs ../shared/data/cifar10h-counts.npy"
)
def test_killed_inside_each_kind_of_job_the_rerun_ends_as_an_uninterrupted_run(tmp_path: Path) -> None:
    """SIGKILL to the snakemake process group at a seeded random point inside a training, dump, figure,
    feature, probe and Grad-CAM job in turn; after `--unlock` and a rerun with `--rerun-incomplete`,
    every output equals the uninterrupted run's and no partial (.part) file is left."""
    targets = (FIG3, PROBES, GRADCAM)
    workdirs = {}
    for name in ("uninterrupted", "killed"):
        workdirs[name] = copy_workflow(tmp_path / name)
        (workdirs[name] / "tiny.yaml").write_text(TINY)
    clean = workdirs["uninterrupted"]
    result = snakemake(clean, *targets, "--cores", "2", configfiles=CONFIGS, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]

    killed, rng = workdirs["killed"], random.Random(11)
    for kind, (log, target, output) in KILLS.items():
        seconds = job_seconds(clean / log)
        fraction = rng.uniform(0.05, 0.6)
        for attempt in range(4):  # a job that ran faster than in the clean run escapes the kill: force it again, sooner
            extra = ("--forcerun", output) if (killed / output).exists() else ()
            if kill_inside(killed, killed / log, target, fraction * seconds / 2**attempt, extra):
                break
        else:
            pytest.fail(f"could not kill the {kind} job while it ran")
    result = snakemake(killed, *targets, "--cores", "2", "--rerun-incomplete", configfiles=CONFIGS, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not [p for p in killed.rglob("*") if ".part" in p.name]
    assert not list((killed / "results").rglob("checkpoint.pt"))
    assert_same_results(clean, killed)
    assert "Nothing to be done" in snakemake(killed, *targets, "-n", configfiles=CONFIGS).stdout
