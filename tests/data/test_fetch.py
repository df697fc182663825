"""lsib.data.fetch: a fetched file is checked before it is put in place."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lsib.checks import load_counts
from lsib.data.fetch import DataSourceError, md5sum, obtain


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
