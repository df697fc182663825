"""E6 (beyond the paper): what compression buys, per trained run, against its train Î(X;Z); and
Müller et al.'s (2019, Fig. 1) picture of the penultimate layer, CE beside LS."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lsib.plots.style import (
    BENEFIT_COLUMNS,
    BENEFIT_PANEL_HEIGHT,
    BENEFIT_PANELS,
    CLASS_COLOURS,
    COEF_CMAP,
    COEF_LABEL,
    OBJECTIVE_STYLES,
    PAGE_WIDTH,
    PROJECTION_PANEL,
    PROJECTION_POINT,
    RUN_POINT,
    X_LABEL,
    styled,
)
from lsib.stats import MATCH_ON, ci95

SPLITS = ("train", "test")


def _seed_stats(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per (objective, coef): ``n`` seeds and :func:`ci95`'s mean, low, high of each column.

    Columns of the result: objective, coef, n and ``(column, "mean" | "low" | "high")`` tuples.
    """
    rows = []
    for (objective, coef), runs in table.groupby(["objective", "coef"], sort=True):
        row: dict[object, object] = {"objective": objective, "coef": float(coef), "n": len(runs)}
        for column in columns:
            row.update(zip([(column, s) for s in ("mean", "low", "high")], ci95(runs[column])))
        rows.append(row)
    return pd.DataFrame(rows)


def _draw_panel(ax: Axes, stats: pd.DataFrame, column: str, norm: Normalize) -> None:
    """One measure's seed means against train Î(X;Z): Fig. 3's markers and colours, 95 % bars where n ≥ 2."""
    for objective, (name, marker) in OBJECTIVE_STYLES.items():
        sub = stats[stats["objective"] == objective]
        if sub.empty:
            continue
        x, y = sub[(MATCH_ON, "mean")].to_numpy(), sub[(column, "mean")].to_numpy()
        for i in np.flatnonzero(sub["n"].to_numpy() >= 2):
            row = sub.iloc[i]
            ax.errorbar(
                x[i],
                y[i],
                xerr=[[x[i] - row[(MATCH_ON, "low")]], [row[(MATCH_ON, "high")] - x[i]]],
                yerr=[[y[i] - row[(column, "low")]], [row[(column, "high")] - y[i]]],
                fmt="none",
                ecolor=COEF_CMAP(norm(row["coef"])),
                elinewidth=0.7,
                capsize=1.5,
                capthick=0.7,
                label=f"{name} {row['coef']:g}",
                zorder=3,
            )
        ax.scatter(
            x,
            y,
            c=sub["coef"],
            norm=norm,
            marker=marker,
            gid=objective,
            **RUN_POINT,
        )


@styled
def plot_benefits(table: pd.DataFrame, title: str) -> Figure:
    """E6: one panel per measure of :data:`BENEFIT_PANELS` against train Î(X;Z), every objective.

    ``table``: the benefits table of one data set and model, one row per run (columns objective,
    coef, seed, train_i_xz and the panels' columns; see :mod:`lsib.measure.matched`). Each
    (objective, coef) is one point at its seed means of train Î(X;Z) and the measure; where it
    has two or more seeds, bars in both directions give the 95 % Student-t interval over seeds
    (:func:`lsib.stats.ci95`: ``x̄ ± t_{0.975,n−1} s/√n``); one seed gives a plain
    point. Drawn as Fig. 3 draws runs (:func:`lsib.plots.plane.plot_information_plane`), so the
    two read together: marker = objective (:data:`OBJECTIVE_STYLES`), colour = coefficient (ε for
    LS, β for CP and VIB, 0 for CE) on one scale (:data:`COEF_CMAP`, colourbar), bars in the
    point's colour. Raises ValueError on missing columns, unknown objectives or a table of more
    than one data set and model.
    """
    columns = [column for column, _ in BENEFIT_PANELS]
    missing = sorted({"dataset", "model", "objective", "coef", "seed", MATCH_ON, *columns} - set(table.columns))
    if missing:
        raise ValueError(f"benefits table: missing columns {missing}")
    unknown = sorted(set(table["objective"]) - set(OBJECTIVE_STYLES))
    if unknown:
        raise ValueError(f"unknown objectives {unknown}; expected a subset of {sorted(OBJECTIVE_STYLES)}")
    if len(table[["dataset", "model"]].drop_duplicates()) > 1:
        raise ValueError("plot_benefits draws one data set and model; got several")
    stats = _seed_stats(table, [MATCH_ON, *columns])
    top = float(stats["coef"].max())
    norm = Normalize(0.0, top if top > 0 else 1.0)
    n_rows = math.ceil(len(columns) / BENEFIT_COLUMNS)
    fig = Figure(figsize=(PAGE_WIDTH, BENEFIT_PANEL_HEIGHT * n_rows + 0.6), layout="constrained")
    grid = fig.subplots(n_rows, BENEFIT_COLUMNS, squeeze=False).ravel()
    for extra in grid[len(columns) :]:
        extra.remove()
    axes = list(grid[: len(columns)])
    for i, (ax, (column, label)) in enumerate(zip(axes, BENEFIT_PANELS)):
        _draw_panel(ax, stats, column, norm)
        ax.set_ylabel(label)
        if i:
            ax.sharex(axes[0])
        if i + BENEFIT_COLUMNS < len(columns):
            ax.tick_params(labelbottom=False)  # a panel below carries the shared x axis
        else:
            ax.set_xlabel(X_LABEL)
    handles = [
        Line2D([], [], linestyle="none", marker=marker, color="0.55", markeredgecolor="0.1", label=name)
        for objective, (name, marker) in OBJECTIVE_STYLES.items()
        if objective in set(stats["objective"])
    ]
    several = bool((stats["n"] >= 2).any())
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        title="seed means ± 95 % t interval" if several else None,
    )
    fig.colorbar(ScalarMappable(norm=norm, cmap=COEF_CMAP), ax=axes, label=COEF_LABEL, shrink=0.6, pad=0.04)
    fig.suptitle(title)
    return fig


