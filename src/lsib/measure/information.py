"""Exact information-plane coordinates of trained runs (SPEC §2, §4; experiment E1).

A run's training-set dump holds ``p(z|x_i)`` for every training example i. The training
sample's inputs are grouped by content (byte-identical images are the same x, SPEC §1), so
the §2 sums run over the M unique inputs with p̂(x) and p̂(y|x) from the labels.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from lsib.checks import require_distributions
from lsib.info.information import EmpiricalData, from_pairs, information_plane
from lsib.info.optima import ls_optimum_path


def content_ids(images: torch.Tensor) -> torch.Tensor:
    """Integer id of each image ``(N, …)``: equal ids iff the images are byte-identical."""
    flat = np.ascontiguousarray(images.reshape(len(images), -1).numpy())
    rows = flat.view(np.dtype((np.void, flat.shape[1] * flat.itemsize))).ravel()
    _, inverse = np.unique(rows, return_inverse=True)
    return torch.from_numpy(inverse.astype(np.int64).ravel())


def empirical_data(images: torch.Tensor, labels: torch.Tensor, num_classes: int) -> tuple[EmpiricalData, torch.Tensor]:
    """``p̂(x), p̂(y|x)`` of a training sample, and the index of each unique input's first example.

    The second value selects, for each of the M rows of the :class:`EmpiricalData`, one
    training example showing that input (a deterministic encoder gives all of them the same
    ``p(z|x)``).
    """
    ids = content_ids(images)
    data, unique = from_pairs(ids, labels, num_classes)
    first = torch.full((len(unique),), len(ids), dtype=torch.int64)
    first.scatter_reduce_(0, ids, torch.arange(len(ids)), reduce="amin")
    return data, first


def split_information(
    proba: torch.Tensor, images: torch.Tensor, labels: torch.Tensor, num_classes: int
) -> dict[str, float]:
    """Î(X;Z), Î(Z;Y) of a run's outputs on one split, with p̂(x), p̂(y|x) over that split (SPEC §2).

    The same exact sums as the training-set point (:func:`empirical_data`,
    :func:`lsib.info.information.information_plane`), the split's images grouped by content:
    on the test set, ``Î(X;Z) = Σ_x p̂_test(x) KL(p(·|x) ‖ p_test(·))`` with
    ``p_test(z) = Σ_x p̂_test(x) p(z|x)``, and Î(Z;Y) from ``p_test(z, y) = Σ_x p̂_test(x) p(z|x) p̂_test(y|x)``.
    ``proba``: ``(N, K)`` float64 ``p(z|x_i)`` per example of the split.

    Raises:
        lsib.checks.InputError: a row of ``proba`` is not a distribution.
    """
    require_distributions(proba, "proba")
    data, first = empirical_data(images, labels, num_classes)
    plane = information_plane(proba[first], data)
    return {"i_xz": float(plane["i_xz"]), "i_zy": float(plane["i_zy"])}


def run_information(
    train_proba: torch.Tensor, data: EmpiricalData, first: torch.Tensor, objective: str, coef: float
) -> dict[str, float]:
    """Î(X;Z), Î(Z;Y), Ĥ(Y), Î(X;Y) of a run and its distance to the LS optimum of its ε.

    ``train_proba``: ``(N, K)`` float64 ``p(z|x_i)`` per training example. The LS-optimum
    point (SPEC §4, Prop. 4.5) is taken at ε = ``coef`` for ``ls`` and ε = 0 for ``ce``
    (CE is LS at ε = 0); ``cp`` and ``vib`` have no ε, so their distance is NaN.
    ``ls_distance`` is the Euclidean distance in the plane, in nats.

    Raises:
        lsib.checks.InputError: a row of ``train_proba`` is not a distribution (NaN/inf from
            a diverged run, negative, or not summing to 1).
    """
    require_distributions(train_proba, "train_proba")
    plane = information_plane(train_proba[first], data)
    row = {key: float(plane[key]) for key in ("i_xz", "i_zy", "h_y", "i_xy", "h_z")}
    eps = {"ce": 0.0, "ls": coef}.get(objective)
    if eps is None:
        row.update(ls_i_xz=math.nan, ls_i_zy=math.nan, ls_distance=math.nan)
        return row
    optimum = ls_optimum_path(data, np.array([eps]))
    row["ls_i_xz"], row["ls_i_zy"] = float(optimum["i_xz"][0]), float(optimum["i_zy"][0])
    row["ls_distance"] = math.hypot(row["i_xz"] - row["ls_i_xz"], row["i_zy"] - row["ls_i_zy"])
    return row
