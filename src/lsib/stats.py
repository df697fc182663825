"""Interval estimates over seeds, shared by E6's tables (:mod:`lsib.measure.matched`) and its
figure (:mod:`lsib.plots.benefits`); numpy and scipy only, so figure jobs import no torch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

#: The compression a run is matched on: its exact train-set Î(X;Z) (nats).
MATCH_ON = "train_i_xz"


def ci95(values: ArrayLike) -> tuple[float, float, float]:
    """Mean and 95 % Student-t interval ``(mean, low, high)`` of ``values`` (e.g. one per seed).

    ``low, high = x̄ ∓ t_{0.975, n−1} · s / √n`` with ``s`` the sample sd (ddof 1). One value
    gives ``(x, nan, nan)``: no interval from a single seed. A NaN among the values makes all
    three NaN. Raises ValueError on no values.
    """
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("ci95: no values")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return mean, mean - half, mean + half
