"""The workflow scripts refuse unusable inputs: each job fails naming the file and writes no output.

Each script runs in-process with a stand-in for Snakemake's ``snakemake`` object: a diverged run's
NaN probabilities or inf weights, NaN features, a table with an empty cell and tables with
different columns all stop the job with an :class:`lsib.checks.InputError` naming the file.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from workflow_helpers import ROOT

from lsib.checks import InputError
from lsib.data import datasets
from lsib.measure.probes import run_probes
from lsib.models import build_model
from lsib.models.store import save_trained

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
# a diverged run (lr: 1e8 → NaN, lr: 1000 → inf weights) and broken tables: no job reads them silently
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


def test_probes_job_log_holds_a_line_per_fitted_probe(tmp_path: Path) -> None:
    g = torch.Generator().manual_seed(0)
    features = {s: torch.randn(200, 4, generator=g) for s in ("train", "test")}
    torch.save(
        {
            **{f"{s}_features": f for s, f in features.items()},
            **{f"{s}_nuisance_y": (f[:, 0] > 0).long() for s, f in features.items()},
        },
        tmp_path / "features.pt",
    )
    pd.DataFrame({"epoch": [1], "test_acc": [0.5]}).to_csv(tmp_path / "metrics.csv", index=False)
    run_script(
        "run_probes.py",
        tmp_path,
        input=Files(features=tmp_path / "features.pt", metrics=tmp_path / "metrics.csv"),
        output=Files(tmp_path / "probes.csv"),
        params=SimpleNamespace(probes={"mlp": {"hidden": 8, "batch_size": 50, "patience": 2}}),
        wildcards=run_wildcards(),
    )
    table = pd.read_csv(tmp_path / "probes.csv").set_index("probe")["probe_acc"]
    log = (tmp_path / "job.log").read_text()
    for probe in ("linear", "mlp"):
        assert re.search(rf"\] {probe} probe: test accuracy {table[probe]:.4f}, fitted in [0-9.]+s$", log, re.M), log
    assert re.search(r"\] mlp probe: epoch 1, loss [0-9.]+, validation accuracy", log), log


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
