"""Atomic file writes: a result file is either absent or complete, never half-written.

Every writer goes through :func:`atomic_path`: write to a temporary name in the target's
directory, then ``os.replace`` it over the target (atomic on POSIX). A crash or an exception
leaves no partial file behind, which is what Snakemake's "incomplete output" logic expects;
a process killed outright leaves its temporary file, which the next write of the same
target removes (unless a live writer still holds it, see :func:`atomic_path`).
The result gets the permissions a plain ``open(path, "w")`` would give it, ``0o666 & ~umask``
(``mkstemp`` alone would leave ``0o600``, unreadable to the rest of a group on a cluster).

Tables go through :func:`save_csv`, which refuses an empty (NaN) cell unless its column is
declared ``nullable``: a number that could not be computed stops the job instead of leaving a
blank in a results table. torch is imported only by :func:`save_torch`, so the light jobs that
write tables need no torch.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Mode of a file created by ``open(path, "w")`` before the umask is applied.
_DEFAULT_MODE = 0o666


def current_umask() -> int:
    """The process umask (read by setting it and restoring it at once; POSIX has no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class IncompleteTableError(ValueError):
    """A table about to be written has an empty or non-finite cell where a number belongs."""


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary name is ``.<name>.<8 random characters>.part<suffix>``: the suffix of
    ``path`` is kept so suffix-sniffing writers (e.g. matplotlib's ``savefig``) choose the
    right format. The writer holds an exclusive ``flock`` on its temporary file until the
    rename; the kernel drops it when the process dies, even by SIGKILL (which runs no
    cleanup). So a temporary file of ``path`` that nobody holds is a leftover of a killed
    writer and is removed first, while one that a live writer holds (two jobs staging the
    same raw file at once) is left alone.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = f".{path.name}.", f".part{path.suffix}"
    _remove_leftovers(path.parent, prefix, suffix)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    tmp = Path(name)
    try:
        _lock(fd)
        os.fchmod(fd, _DEFAULT_MODE & ~current_umask())
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        os.close(fd)  # releases the lock


def _lock(fd: int) -> bool:
    """Try to take an exclusive ``flock`` on ``fd`` without waiting; False when another holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # no flock on this file system: treat every file as in use (keep it)
        return False
    return True


def _remove_leftovers(folder: Path, prefix: str, suffix: str) -> None:
    """Delete ``<prefix><8 mkstemp characters><suffix>`` files in ``folder`` that no live writer holds."""
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}" + re.escape(suffix))
    for leftover in folder.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
        if not pattern.fullmatch(leftover.name):
            continue
        try:
            fd = os.open(leftover, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            if _lock(fd):
                leftover.unlink(missing_ok=True)
        finally:
            os.close(fd)


def write_bytes(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically, fsync'ed before the rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())


def save_torch(obj: Any, path: str | os.PathLike[str]) -> None:
    """``torch.save(obj)`` to ``path`` atomically."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def save_csv(table: pd.DataFrame, path: str | os.PathLike[str], *, nullable: Iterable[str] = ()) -> None:
    """Write a tidy table as CSV (no index, full float precision) atomically.

    Every cell must hold a value: a missing value (NaN, None) or an infinite number in any
    column not listed in ``nullable`` raises :class:`IncompleteTableError` naming ``path``,
    the column and the first such row, and nothing is written. ``nullable`` lists the
    columns where an empty cell means "does not apply" (e.g. an LS distance of a VIB run).
    """
    unknown = sorted(set(nullable) - set(table.columns))
    if unknown:
        raise ValueError(f"{path}: nullable columns {unknown} are not in the table (columns {list(table.columns)})")
    for column in table.columns:
        if column in nullable:
            continue
        values = table[column]
        bad = values.isna()
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            bad |= ~np.isfinite(values.to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise IncompleteTableError(
                f"{path}: column {column!r} has {int(bad.sum())} missing or non-finite value(s) "
                f"(first in row {row}: {values.iloc[row]!r}); refusing to write a table with empty cells"
            )
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.10g")


def save_json(obj: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a JSON object (indented, keys sorted) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def save_npz(path: str | os.PathLike[str], **arrays: np.ndarray) -> None:
    """``numpy.savez_compressed`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
