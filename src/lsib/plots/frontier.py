"""IB-Lagrangian solutions against label transformations: Fig. 4 (IB vs LS on CIFAR-10H) and E5
(every objective's exact optimum path beside the IB frontier).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lsib.info.frontier import pareto_points
from lsib.plots.plane import frame_panel, label_path, upper_window
from lsib.plots.style import (
    FRONTIER_MARKERS,
    IB_COLOUR,
    IB_VARIANTS,
    LS_COLOUR,
    PAGE_WIDTH,
    PATH_STYLES,
    styled,
)


@styled
def plot_ib_vs_ls(ls_path: pd.DataFrame, ib: pd.DataFrame, h_y: float, i_xy: float) -> Figure:
    """Paper Fig. 4 (SPEC §5 E2): tabular IB-Lagrangian solutions against the exact LS optimum.

    Two panels, the whole plane and a zoom on its upper region (every point with
    ``Î(Z;Y) ≥ 0.8 Î(X;Y)``, where the argmax encoder and the small-β solutions sit). The LS
    curve (Prop. 4.5 on CIFAR-10H counts; ``ls_path`` columns eps, i_xz, i_zy) is a line with its
    points labelled by ε (a subset spaced for legibility, separately per panel); the IB solutions
    (``ib`` columns beta, variant ∈ {plain, squared}, i_xz, i_zy, loss, grad_norm, iterations,
    converged, seconds; SPEC §3) are markers per variant, hollow where the solver did not
    converge. Horizontal lines mark Ĥ(Y) and Î(X;Y).
    """
    path = ls_path.sort_values("eps", ignore_index=True)
    xs = np.concatenate([path["i_xz"].to_numpy(), ib["i_xz"].to_numpy()])
    ys = np.concatenate([path["i_zy"].to_numpy(), ib["i_zy"].to_numpy()])
    full = ((0.0, 1.04 * max(float(xs.max()), h_y)), (0.0, 1.1 * h_y))
    zoom = upper_window(xs, ys, h_y, i_xy)
    fig = Figure(figsize=(PAGE_WIDTH, 3.2), layout="constrained")
    ax_full, ax_zoom = fig.subplots(1, 2)
    handles: list[Artist] = []
    for ax, (xlim, ylim), min_sep in ((ax_full, full, 0.09), (ax_zoom, zoom, 0.07)):
        (ls_line,) = ax.plot(
            path["i_xz"],
            path["i_zy"],
            color=LS_COLOUR,
            linewidth=1.2,
            marker="o",
            markersize=2.5,
            label="LS optimum, uniform $r$ (Prop. 4.5)",
            zorder=3,
        )
        label_path(ax, path, xlim, ylim, min_sep)
        for variant, sub in ib.groupby("variant", sort=False):
            name, marker, colour = IB_VARIANTS[str(variant)]
            faces = [colour if ok else "none" for ok in sub["converged"].astype(bool)]
            ax.scatter(
                sub["i_xz"],
                sub["i_zy"],
                marker=marker,
                s=22,
                facecolors=faces,
                edgecolors=colour,
                linewidths=0.8,
                label=name,
                zorder=4,
            )
            if ax is ax_full:
                handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=5, color=colour, label=name))
        frame_panel(ax, h_y, i_xy, xlim, ylim)
    ax_full.set_aspect("equal", adjustable="box")
    ax_full.set_title("information plane")
    ax_zoom.set_title(r"zoom: upper region ($\hat I(Z;Y) \geq 0.8\,\hat I(X;Y)$)")
    ax_full.indicate_inset(
        bounds=(zoom[0][0], zoom[1][0], zoom[0][1] - zoom[0][0], zoom[1][1] - zoom[1][0]),
        edgecolor="0.3",
        linewidth=0.7,
        alpha=1.0,
    )
    handles.insert(0, ls_line)
    if not ib["converged"].astype(bool).all():
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=5,
                markerfacecolor="none",
                markeredgecolor="0.3",
                label="not converged",
            )
        )
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return fig


@styled
def plot_objective_paths(paths: pd.DataFrame, frontier: pd.DataFrame, h_y: float, i_xy: float) -> Figure:
    """E5 (beyond the paper): every objective's exact optimum path next to the IB frontier.

    Two panels as in Fig. 4, the whole plane and a zoom on the upper region (every point with
    ``Î(Z;Y) ≥ 0.8 Î(X;Y)``). ``paths`` (columns family, coef, i_xz, i_zy; families of
    :data:`lsib.info.frontier.FAMILIES`) are lines per family ordered by Î(X;Z); ``frontier`` (columns
    variant ∈ {plain, squared, iterative}, i_xz, i_zy) are grey markers per solver, joined by the
    line through their Pareto points (:func:`lsib.info.frontier.pareto_points`). Horizontal lines mark
    Ĥ(Y) and Î(X;Y).
    """
    xs = np.concatenate([paths["i_xz"].to_numpy(), frontier["i_xz"].to_numpy()])
    ys = np.concatenate([paths["i_zy"].to_numpy(), frontier["i_zy"].to_numpy()])
    full = ((0.0, 1.04 * max(float(xs.max()), h_y)), (0.0, 1.1 * h_y))
    zoom = upper_window(xs, ys, h_y, i_xy)
    fx, fy = pareto_points(frontier["i_xz"].to_numpy(), frontier["i_zy"].to_numpy())
    fig = Figure(figsize=(PAGE_WIDTH, 3.5), layout="constrained")
    ax_full, ax_zoom = fig.subplots(1, 2)
    handles: list[Artist] = []
    for ax, (xlim, ylim) in ((ax_full, full), (ax_zoom, zoom)):
        (front_line,) = ax.plot(fx, fy, color=IB_COLOUR, linewidth=1.6, label="IB frontier", zorder=2)
        for variant, sub in frontier.groupby("variant", sort=False):
            marker = FRONTIER_MARKERS.get(str(variant), "o")
            colours = {"color": "0.3"} if marker == "x" else {"facecolors": "none", "edgecolors": "0.3"}
            ax.scatter(sub["i_xz"], sub["i_zy"], marker=marker, s=12, linewidths=0.6, zorder=3, **colours)
        lines = []
        for family, (name, colour, style) in PATH_STYLES.items():
            sub = paths[paths["family"] == family].sort_values("i_xz")
            if sub.empty:
                continue
            (line,) = ax.plot(
                sub["i_xz"],
                sub["i_zy"],
                color=colour,
                linestyle=style,
                linewidth=1.2,
                marker="." if family == "best_smoothing" else None,
                markersize=3,
                label=name,
                zorder=4,
            )
            lines.append(line)
        frame_panel(ax, h_y, i_xy, xlim, ylim)
        if ax is ax_full:
            handles = [front_line, *lines]
    for variant, marker in FRONTIER_MARKERS.items():
        if (frontier["variant"] == variant).any():
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=marker,
                    markersize=4,
                    color="0.3",
                    markerfacecolor="none" if marker != "x" else "0.3",
                    label=f"IB solutions ({variant})",
                )
            )
    ax_full.set_aspect("equal", adjustable="box")
    ax_full.set_title("information plane")
    ax_zoom.set_title(r"zoom: upper region ($\hat I(Z;Y) \geq 0.8\,\hat I(X;Y)$)")
    ax_full.indicate_inset(
        bounds=(zoom[0][0], zoom[1][0], zoom[0][1] - zoom[0][0], zoom[1][1] - zoom[1][0]),
        edgecolor="0.3",
        linewidth=0.7,
        alpha=1.0,
    )
    fig.legend(handles=handles, loc="outside upper center", ncols=4)
    return fig
