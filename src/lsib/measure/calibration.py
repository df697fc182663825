"""How well a run's predicted probabilities match its test labels: NLL, ECE, Brier score (E6).

For predictions ``p_i = p(·|x_i)`` over K classes and labels ``y_i``, i = 1…N:

- NLL   = (1/N) Σ_i −log p_i[y_i]                 (nats; the test cross-entropy)
- ECE   = Σ_b (|B_b| / N) |acc(B_b) − conf(B_b)|   (top-label, L1, 15 equal-width bins of
  the confidence ``max_k p_i[k]``; acc and conf are the bin's accuracy and mean confidence;
  torchmetrics' ``MulticlassCalibrationError(n_bins=15, norm="l1")``)
- Brier = (1/N) Σ_i Σ_k (p_i[k] − 1[y_i = k])²    (in [0, 2])
"""

from __future__ import annotations

import torch

from lsib.checks import require_distributions

ECE_BINS = 15


def _checked(proba: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    proba = torch.as_tensor(proba, dtype=torch.float64)
    require_distributions(proba, "proba")
    return proba, torch.as_tensor(labels, dtype=torch.int64)


def nll(proba: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean ``−log p(y_i|x_i)`` in nats (``(N, K)`` probabilities, ``(N,)`` labels)."""
    proba, labels = _checked(proba, labels)
    return float(-torch.log(proba.gather(1, labels[:, None])).mean())


def ece(proba: torch.Tensor, labels: torch.Tensor, n_bins: int = ECE_BINS) -> float:
    """Top-label expected calibration error, L1 over ``n_bins`` equal-width confidence bins.

    Bins are ``[b/n, (b+1)/n)`` (torchmetrics bucketizes with ``right=True``; a confidence of
    exactly 1 gets a bin of its own, which changes nothing: its accuracy gap is its own). torchmetrics
    casts confidences to float32, so the result carries ~1e-7 relative error. torchmetrics is
    imported here, not with the module: it pulls in torchvision and the compiler (~3 s), which
    every other job importing :mod:`lsib.measure` would pay.
    """
    from torchmetrics.classification import MulticlassCalibrationError

    proba, labels = _checked(proba, labels)
    metric = MulticlassCalibrationError(num_classes=proba.shape[1], n_bins=n_bins, norm="l1")
    return float(metric(proba, labels))


def brier(proba: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean over examples of ``Σ_k (p_k − 1[y = k])²`` (the multi-class Brier score)."""
    proba, labels = _checked(proba, labels)
    onehot = torch.nn.functional.one_hot(labels, proba.shape[1]).double()
    return float(((proba - onehot) ** 2).sum(1).mean())
