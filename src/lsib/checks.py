"""Checks on what a stage reads: an unusable input stops the job with an error naming the file.

Every stage that reads probabilities, features, maps or tables goes through these loaders,
so a diverged run (NaN/inf probabilities), a truncated file or a table with empty cells
fails loudly where it is read instead of turning into blank cells or a silently wrong figure.
Each error names the file and, for the pipeline's own outputs, how to rebuild it.

torch is imported only when a ``.pt`` file is read, so table-only jobs need none.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


class InputError(ValueError):
    """An input file is unreadable or holds values the code cannot use; the message names it."""


def rebuild_hint(path: str | os.PathLike[str]) -> str:
    """How to rebuild a pipeline output (targets and ``--forcerun`` go before ``--configfile``)."""
    return f"rebuild it with: snakemake --forcerun {path} --cores N --configfile <your config files>"


def as_numpy(values: Any) -> np.ndarray:
    """A numpy view of an array-like (numpy, list, CPU/GPU torch tensor) without importing torch."""
    if hasattr(values, "detach"):  # a torch tensor: numpy has no bfloat16, so widen that one
        values = values.detach().cpu()
        values = values.float() if str(values.dtype) == "torch.bfloat16" else values
        return values.numpy()
    return np.asarray(values)


def require_finite(values: Any, what: str) -> None:
    """Raise :class:`InputError` if any entry of ``values`` is NaN or ±inf.

    The message starts with ``what`` (a file and key, or an argument name) and gives the
    number of bad entries and the first one, e.g. ``"outputs.pt['train_proba']: 3 of 5000
    values are not finite (first at index (0, 2): nan)"``.
    """
    array = as_numpy(values)
    if not np.issubdtype(array.dtype, np.number):
        raise InputError(f"{what}: expected numbers, got an array of {array.dtype}")
    finite = np.isfinite(array)
    if not finite.all():
        first = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise InputError(
            f"{what}: {int((~finite).sum())} of {array.size} values are not finite "
            f"(first at index {first}: {array[first]})"
        )


def require_distributions(proba: Any, what: str, atol: float = 1e-6) -> None:
    """Raise :class:`InputError` unless every row of ``proba`` ``(N, K)`` is a distribution.

    Checks: 2-D, finite, ``p ≥ 0`` and ``|Σ_k p[n, k] − 1| ≤ atol`` for every row n.
    """
    array = as_numpy(proba)
    if array.ndim != 2:
        raise InputError(f"{what}: expected an (N, K) table of probabilities, got shape {array.shape}")
    require_finite(array, what)
    if (array < 0).any():
        row = int(np.argwhere(array < 0)[0][0])
        raise InputError(f"{what}: negative probability in row {row}")
    error = np.abs(array.sum(axis=1, dtype=np.float64) - 1.0)
    if (error > atol).any():
        row = int(np.argmax(error))
        raise InputError(
            f"{what}: row {row} sums to {float(array[row].sum(dtype=np.float64))!r}, not 1 (tolerance {atol})"
        )


def require_finite_weights(state: Mapping[str, Any], source: str) -> None:
    """Raise :class:`InputError` naming ``source`` and the first weight or buffer with NaN/±inf.

    ``state`` is a model's ``state_dict()``; a diverged run's weights (e.g. ``lr: 1000``) can
    give finite but meaningless outputs (all one-hot on one class), so the weights are checked too.
    """
    for name, value in state.items():
        require_finite(value, f"{source} (weight {name!r}; did the run diverge? retrain it with a smaller lr)")


def load_arrays(path: str | os.PathLike[str], finite: Iterable[str] = ()) -> dict[str, Any]:
    """Read a ``.pt`` (``torch.load``, tensors only) or ``.npz`` file of named arrays.

    Every key in ``finite`` must be present and hold only finite numbers.

    Raises:
        InputError: the file is unreadable (truncated, not this format) or a key is missing
            or holds NaN/inf; the message names the file, the key and how to rebuild it.
    """
    path = Path(path)
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                data: dict[str, Any] = {key: archive[key] for key in archive.files}
        else:
            import torch

            data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:  # truncated zip / pickle errors come in many types
        raise InputError(f"{path}: unreadable ({type(err).__name__}: {err}); {rebuild_hint(path)}") from err
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a dict of arrays, got {type(data).__name__}; {rebuild_hint(path)}")
    for key in finite:
        if key not in data:
            raise InputError(f"{path}: no {key!r} in it (keys: {sorted(data)}); {rebuild_hint(path)}")
        require_finite(data[key], f"{path}[{key!r}]")
    return data


def read_table(path: str | os.PathLike[str], finite: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV table; it must have rows, and every column in ``finite`` only finite numbers.

    Raises:
        InputError: unreadable or empty table, a missing column, or an empty, non-numeric or
            non-finite cell in a ``finite`` column; the message names the file, the column and
            the first bad row.
    """
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable CSV table ({err}); {rebuild_hint(path)}") from err
    if table.empty:
        raise InputError(f"{path}: the table has no rows; {rebuild_hint(path)}")
    for column in finite:
        if column not in table.columns:
            raise InputError(f"{path}: no column {column!r} (columns: {list(table.columns)})")
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: column {column!r} has {int(bad.sum())} empty or non-finite cell(s) "
                f"(first in row {row}: {table[column].iloc[row]!r})"
            )
    return table


