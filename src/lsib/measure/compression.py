"""How compressed a run's penultimate layer is (E6): class scatter, own-label probe, templates.

Penultimate features ``h_i`` (input of the last linear layer, :func:`lsib.measure.inference.penultimate_features`)
with labels ``y_i``: class means ``μ_c`` over the ``n_c`` examples of class c, overall mean ``μ``.

- within-class scatter  ``tr S_W = Σ_c Σ_{i: y_i = c} ‖h_i − μ_c‖²``
- between-class scatter ``tr S_B = Σ_c n_c ‖μ_c − μ‖²``   (weighted by class counts)
- scatter ratio ``tr S_W / tr S_B``: 0 when every example sits at its class mean (Müller et
  al. 2019's tight clusters); both traces sum to the total scatter ``Σ_i ‖h_i − μ‖²``.

The own-label probe is :func:`lsib.measure.probes.linear_probe` on the run's own labels (how
linearly decodable the task stays). :func:`template_projection` is Müller et al.'s picture:
features of three classes projected on the plane through their templates (rows of the head's
weight).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lsib.checks import require_finite
from lsib.measure.probes import linear_probe

PROJECTION_CLASSES = (0, 1, 2)


def scatter_ratio(features: np.ndarray, labels: np.ndarray) -> float:
    """``tr S_W / tr S_B`` of ``(N, D)`` features with ``(N,)`` labels (float64; see the module docstring)."""
    h = np.asarray(features, dtype=np.float64)
    require_finite(h, "features")
    classes, y = np.unique(np.asarray(labels), return_inverse=True)
    counts = np.bincount(y, minlength=len(classes)).astype(np.float64)
    means = np.zeros((len(classes), h.shape[1]))
    np.add.at(means, y, h)
    means /= counts[:, None]
    within = float(((h - means[y]) ** 2).sum())
    between = float((counts * ((means - h.mean(0)) ** 2).sum(1)).sum())
    return within / between


def compression_measures(
    train_f: np.ndarray,
    train_y: np.ndarray,
    test_f: np.ndarray,
    test_y: np.ndarray,
    probe: Mapping[str, Any],
) -> dict[str, float]:
    """``scatter_ratio_train``, ``scatter_ratio_test`` and ``own_probe_acc`` (a linear probe fitted on
    the training features and labels, its accuracy on the test pair; ``probe``: its keywords)."""
    return {
        "scatter_ratio_train": scatter_ratio(train_f, train_y),
        "scatter_ratio_test": scatter_ratio(test_f, test_y),
        "own_probe_acc": linear_probe(train_f, train_y, test_f, test_y, **probe),
    }


def template_basis(weight: np.ndarray, classes: Sequence[int] = PROJECTION_CLASSES) -> np.ndarray:
    """``(2, D)`` orthonormal basis of the plane through the templates ``w_a, w_b, w_c`` (rows of the
    head's ``(K, D)`` weight): Gram–Schmidt of ``(w_b − w_a, w_c − w_a)``."""
    w = np.asarray(weight, dtype=np.float64)[list(classes)]
    u = w[1] - w[0]
    u /= np.linalg.norm(u)
    v = w[2] - w[0]
    v -= (v @ u) * u
    return np.stack([u, v / np.linalg.norm(v)])


def template_projection(
    features: np.ndarray, labels: np.ndarray, weight: np.ndarray, classes: Sequence[int] = PROJECTION_CLASSES
) -> tuple[np.ndarray, np.ndarray]:
    """Features of the examples of ``classes``, projected on :func:`template_basis`: ``(n, 2)``
    coordinates ``(h · e₁, h · e₂)`` and their ``(n,)`` labels."""
    labels = np.asarray(labels)
    keep = np.isin(labels, list(classes))
    return np.asarray(features, dtype=np.float64)[keep] @ template_basis(weight, classes).T, labels[keep]


def projection_arrays(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    weight: np.ndarray,
    classes: Sequence[int] = PROJECTION_CLASSES,
) -> dict[str, np.ndarray]:
    """The arrays of a run's ``projection.npz``: ``train_xy``, ``train_y``, ``test_xy``, ``test_y``, ``classes``
    (``train``, ``test``: (features, labels) pairs)."""
    out: dict[str, np.ndarray] = {}
    for split, (features, labels) in (("train", train), ("test", test)):
        out[f"{split}_xy"], out[f"{split}_y"] = template_projection(features, labels, weight, classes)
    return out | {"classes": np.asarray(classes, dtype=np.int64)}


def beside_probes(compression: pd.DataFrame, probes: pd.DataFrame) -> pd.DataFrame:
    """E3's compression rows with each run's nuisance probes as columns beside them.

    ``compression``: one row per run (dataset, model, objective, coef, seed, measures);
    ``probes``: E3's probes.csv rows (eps, seed, probe, probe_acc and the columns shared by a
    run's probes, e.g. chance, base_test_acc). Each probe's accuracy becomes ``nuisance_<probe>_acc``.
    """
    shared = [c for c in probes.columns if c not in ("eps", "seed", "probe", "probe_acc")]
    wide = probes.pivot(index=["eps", "seed"], columns="probe", values="probe_acc")
    wide.columns = [f"nuisance_{name}_acc" for name in wide.columns]
    per_run = probes.groupby(["eps", "seed"])[shared].first()
    beside = wide.join(per_run).reset_index().rename(columns={"eps": "coef"})
    return compression.merge(beside, on=["coef", "seed"], how="left", validate="one_to_one")