def _split(run: str, data: Mapping[str, np.ndarray], split: str, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One split's ``(N, 2)`` points and ``(N,)`` labels, checked: shapes agree, labels among ``classes``."""
    xy, y = np.asarray(data[f"{split}_xy"], dtype=float), np.asarray(data[f"{split}_y"])
    if xy.ndim != 2 or xy.shape[1] != 2 or y.shape != (len(xy),):
        raise ValueError(f"{run}: {split}_xy must be (N, 2) and {split}_y (N,); got {xy.shape} and {y.shape}")
    stray = sorted(set(y.tolist()) - set(classes.tolist()))
    if stray:
        raise ValueError(f"{run}: {split}_y has labels {stray} not in classes {classes.tolist()}")
    return xy, y


def _class_name(c: object) -> str:
    return c if isinstance(c, str) else f"class {c}"


@styled
def plot_penultimate_projection(projections: Mapping[str, Mapping[str, np.ndarray]], title: str) -> Figure:
    """Müller et al. (2019, Fig. 1): penultimate activations of three classes on their templates' plane.

    ``projections``: run label (e.g. "CE", "LS ε=0.4") → arrays ``train_xy`` (N₁, 2), ``train_y``
    (N₁,), ``test_xy`` (N₂, 2), ``test_y`` (N₂,) and ``classes`` (at most
    ``len(CLASS_COLOURS)``, three in the paper): each activation projected on the plane through
    the three classes' templates (the rows of the last layer). One column per run in the mapping's
    order, train points in the top row and test points below, both small and translucent
    (:data:`PROJECTION_POINT`), coloured by class (:data:`CLASS_COLOURS`, in ``classes`` order);
    equal aspect, and both rows of a column on the same axes so train and test compare. Every run
    must have the same ``classes``. Raises ValueError on arrays of the wrong shape, labels outside
    ``classes``, too many classes or runs of different classes.
    """
    if not projections:
        raise ValueError("plot_penultimate_projection: no runs")
    classes = np.asarray(next(iter(projections.values()))["classes"])
    if classes.ndim != 1 or len(classes) > len(CLASS_COLOURS):
        raise ValueError(f"classes must be at most {len(CLASS_COLOURS)} labels; got {classes.tolist()}")
    n = len(projections)
    fig = Figure(
        figsize=(min(PAGE_WIDTH, PROJECTION_PANEL * n + 0.3), 2 * PROJECTION_PANEL + 0.7), layout="constrained"
    )
    axes = fig.subplots(2, n, squeeze=False)
    for j, (run, data) in enumerate(projections.items()):
        if not np.array_equal(np.asarray(data["classes"]), classes):
            raise ValueError(
                f"{run}: classes {np.asarray(data['classes']).tolist()}, not {classes.tolist()} as the first run"
            )
        for i, split in enumerate(SPLITS):
            xy, y = _split(run, data, split, classes)
            ax = axes[i, j]
            for c, colour in zip(classes, CLASS_COLOURS):
                points = xy[y == c]
                ax.scatter(points[:, 0], points[:, 1], color=colour, rasterized=True, **PROJECTION_POINT)
            ax.set_aspect("equal", adjustable="box")
        axes[1, j].sharex(axes[0, j])
        axes[1, j].sharey(axes[0, j])
        axes[0, j].set_title(run)
    for i, split in enumerate(SPLITS):
        axes[i, 0].set_ylabel(split)
    handles = [
        Line2D([], [], linestyle="none", marker="o", markersize=4, color=colour, label=name)
        for name, colour in zip(map(_class_name, classes.tolist()), CLASS_COLOURS)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    fig.suptitle(title)
    return fig
