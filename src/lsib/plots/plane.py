"""Information planes: the theory schematic (Fig. 1) and trained runs on it (Fig. 3), and the
axes, IB curve, labelled paths and panel framing the other plane figures share (SPEC §4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from lsib.info.theory import ib_curve
from lsib.plots.style import (
    CE_COLOUR,
    COEF_CMAP,
    COEF_LABEL,
    COLUMN_WIDTH,
    IB_COLOUR,
    INFEASIBLE_COLOUR,
    LS_COLOUR,
    OBJECTIVE_STYLES,
    OPTIMUM_PATHS,
    REF_COLOUR,
    RUN_POINT,
    X_LABEL,
    Y_LABEL,
    styled,
)


def _plane_axes(ax: Axes, x_max: float, y_max: float) -> None:
    """Label an information plane in nats and fix its limits; equal scales keep the diagonal at 45°."""
    ax.set_xlim(0, x_max)
    ax.set_ylim(0, y_max)
    ax.set_xlabel(X_LABEL)
    ax.set_ylabel(Y_LABEL)
    ax.set_aspect("equal", adjustable="box")


def _draw_ib_curve(ax: Axes, h_y: float, x_max: float, y_max: float) -> Line2D:
    """Prop. 4.2's curve ``min(x, Ĥ(Y))`` on ``[0, x_max]`` with the infeasible region above it shaded."""
    x = np.array([0.0, h_y, x_max]) if x_max > h_y else np.array([0.0, x_max])
    y = ib_curve(x, h_y)
    ax.fill_between(x, y, y_max, color=INFEASIBLE_COLOUR, linewidth=0, zorder=0)
    (line,) = ax.plot(x, y, color=IB_COLOUR, linewidth=1.4, label="IB curve", zorder=2)
    return line


def _decimals(value: float) -> int:
    """Decimal places ``value`` needs (0.1 → 1, 0.075 → 3): fewer reads rounder."""
    return next((d for d in range(7) if abs(value * 10**d - round(value * 10**d)) < 1e-6), 7)


def _spaced(x: np.ndarray, y: np.ndarray, eps: np.ndarray, min_sep: float) -> list[int]:
    """Indices of path points to label, from the first, each at least ``min_sep`` from the last kept.

    Among the points between ``min_sep`` and ``1.6 min_sep`` from the last kept, the one with the
    roundest ε is taken (0.05 rather than 0.075 on a fine grid); the nearest if none is in range.
    """
    keep = [0]
    while True:
        rest = np.arange(keep[-1] + 1, len(x))
        dist = np.hypot(x[rest] - x[keep[-1]], y[rest] - y[keep[-1]])
        far = rest[dist >= min_sep]
        if far.size == 0:
            return keep
        window = rest[(dist >= min_sep) & (dist <= 1.6 * min_sep)]
        keep.append(int(min(window if window.size else far[:1], key=lambda j: _decimals(eps[j]))))


def _eps_text(eps: float) -> str:
    """``ε=0.1`` in math text."""
    return rf"$\varepsilon={eps:g}$"


def label_path(
    ax: Axes,
    path: pd.DataFrame,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    min_sep: float,
) -> list[int]:
    """Write ε below right of path points inside the limits, no two closer than ``min_sep`` (:func:`_spaced`).

    Distances are in fractions of the axis ranges, so the spacing reads the same at any zoom.
    Below right is the feasible side of a rising path, away from the IB curve's flat top and
    the IB solutions above it; points within 6 % of the bottom stay unlabelled so no text runs
    into the tick labels. Returns the labelled rows' positions in ``path``.
    """
    x, y = path["i_xz"].to_numpy(), path["i_zy"].to_numpy()
    y_floor = ylim[0] + 0.06 * (ylim[1] - ylim[0])
    inside = np.flatnonzero((x >= xlim[0]) & (x <= xlim[1]) & (y >= y_floor) & (y <= ylim[1]))
    if inside.size == 0:
        return []
    fx = (x[inside] - xlim[0]) / (xlim[1] - xlim[0])
    fy = (y[inside] - ylim[0]) / (ylim[1] - ylim[0])
    picked = [int(inside[i]) for i in _spaced(fx, fy, path["eps"].to_numpy()[inside], min_sep)]
    for i in picked:
        ax.annotate(
            _eps_text(path["eps"].iloc[i]),
            (x[i], y[i]),
            xytext=(5, -3),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=6.5,
            color=LS_COLOUR,
        )
    return picked


