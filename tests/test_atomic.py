"""lsib.atomic: results are written whole or not at all, with the umask's permissions.

No table is written with an empty cell where a number belongs; a killed writer's temporary
file is removed by the next write of its target, a live writer's is left alone.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lsib import atomic
from lsib.data.fetch import obtain


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


# ------------------------------------------------------------------------------------------
# results are written with the permissions of the user's umask
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


# ------------------------------------------------------------------------------------------
# temporary files: a killed writer's is removed, a live writer's left alone
# ------------------------------------------------------------------------------------------
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
