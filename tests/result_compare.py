"""Comparison of saved results between two runs of the workflow (a killed and an uninterrupted one)."""

from __future__ import annotations

from typing import Any

import torch


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
