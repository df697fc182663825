"""Data set sizes: the plan's split sizes match the data, and a subset the job cannot draw names its config key."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from workflow_helpers import FASHION_MNIST

from lsib.data import datasets, sources
from lsib.pipeline import plan


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