#: Classes of CIFAR-10 (and so the columns of the CIFAR-10H count table).
CIFAR10H_CLASSES = 10


def check_counts(
    counts: Any, source: str, num_classes: int | None = CIFAR10H_CLASSES, whole: bool = True
) -> np.ndarray:
    """Validate a table of label counts: ``(M, K)``, M ≥ 1, finite, non-negative, no row of zeros.

    The one check of count tables: CIFAR-10H's annotations (:func:`load_counts`) and the tables
    :mod:`lsib.info.information` turns into ``p̂(x)`` and ``p̂(y|x)`` both go through it. Every
    row must hold at least one label (``p̂(y|x)`` needs a denominator).

    Args:
        counts: the table (numpy array, list or torch tensor).
        source: what the table is (a file, or an argument name); every message starts with it.
        num_classes: the number of columns K required, or None for any K.
        whole: require whole numbers (annotator counts); float tables are accepted when every
            entry is an integer value. With ``whole=False`` fractional counts are accepted.

    Returns:
        The table as int64 (``whole=True``) or float64 (``whole=False``).

    Raises:
        InputError: naming ``source`` and what is wrong (shape, type, non-finite entry, fraction,
            sign, empty row).
    """
    array = as_numpy(counts)
    k = "K" if num_classes is None else str(num_classes)
    if array.ndim != 2 or array.shape[0] < 1 or (num_classes is not None and array.shape[1] != num_classes):
        raise InputError(f"{source}: expected an (M, {k}) table of label counts with M ≥ 1, got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise InputError(f"{source}: expected {'integer' if whole else 'numeric'} label counts, got {array.dtype}")
    if np.issubdtype(array.dtype, np.floating):
        require_finite(array, source)
        if whole and not np.array_equal(array, np.round(array)):
            raise InputError(
                f"{source}: label counts must be whole numbers (row {int(np.argwhere(array != np.round(array))[0][0])})"
            )
    if (array < 0).any():
        raise InputError(f"{source}: negative label count in row {int(np.argwhere(array < 0)[0][0])}")
    empty = array.sum(axis=1) == 0
    if empty.any():
        raise InputError(
            f"{source}: image {int(np.flatnonzero(empty)[0])} has no annotation "
            "(a row of zeros: every input needs at least one label)"
        )
    return array.astype(np.int64 if whole else np.float64, copy=False)


def load_counts(
    path: str | os.PathLike[str], source: str | None = None, num_classes: int = CIFAR10H_CLASSES
) -> np.ndarray:
    """Read a ``.npy`` count table and :func:`check_counts` it; errors name ``source`` (default: ``path``)."""
    source = source or str(path)
    try:
        counts = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError) as err:
        raise InputError(f"{source}: not a readable .npy array ({err})") from err
    return check_counts(counts, source, num_classes)
