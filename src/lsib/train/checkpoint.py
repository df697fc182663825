"""Training checkpoints that know what they were trained on.

A checkpoint stores, beside the training state, its *provenance*: the SHA-256 of the
training data (:func:`data_fingerprint`), the model architecture, the objective and its
coefficient, the seed, the recipe and the execution settings. :func:`load_checkpoint`
resumes only from a checkpoint whose provenance equals the current one; a mismatch (e.g. a
data set re-drawn with another seed) or an unreadable file (set aside as
``<name>.corrupt-<UTC time>``, never deleted) means a fresh start, with a log line saying why.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from lsib.atomic import write_bytes

DATA_KEYS = ("train_x", "train_y", "test_x", "test_y", "mean", "std")


def data_fingerprint(data: Mapping[str, Any]) -> str:
    """SHA-256 over the training data's content: dtype, shape and bytes of each tensor of
    :data:`DATA_KEYS`, then ``mean``, ``std`` and ``classes`` as JSON (independent of the file format)."""
    digest = hashlib.sha256()
    for key in DATA_KEYS:
        value = data[key]
        if isinstance(value, torch.Tensor):
            array = value.detach().cpu().contiguous()
            digest.update(f"{key}:{array.dtype}:{tuple(array.shape)}:".encode())
            digest.update(array.view(torch.uint8).numpy().tobytes() if array.numel() else b"")
        else:
            digest.update(f"{key}:{json.dumps([float(v) for v in value])}:".encode())
    digest.update(json.dumps([str(c) for c in data.get("classes", [])]).encode())
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike[str], state: Mapping[str, Any]) -> None:
    """``torch.save(state)`` to ``path`` atomically."""
    buffer = io.BytesIO()
    torch.save(dict(state), buffer)
    write_bytes(path, buffer.getvalue())


def differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """``key: old → new`` for every leaf where two nested dicts differ (long strings shortened)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        lines = []
        for key in sorted(set(old) | set(new), key=str):
            name = f"{prefix}.{key}" if prefix else str(key)
            lines += differences(old.get(key, "(absent)"), new.get(key, "(absent)"), name)
        return lines
    if old == new:
        return []
    short = lambda v: f"{v[:12]}…" if isinstance(v, str) and len(v) > 16 else repr(v)  # noqa: E731
    return [f"{prefix or 'value'}: {short(old)} → {short(new)}"]


def set_aside(path: Path) -> Path:
    """Rename ``path`` to ``<path>.corrupt-<UTC time>`` (a free name) and return the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    os.replace(path, target)
    return target


def load_checkpoint(
    path: str | os.PathLike[str], provenance: Mapping[str, Any], log: Callable[[str], None]
) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it is readable and was trained on ``provenance``, else None.

    An unreadable file is set aside (:func:`set_aside`) and logged; a readable one with other
    provenance stays in place (the next epoch overwrites it) and the differences are logged.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or "epoch" not in state:
            raise ValueError("not an lsib training checkpoint")
    except Exception as err:  # noqa: BLE001 — any unreadable file is set aside, whatever torch raises
        kept = set_aside(path)
        log(
            f"checkpoint {path} is unreadable ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
            f"set aside as {kept.name}; training restarts from scratch"
        )
        return None
    changed = differences(state.get("provenance", {}), dict(provenance))
    if changed:
        log(f"checkpoint {path} was trained on something else ({'; '.join(changed)}); training restarts from scratch")
        return None
    return state