def _draw_objective_optima(ax: Axes, optima: pd.DataFrame, norm: Normalize) -> list[Line2D]:
    """Fig. 3's exact CP/VIB optimum paths (thin lines) and each trained coefficient's optimum (hollow markers)."""
    handles = []
    for objective, (colour, style) in OPTIMUM_PATHS.items():
        sub = optima[optima["objective"] == objective].sort_values("coef")
        if sub.empty:
            continue
        (line,) = ax.plot(
            sub["i_xz"],
            sub["i_zy"],
            color=colour,
            linestyle=style,
            linewidth=0.9,
            label=f"{OBJECTIVE_STYLES[objective][0]} optimum",
            zorder=3,
        )
        handles.append(line)
    trained = optima[optima["trained"].astype(bool)]
    for objective, sub in trained.groupby("objective"):
        ax.scatter(
            sub["i_xz"],
            sub["i_zy"],
            marker=OBJECTIVE_STYLES[str(objective)][1],
            s=55,
            facecolors="none",
            edgecolors=COEF_CMAP(norm(sub["coef"].to_numpy())),
            linewidths=0.9,
            zorder=3.5,
        )
    if not trained.empty:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=6,
                markerfacecolor="none",
                markeredgecolor="0.3",
                label="optimum of a run's coef.",
            )
        )
    return handles


