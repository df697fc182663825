"""Information-plane paths of every objective's exact optimum, and their gaps to the IB frontier (E5).

A path is a tidy table (columns ``family``, ``coef``, ``i_xz``, ``i_zy``): the exact §2 point of
one family's optimum encoder (:mod:`lsib.info.optima`) for each value of its coefficient. The IB
frontier is the upper envelope of IB-Lagrangian solutions (any solver). Comparisons are at equal
Î(X;Z): :func:`upper_envelope_at` gives the most Î(Z;Y) a set of points reaches at a given
Î(X;Z), interpolating linearly between its Pareto points (each carrying more about Y than every
point of smaller Î(X;Z)).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from lsib.info import optima, vib
from lsib.info.information import EmpiricalData, information_plane
from lsib.info.theory import uniform

#: Families in the order tables and figures list them, with their coefficient's name.
FAMILIES = {
    "ls_uniform": "ε",
    "ls_marginal": "ε",
    "ls_confusion": "ε",
    "best_smoothing": "β",
    "sharpening": "T",
    "cp": "β",
    "vib": "β",
}


@dataclass(frozen=True)
class PathGrids:
    """Coefficient grids of every family (E5's ``e5:`` config section).

    Attributes:
        ls_eps: ε of the three LS families (uniform r, marginal r = p̂(y), confusion R).
        temperatures: T of the sharpened targets.
        cp_betas: β of the confidence penalty.
        vib_betas: β of VIB on the output.
        best_smoothing_betas: β of the smoothing-channel Lagrangian (:func:`lsib.info.vib.best_smoothing`).
    """

    ls_eps: Sequence[float]
    temperatures: Sequence[float]
    cp_betas: Sequence[float]
    vib_betas: Sequence[float]
    best_smoothing_betas: Sequence[float] = field(default_factory=list)


def _points(family: str, coefs: Sequence[float], encoders: torch.Tensor, data: EmpiricalData) -> pd.DataFrame:
    """One family's rows: the exact §2 point of each encoder in the batch ``(E, M, K)``."""
    plane = information_plane(encoders, data)
    return pd.DataFrame(
        {
            "family": family,
            "coef": np.asarray(coefs, dtype=np.float64),
            "i_xz": plane["i_xz"].numpy(),
            "i_zy": plane["i_zy"].numpy(),
        }
    )


def objective_paths(
    data: EmpiricalData,
    grids: PathGrids,
    confusion: torch.Tensor | None = None,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The path of every family of :data:`FAMILIES` on ``data``.

    ``confusion`` is the R of confusion LS (default: :func:`lsib.info.optima.confusion_smoothing` of
    ``data``); the best smoothing starts from the uniform and confusion families. Inputs with
    identical label rows are merged first (:func:`lsib.info.optima.merge_identical_rows`), which leaves
    every value unchanged. A family with an empty grid is left out. ``log`` (optional) receives a
    line per family.
    """
    data = optima.merge_identical_rows(data)
    k = data.num_classes
    confusion = optima.confusion_smoothing(data.pyx) if confusion is None else confusion
    eps = torch.as_tensor(np.asarray(grids.ls_eps, dtype=np.float64))
    smoothing = {
        "ls_uniform": optima.smoothing_matrix(uniform(k)),
        "ls_marginal": optima.smoothing_matrix(data.py),
        "ls_confusion": confusion,
    }
    tables = []
    if len(eps):
        tables += [
            _points(name, eps, optima.class_conditional_encoder(data.pyx, eps, r), data)
            for name, r in smoothing.items()
        ]
    if len(grids.best_smoothing_betas):
        best = vib.best_smoothing(
            data, grids.best_smoothing_betas, [smoothing["ls_uniform"], smoothing["ls_confusion"]]
        )
        tables.append(
            pd.DataFrame({"family": "best_smoothing", "coef": best.beta, "i_xz": best.i_xz, "i_zy": best.i_zy})
        )
    if len(grids.temperatures):
        tables.append(
            _points(
                "sharpening",
                grids.temperatures,
                optima.sharpened_encoder(data.pyx, np.asarray(grids.temperatures, dtype=np.float64)),
                data,
            )
        )
    if len(grids.cp_betas):
        tables.append(
            _points("cp", grids.cp_betas, torch.stack([optima.cp_encoder(data.pyx, b) for b in grids.cp_betas]), data)
        )
    if len(grids.vib_betas):
        tables.append(
            _points(
                "vib", grids.vib_betas, torch.stack([vib.vib_optimum(data, b).encoder for b in grids.vib_betas]), data
            )
        )
    table = pd.concat(tables, ignore_index=True)
    if log is not None:
        for name, sub in table.groupby("family", sort=False):
            log(f"{name}: {len(sub)} points, Î(X;Z) from {sub['i_xz'].min():.4f} to {sub['i_xz'].max():.4f}")
    return table


def pareto_points(i_xz: np.ndarray, i_zy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points (sorted by Î(X;Z)) whose Î(Z;Y) exceeds that of every point of smaller Î(X;Z)."""
    order = np.lexsort((-np.asarray(i_zy), np.asarray(i_xz)))
    xs, ys = np.asarray(i_xz, dtype=np.float64)[order], np.asarray(i_zy, dtype=np.float64)[order]
    keep = ys > np.concatenate([[-np.inf], np.maximum.accumulate(ys)[:-1]])
    return xs[keep], ys[keep]


def upper_envelope_at(x: np.ndarray | float, i_xz: np.ndarray, i_zy: np.ndarray, hold: bool = False) -> np.ndarray:
    """Most Î(Z;Y) the points reach at Î(X;Z) = ``x``, linear between Pareto points (:func:`pareto_points`).

    NaN outside the points' range of Î(X;Z), since a path says nothing where it does not go;
    with ``hold`` the value beyond the largest Î(X;Z) is the largest Î(Z;Y) instead (a frontier
    never falls as Î(X;Z) grows).
    """
    xs, ys = pareto_points(i_xz, i_zy)
    x = np.asarray(x, dtype=np.float64)
    lo, hi = float(np.min(i_xz)), float(np.max(i_xz))
    inside = (x >= lo - 1e-12) & ((x <= hi + 1e-12) | hold)
    values = np.interp(x, xs, ys, left=ys[0], right=ys[-1])
    return np.where(inside, values, np.nan)


def gap_table(paths: pd.DataFrame, frontier: pd.DataFrame, compressions: Sequence[float]) -> pd.DataFrame:
    """Each family's Î(Z;Y) and gap to the IB frontier at equal Î(X;Z), and where each path ends.

    Rows ``point = "at"``: for each Î(X;Z) of ``compressions``, the family's Î(Z;Y) there
    (:func:`upper_envelope_at` of its path; NaN where the path does not reach), the frontier's
    (``frontier`` columns i_xz, i_zy: every IB solution), ``gap = frontier − family`` and
    ``gap_closed``, the share of uniform LS's gap the family closes: ``1 − gap / gap(ls_uniform)``.
    Rows ``point = "end"``: the path's point of largest Î(X;Z) and the gap there (the frontier
    held at its top beyond its last solution).
    """
    fx, fy = frontier["i_xz"].to_numpy(), frontier["i_zy"].to_numpy()
    x = np.asarray(compressions, dtype=np.float64)
    front = upper_envelope_at(x, fx, fy, hold=True)
    uniform_gap = front - _family_at(paths, "ls_uniform", x)
    rows = []
    for family in [f for f in FAMILIES if f in set(paths["family"])]:
        sub = paths[paths["family"] == family]
        at = _family_at(paths, family, x)
        for xi, yi, fi, ui in zip(x, at, front, uniform_gap):
            rows.append(
                {
                    "family": family,
                    "point": "at",
                    "i_xz": xi,
                    "i_zy": yi,
                    "frontier_i_zy": fi,
                    "gap": fi - yi,
                    "gap_closed": 1 - (fi - yi) / ui if ui > 0 else np.nan,
                }
            )
        end = sub.loc[sub["i_xz"].idxmax()]
        front_end = float(upper_envelope_at(end["i_xz"], fx, fy, hold=True))
        rows.append(
            {
                "family": family,
                "point": "end",
                "i_xz": end["i_xz"],
                "i_zy": end["i_zy"],
                "frontier_i_zy": front_end,
                "gap": front_end - end["i_zy"],
                "gap_closed": np.nan,
            }
        )
    return pd.DataFrame(rows)


def _family_at(paths: pd.DataFrame, family: str, x: np.ndarray) -> np.ndarray:
    """Î(Z;Y) of one family's path at each Î(X;Z) of ``x`` (NaN where it does not reach)."""
    sub = paths[paths["family"] == family]
    return upper_envelope_at(x, sub["i_xz"].to_numpy(), sub["i_zy"].to_numpy())


def supporting_line_violation(paths: pd.DataFrame, solutions: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per path point, ``max_β [Î(Z;Y) − β·Î(X;Z) + L*_β]`` over plain-Lagrangian solutions.

    ``L*_β = min −Î(Z;Y) + β·Î(X;Z)`` bounds every encoder: ``Î(Z;Y) ≤ β·Î(X;Z) − L*_β``. With the
    solutions' ``beta`` and ``loss`` (arrays) a positive value says the point lies above the
    frontier by that much — by at most the solver's tolerance if the solutions are optimal.
    """
    beta, loss = np.asarray(solutions["beta"]), np.asarray(solutions["loss"])
    x, y = paths["i_xz"].to_numpy()[:, None], paths["i_zy"].to_numpy()[:, None]
    return (y - beta[None] * x + loss[None]).max(axis=1)


def ls_gaps_at_equal_compression(ib: pd.DataFrame, ls_path: pd.DataFrame) -> pd.DataFrame:
    """E2's IB solutions against the LS curve at the same Î(X;Z), and where the LS curve ends.

    ``ib`` columns variant, beta, i_xz, i_zy; ``ls_path`` columns eps, i_xz, i_zy. Adds ``ls_i_zy``,
    the LS curve's Î(Z;Y) at the solution's Î(X;Z) (NaN beyond the curve's end at ε = 0, where
    Î(X;Z) = Î(X;Y): LS has no point there), ``gap = i_zy − ls_i_zy``, and the curve's end point
    ``ls_end_i_xz``, ``ls_end_i_zy`` on every row.
    """
    x, y = ls_path["i_xz"].to_numpy(), ls_path["i_zy"].to_numpy()
    end = int(np.argmax(x))
    table = ib[["variant", "beta", "i_xz", "i_zy"]].copy()
    table["ls_i_zy"] = upper_envelope_at(table["i_xz"].to_numpy(), x, y)
    table["gap"] = table["i_zy"] - table["ls_i_zy"]
    table["ls_end_i_xz"], table["ls_end_i_zy"] = x[end], y[end]
    return table


def training_objective_paths(
    data: EmpiricalData, ls_eps: Sequence[float], betas: Sequence[float], trained: Mapping[str, Sequence[float]]
) -> pd.DataFrame:
    """Exact optimum path of every training objective (SPEC §3) on one training set (E1, Fig. 3).

    Columns ``objective`` (ce, ls, cp, vib), ``coef`` (ε or β), ``i_xz``, ``i_zy`` and ``trained``
    (the coefficient is one a run was trained with, from ``trained``: objective → coefficients).
    LS over ``ls_eps`` (Prop. 4.5), CP (:func:`lsib.info.optima.cp_encoder`) and VIB
    (:func:`lsib.info.vib.vib_optimum`) over ``betas``, each grid joined with its trained
    coefficients; CE is its one point, LS at ε = 0 (Prop. 4.4).
    """
    data = optima.merge_identical_rows(data)
    grids = {
        "ce": [0.0],
        "ls": sorted(set(map(float, ls_eps)) | set(map(float, trained.get("ls", [])))),
        "cp": sorted(set(map(float, betas)) | set(map(float, trained.get("cp", [])))),
        "vib": sorted(set(map(float, betas)) | set(map(float, trained.get("vib", [])))),
    }
    encode = {
        "ce": lambda c: data.pyx,
        "ls": lambda c: optima.class_conditional_encoder(
            data.pyx, c, optima.smoothing_matrix(uniform(data.num_classes))
        ),
        "cp": lambda c: optima.cp_encoder(data.pyx, c),
        "vib": lambda c: vib.vib_optimum(data, c).encoder,
    }
    tables = []
    for objective, coefs in grids.items():
        table = _points(objective, coefs, torch.stack([encode[objective](c) for c in coefs]), data)
        table["trained"] = np.isin(table["coef"], np.asarray(trained.get(objective, []), dtype=np.float64))
        tables.append(table.rename(columns={"family": "objective"}))
    return pd.concat(tables, ignore_index=True)
