"""Atomic file writes: a result file is either absent or complete, never half-written.

Every writer goes through :func:`atomic_path`: write to a temporary name in the target's
directory, then ``os.replace`` it over the target (atomic on POSIX). A crash or an exception
leaves no partial file behind, which is what Snakemake's "incomplete output" logic expects.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The suffix of ``path`` is kept on the temporary name so suffix-sniffing writers (e.g.
    matplotlib's ``savefig``) choose the right format.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".part{path.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically, fsync'ed before the rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())


def save_torch(obj: Any, path: str | os.PathLike[str]) -> None:
    """``torch.save(obj)`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def save_csv(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a tidy table as CSV (no index, full float precision) atomically."""
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
