"""lsib.checks: bad inputs fail loudly, naming the file (or argument) and how to rebuild it.

Non-finite probabilities, maps and tables, rows that are not distributions, unreadable files,
CIFAR-10H count tables of the wrong shape or content; and the base modules import no torch.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from workflow_helpers import ROOT, SHARED

from lsib.checks import InputError, check_counts, load_arrays, load_counts, read_table, require_distributions
from lsib.info.information import from_annotations, from_counts
from lsib.measure.information import empirical_data, run_information
from lsib.measure.saliency import box_mass


def test_run_information_rejects_rows_that_are_not_distributions() -> None:
    x = torch.arange(4, dtype=torch.uint8).reshape(4, 1, 1, 1)
    data, first = empirical_data(x, torch.tensor([0, 1, 0, 1]), 2)
    bad = torch.tensor([[0.5, 0.5], [0.9, 0.2], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    with pytest.raises(InputError, match=r"train_proba: row 1 sums to 1.1, not 1"):
        run_information(bad, data, first, "ce", 0.0)
    with pytest.raises(InputError, match="negative probability in row 0"):
        require_distributions(np.array([[-0.1, 1.1]]), "p")


def test_gradcam_maps_with_nan_are_refused(tmp_path: Path) -> None:
    maps = np.zeros((2, 4, 4), dtype=np.float32)
    maps[1, 0, 0] = np.nan
    np.savez_compressed(tmp_path / "gradcam.npz", grid_maps=maps, examples_maps=maps)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'gradcam.npz'}['grid_maps']: 1 of 32 values")):
        load_arrays(tmp_path / "gradcam.npz", finite=("grid_maps",))
    with pytest.raises(InputError, match="Grad-CAM maps"):
        box_mass(maps, np.array([[0, 0, 2, 2], [0, 0, 2, 2]]))


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


def test_the_real_cifar10h_counts_pass() -> None:
    path = SHARED / "data" / "cifar10h-counts.npy"
    if not path.is_file():
        pytest.skip("needs ../shared/data/cifar10h-counts.npy")
    assert load_counts(path).shape == (10_000, 10)


#: Count tables no path may accept, with the reason both give; ``{k}`` is the number of columns each requires.
BAD_COUNTS = {
    "1-D": (np.ones(10), "expected an (M, {k}) table of label counts with M ≥ 1, got shape (10,)"),
    "negative": (np.array([[1] * 9 + [-1]] * 2), "negative label count in row 0"),
    "NaN": (np.vstack([np.ones(10), np.full(10, np.nan)]), "10 of 20 values are not finite (first at index (1, 0)"),
    "row of zeros": (np.vstack([np.ones(10), np.zeros(10)]), "image 1 has no annotation (a row of zeros"),
}


@pytest.mark.parametrize(("counts", "message"), BAD_COUNTS.values(), ids=BAD_COUNTS)
def test_the_cifar10h_loader_and_the_information_constructors_reject_the_same_tables(
    tmp_path: Path, counts: np.ndarray, message: str
) -> None:
    """One check of count tables (check_counts): load_counts and lsib.info's from_counts/from_annotations agree."""
    path = tmp_path / "counts.npy"
    np.save(path, counts)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message.format(k=10)}")):
        load_counts(path)
    for build in (from_counts, from_annotations):
        with pytest.raises(InputError, match=re.escape(f"counts: {message.format(k='K')}")):
            build(counts)
        with pytest.raises(InputError, match=re.escape(f"counts: {message.format(k='K')}")):
            build(torch.as_tensor(counts))


def test_only_the_cifar10h_loader_requires_ten_columns_of_whole_numbers() -> None:
    soft = np.array([[0.5, 1.5, 0.0], [0.0, 0.0, 2.0]])  # fractional counts, K = 3: a valid empirical distribution
    assert check_counts(soft, "soft", num_classes=None, whole=False).dtype == np.float64
    np.testing.assert_allclose(from_annotations(soft).pyx.numpy(), [[0.25, 0.75, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(InputError, match=re.escape("soft: expected an (M, 10) table of label counts")):
        check_counts(soft, "soft")
    with pytest.raises(InputError, match=re.escape("soft: label counts must be whole numbers (row 0)")):
        check_counts(soft, "soft", num_classes=3)
    assert check_counts(np.array([[1.0, 2.0, 0.0]]), "whole", num_classes=3).dtype == np.int64
