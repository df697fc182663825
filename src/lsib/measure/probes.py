"""Probe classifiers on frozen penultimate activations (experiment E3).

A probe is a *new* classifier trained to predict a label (the MNIST nuisance label of
Occluded CIFAR) from a trained network's penultimate activations ``h(x)`` (the input of its
last linear layer). Its test accuracy measures how much of that label's information the
representation keeps; :func:`chance_level` is the floor a representation without it reaches.

Both probes standardise the features with the training statistics,
``h̃ = (h − mean_train) / sd_train``, then fit

- linear: multinomial logistic regression, ``p(y|h̃) = softmax(W h̃ + b)``, minimising the
  mean cross-entropy + ``‖W‖²/(2·C·N)`` (sklearn's L2 penalty) with L-BFGS;
- MLP:    ``p(y|h̃) = softmax(W₂ ReLU(W₁ h̃ + b₁) + b₂)`` with one hidden layer (sklearn's
  ``MLPClassifier``), Adam on minibatches, early stopping on a stratified held-out fraction
  of the training set (best validation accuracy, ``patience`` epochs without improvement).

:func:`run_probes` logs each probe's accuracy and fit time as it is fitted, and the MLP's
epochs (loss, validation accuracy) at its first epoch and then at most every
:data:`PROGRESS_SECONDS` s, read from what a verbose ``MLPClassifier`` prints (printing changes
no result).

The same probes read two references that bracket the trained models (:func:`pixel_features`
and an untrained network's activations): what the input itself reveals about the nuisance,
and what a network keeps before any training has made it invariant.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from lsib.checks import require_finite

PROGRESS_SECONDS = 30.0
"""Seconds of work between two progress lines of an MLP probe's fit (after its first epoch)."""


class _EpochLog(io.TextIOBase):
    """Where a verbose ``MLPClassifier`` prints: per epoch ``Iteration n, loss = l`` and
    ``Validation score: v``, then the reason it stopped. Logs epoch 1, then at most one epoch
    every ``every`` seconds, and any other line as it comes."""

    def __init__(self, log: Callable[[str], None], every: float) -> None:
        self.log, self.every = log, every
        self.pending, self.last, self.epoch, self.loss = "", -math.inf, 0, math.nan

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in filter(None, map(str.strip, lines)):
            if iteration := re.fullmatch(r"Iteration (\d+), loss = (\S+)", line):
                self.epoch, self.loss = int(iteration[1]), float(iteration[2])
            elif score := re.fullmatch(r"Validation score: (\S+)", line):
                if self.epoch == 1 or time.perf_counter() - self.last >= self.every:
                    accuracy = float(score[1])
                    self.log(f"mlp probe: epoch {self.epoch}, loss {self.loss:.4f}, validation accuracy {accuracy:.4f}")
                    self.last = time.perf_counter()
            else:
                self.log(f"mlp probe: {line}")
        return len(text)


def _accuracy(
    model: Pipeline, train_f: np.ndarray, train_y: np.ndarray, test_f: np.ndarray, test_y: np.ndarray
) -> float:
    """Fit ``model`` on the training pair and return its accuracy on the test pair."""
    model.fit(np.asarray(train_f, dtype=np.float64), np.asarray(train_y))
    return float(model.score(np.asarray(test_f, dtype=np.float64), np.asarray(test_y)))


def linear_probe(
    train_f: np.ndarray,
    train_y: np.ndarray,
    test_f: np.ndarray,
    test_y: np.ndarray,
    *,
    seed: int = 0,
    max_iter: int = 1000,
    C: float = 1.0,
) -> float:
    """Test accuracy of a multinomial logistic regression on standardised features.

    Args:
        train_f, test_f: ``(N, D)`` activations; train_y, test_y: ``(N,)`` integer labels.
        seed: ``random_state`` of the solver (L-BFGS is deterministic; kept for symmetry).
        max_iter: L-BFGS iterations.
        C: inverse L2 strength (sklearn's convention).
    """
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter, random_state=seed))
    return _accuracy(model, train_f, train_y, test_f, test_y)


def mlp_probe(
    train_f: np.ndarray,
    train_y: np.ndarray,
    test_f: np.ndarray,
    test_y: np.ndarray,
    *,
    seed: int = 0,
    hidden: int = 256,
    max_epochs: int = 200,
    patience: int = 10,
    validation_fraction: float = 0.1,
    lr: float = 1e-3,
    batch_size: int = 256,
    log: Callable[[str], None] | None = None,
    every: float = PROGRESS_SECONDS,
) -> float:
    """Test accuracy of a one-hidden-layer ReLU MLP on standardised features.

    Adam (learning rate ``lr``, minibatches of ``batch_size``) for at most ``max_epochs``
    epochs; training stops once the accuracy on a held-out ``validation_fraction`` of the
    training set has not improved for ``patience`` epochs, and the best-validation weights
    are kept. ``seed`` fixes the initialisation, the split and the batch order. With ``log``,
    epoch 1 and then at most one epoch every ``every`` s of the fit are logged (:class:`_EpochLog`).
    """
    mlp = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        learning_rate_init=lr,
        batch_size=batch_size,
        max_iter=max_epochs,
        early_stopping=True,
        validation_fraction=validation_fraction,
        n_iter_no_change=patience,
        random_state=seed,
        verbose=log is not None,
    )
    with contextlib.redirect_stdout(_EpochLog(log, every)) if log else contextlib.nullcontext():
        return _accuracy(make_pipeline(StandardScaler(), mlp), train_f, train_y, test_f, test_y)


def chance_level(train_y: np.ndarray, test_y: np.ndarray) -> float:
    """Accuracy on ``test_y`` of always predicting the most frequent training class."""
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    values, counts = np.unique(train_y, return_counts=True)
    return float(np.mean(test_y == values[np.argmax(counts)]))


PROBES = ("linear", "mlp")
"""Probe names, in the order :func:`run_probes` fits them."""


def run_probes(
    train_f: np.ndarray,
    train_y: np.ndarray,
    test_f: np.ndarray,
    test_y: np.ndarray,
    *,
    seed: int,
    settings: Mapping[str, Mapping[str, Any]],
    log: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Test accuracy of every probe of :data:`PROBES`, each with its keyword ``settings[name]``.

    With ``log``: one line per probe as it is fitted (accuracy, seconds) and the MLP's epochs.

    Raises:
        lsib.checks.InputError: the features hold NaN or ±inf (sklearn would fail obscurely).
    """
    require_finite(train_f, "train features")
    require_finite(test_f, "test features")
    fit = {"linear": linear_probe, "mlp": functools.partial(mlp_probe, log=log)}
    accuracies = {}
    for name in PROBES:
        started = time.perf_counter()
        accuracies[name] = fit[name](train_f, train_y, test_f, test_y, seed=seed, **settings.get(name, {}))
        if log:
            log(f"{name} probe: test accuracy {accuracies[name]:.4f}, fitted in {time.perf_counter() - started:.1f}s")
    return accuracies


def pixel_features(images: np.ndarray) -> np.ndarray:
    """Raw pixels as features: uint8 ``(N, C, H, W)`` → float32 ``(N, C·H·W)`` in [0, 1]."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0