def upper_window(
    xs: np.ndarray,
    ys: np.ndarray,
    h_y: float,
    i_xy: float,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The zoom box of Fig. 4: every point with ``Î(Z;Y) ≥ 0.8 Î(X;Y)``, up to just above Ĥ(Y)."""
    y_lo = 0.8 * i_xy
    top = ys >= y_lo
    x_lo = float(xs[top].min()) if top.any() else y_lo
    x_hi = max(float(xs.max()), h_y)
    pad = 0.04 * (x_hi - x_lo) + 1e-3 * h_y
    y_hi = h_y + 0.08 * (h_y - y_lo) + 1e-3 * h_y
    return (x_lo - pad, x_hi + pad), (y_lo, y_hi)


def _reference_line(ax: Axes, y: float, text: str, linestyle: str | tuple) -> None:
    """Horizontal reference line at ``y`` labelled at the left edge (the plane's empty, infeasible side)."""
    ax.axhline(y, color=REF_COLOUR, linestyle=linestyle, linewidth=0.8, zorder=1)
    ax.text(
        0.02,
        y,
        text,
        transform=blended_transform_factory(ax.transAxes, ax.transData),
        ha="left",
        va="bottom",
        fontsize=7,
        color=REF_COLOUR,
    )


def frame_panel(ax: Axes, h_y: float, i_xy: float, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """One panel of a two-panel plane (Figs. 4, E5): Ĥ(Y) and Î(X;Y) reference lines, limits, axis labels."""
    _reference_line(ax, h_y, r"$\hat H(Y)$", (0, (5, 2)))
    _reference_line(ax, i_xy, r"$\hat I(X;Y)$", ":")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel(X_LABEL)
    ax.set_ylabel(Y_LABEL)


@styled
def plot_theory_schematic(h_y: float, num_classes: int, ls_path: pd.DataFrame) -> Figure:
    """Paper Fig. 1 (SPEC §5 F1): the information plane as the theory of SPEC §4 predicts it.

    Draws the empirical IB curve ``Î(Z;Y) = min(Î(X;Z), Ĥ(Y))`` (Prop. 4.2) for
    ``Î(X;Z) ∈ [0, 1.15 Ĥ(Y)]`` with the infeasible region above it shaded, the LS-optimum path
    (Prop. 4.5; ``ls_path`` columns ``eps``, ``i_xz``, ``i_zy``) with a few ε labelled, and the CE
    optimum ``(Ĥ(Y), Ĥ(Y))`` (Prop. 4.4). ``num_classes`` (K) is named in the legend title.
    """
    path = ls_path.sort_values("eps", ignore_index=True)
    x_max, y_max = 1.15 * h_y, 1.12 * h_y
    fig = Figure(figsize=(COLUMN_WIDTH, 3.0), layout="constrained")
    ax = fig.add_subplot()
    _draw_ib_curve(ax, h_y, x_max, y_max)
    ax.plot(
        path["i_xz"], path["i_zy"], linestyle=(0, (4, 2)), color=LS_COLOUR, linewidth=1.2, label="LS optimum", zorder=3
    )
    picked = label_path(ax, path, (0.0, x_max), (0.0, y_max), min_sep=0.18)
    ax.plot(path["i_xz"].iloc[picked], path["i_zy"].iloc[picked], "o", color=LS_COLOUR, markersize=3.5, zorder=4)
    ax.plot(
        [h_y],
        [h_y],
        linestyle="none",
        marker="*",
        markersize=11,
        color=CE_COLOUR,
        markeredgecolor="white",
        markeredgewidth=0.5,
        label="CE optimum",
        zorder=5,
    )
    text = {"ha": "center", "va": "center", "color": REF_COLOUR, "style": "italic"}
    ax.text(0.3 * h_y, 0.6 * h_y, "infeasible", **text)
    ax.text(0.8 * h_y, 0.3 * h_y, "feasible", **text)
    _plane_axes(ax, x_max, y_max)
    # data never enter the infeasible upper left (Î(Z;Y) ≤ Î(X;Z)): the legend's place
    ax.legend(loc="upper left", title=rf"$K={num_classes}$, $\hat H(Y)={h_y:.3g}$ nats")
    return fig


@styled
def plot_information_plane(
    runs: pd.DataFrame, ls_path: pd.DataFrame, h_y: float, title: str, optima: pd.DataFrame | None = None
) -> Figure:
    """Paper Fig. 3 (SPEC §5 E1): trained models' exact train-set information against the theory.

    ``runs`` (one data set and model; columns dataset, model, objective ∈ {ce, ls, cp, vib}, coef,
    seed, i_xz, i_zy, h_y, train_acc, test_acc) are drawn one point per run, all seeds: colour =
    ``coef`` (ε for LS, β for CP/VIB, 0 for CE) on one sequential scale with a colourbar, marker =
    objective. Behind them: the IB curve ``min(x, Ĥ(Y))`` with the infeasible region shaded and
    the LS-optimum path (dashed; ``ls_path`` columns eps, i_xz, i_zy) of SPEC §4. ``optima``
    (optional; columns objective, coef, i_xz, i_zy, trained, from
    :func:`lsib.info.frontier.training_objective_paths`) adds the exact CP and VIB optimum paths as thin
    lines and, for every trained coefficient, its objective's optimum as a hollow marker of that
    objective, so each run can be read against the point theory puts it at.
    """
    unknown = set(runs["objective"]) - set(OBJECTIVE_STYLES)
    if unknown:
        raise ValueError(f"unknown objectives {sorted(unknown)}; expected a subset of {sorted(OBJECTIVE_STYLES)}")
    path = ls_path.sort_values("eps", ignore_index=True)
    x_max = max(1.15 * h_y, 1.03 * float(runs["i_xz"].max()), 1.03 * float(path["i_xz"].max()))
    y_max = max(1.1 * h_y, 1.05 * float(runs["i_zy"].max()))
    fig = Figure(figsize=(COLUMN_WIDTH, 2.9), layout="constrained")
    ax = fig.add_subplot()
    curve = _draw_ib_curve(ax, h_y, x_max, y_max)
    (ls_line,) = ax.plot(
        path["i_xz"], path["i_zy"], linestyle=(0, (4, 2)), color=LS_COLOUR, linewidth=1.1, label="LS optimum", zorder=3
    )
    top = float(runs["coef"].max())
    norm = Normalize(0.0, top if top > 0 else 1.0)
    handles: list[Line2D] = [curve, ls_line]
    if optima is not None:
        handles += _draw_objective_optima(ax, optima, norm)
    for objective, (name, marker) in OBJECTIVE_STYLES.items():
        sub = runs[runs["objective"] == objective]
        if sub.empty:
            continue
        ax.scatter(
            sub["i_xz"],
            sub["i_zy"],
            c=sub["coef"],
            norm=norm,
            marker=marker,
            label=name,
            **RUN_POINT,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=marker,
                markersize=4.5,
                color="0.55",
                markeredgecolor="0.1",
                markeredgewidth=0.4,
                label=name,
            )
        )
    fig.colorbar(ScalarMappable(norm=norm, cmap=COEF_CMAP), ax=ax, label=COEF_LABEL, shrink=0.85, pad=0.02)
    _plane_axes(ax, x_max, y_max)
    ax.set_title(title)
    ax.legend(handles=handles, loc="upper left")  # the infeasible region: never covers a run
    return fig
