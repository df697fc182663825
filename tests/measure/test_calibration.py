"""NLL, ECE and Brier score against hand-computed cases and a direct numpy ECE."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lsib.measure.calibration import brier, ece, nll

#: Four predictions over K = 3: A right at confidence 0.94, B wrong at 0.96 (same bin, 14 of 15:
#: [14/15, 1)), C wrong at 0.85 (bin 12), D right at 0.55 (bin 8).
PROBA = torch.tensor(
    [[0.94, 0.03, 0.03], [0.02, 0.96, 0.02], [0.05, 0.10, 0.85], [0.55, 0.40, 0.05]], dtype=torch.float64
)
LABELS = torch.tensor([0, 2, 0, 0])


def test_nll_by_hand() -> None:
    assert nll(PROBA, LABELS) == pytest.approx(-(math.log(0.94) + math.log(0.02) + math.log(0.05) + math.log(0.55)) / 4)


def test_ece_by_hand() -> None:
    # bin 14: accuracy 1/2, confidence 0.95, weight 2/4; C: |0 − 0.85| · 1/4; D: |1 − 0.55| · 1/4
    assert ece(PROBA, LABELS) == pytest.approx(
        0.45 * 2 / 4 + 0.85 / 4 + 0.45 / 4, abs=1e-6
    )  # 0.55 (torchmetrics bins in float32)


def test_brier_by_hand() -> None:
    # A: 0.06² + 0.03² + 0.03²; B: 0.02² + 0.96² + 0.98²; C: 0.95² + 0.1² + 0.85²; D: 0.45² + 0.4² + 0.05²
    assert brier(PROBA, LABELS) == pytest.approx((0.0054 + 1.8824 + 1.635 + 0.365) / 4, abs=1e-12)  # 0.97195


def numpy_ece(proba: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Σ_b |B_b|/N · |acc(B_b) − conf(B_b)| with bins [b/n, (b+1)/n), a confidence of 1 in a bin of its own."""
    conf, pred = proba.max(1), proba.argmax(1)
    bins = np.floor(conf * n_bins).astype(int)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.mean() * abs((pred[inside] == labels[inside]).mean() - conf[inside].mean())
    return total


def test_ece_matches_a_direct_numpy_implementation() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2000, 10)) * rng.uniform(0.5, 4.0, size=(2000, 1))
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.where(rng.random(2000) < 0.7, proba.argmax(1), rng.integers(0, 10, 2000))
    assert ece(torch.from_numpy(proba), torch.from_numpy(labels)) == pytest.approx(numpy_ece(proba, labels), abs=1e-6)


def test_perfect_one_hot_predictions_score_zero() -> None:
    proba = torch.eye(4, dtype=torch.float64)
    labels = torch.arange(4)
    assert nll(proba, labels) == 0 and ece(proba, labels) == 0 and brier(proba, labels) == 0
