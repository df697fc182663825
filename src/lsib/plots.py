"""The paper's figures, drawn from numbers the pipeline already computed (SPEC §4–§5).

Every ``plot_*`` function takes tidy DataFrames or arrays and returns a
:class:`matplotlib.figure.Figure`; none computes anything heavy and none touches the disk —
:func:`save_figure` does that, atomically. Information is in nats throughout (SPEC §2).

| function                   | paper figure | SPEC |
|----------------------------|--------------|------|
| :func:`plot_theory_schematic` | Fig. 1    | §4, §5 F1 |
| :func:`plot_information_plane` | Fig. 3   | §4, §5 E1 |
| :func:`plot_ib_vs_ls`      | Fig. 4       | §3 IB Lagrangian, §4, §5 E2 |
| :func:`plot_objective_paths` | — (E5, beyond the paper) | §3, §4 |
| :func:`plot_probe_accuracy` | Fig. 6      | §5 E3 |
| :func:`plot_gradcam_examples` | Fig. 7    | §5 E4 |
| :func:`plot_gradcam_grid`  | Fig. 8       | §5 E4 |
| :func:`plot_box_mass`      | — (the box-mass numbers SPEC §5 E4 asks for) | §5 E4 |

Figures are sized for a two-column paper (:data:`COLUMN_WIDTH`, :data:`PAGE_WIDTH` inches)
and share one style, :func:`set_style`, which each ``plot_*`` function and
:func:`save_figure` apply inside an ``rc_context`` so the caller's rcParams are left alone.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.container import Container, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from lsib.atomic import atomic_path
from lsib.paths import pareto_points
from lsib.theory import ib_curve

COLUMN_WIDTH = 3.4
"""Width in inches of one column of a two-column paper."""
PAGE_WIDTH = 7.0
"""Width in inches of a figure spanning both columns."""

X_LABEL = r"$\hat{I}(X;Z)$ [nats]"
Y_LABEL = r"$\hat{I}(Z;Y)$ [nats]"
COEF_LABEL = r"$\varepsilon$ (LS) / $\beta$"

PALETTE = sns.color_palette("colorblind")
_IB_COLOUR = "0.15"
_INFEASIBLE_COLOUR = "0.9"
_LS_COLOUR = PALETTE[3]  # vermillion
_CE_COLOUR = PALETTE[0]
_REF_COLOUR = "0.35"
# viridis without its palest yellows, which vanish on white paper
_COEF_CMAP = ListedColormap(mpl.colormaps["viridis"](np.linspace(0.0, 0.88, 256)), name="viridis_trunc")
_CAM_CMAP = "turbo"  # jet-like, as Grad-CAM overlays usually are, but perceptually smoother
_CAM_ALPHA = 0.5
_OBJECTIVES = {"ce": ("CE", "s"), "ls": ("LS", "o"), "cp": ("CP", "^"), "vib": ("VIB", "D")}
_IB_VARIANTS = {
    "plain": ("IB Lagrangian", "o", PALETTE[0]),
    "squared": ("squared IB Lagrangian", "^", PALETTE[2]),
}
_PROBES = {"linear": ("linear", "s", PALETTE[1]), "mlp": ("MLP", "^", PALETTE[2])}
PNG_DPI = 200
"""Resolution of PNG files."""
RASTER_DPI_IN_VECTOR = 300
"""Resolution of raster parts (images) inside PDF/SVG files."""

_P = ParamSpec("_P")


def set_style() -> None:
    """Apply the figures' one style: seaborn "paper"/"ticks", colour-blind palette, 7–8 pt text.

    Fonts are embedded as TrueType (``pdf.fonttype`` 42) so PDF text stays editable.
    """
    sns.set_theme(context="paper", style="ticks", palette="colorblind")
    mpl.rcParams.update({
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 7,
        "legend.title_fontsize": 7,
        "mathtext.fontset": "dejavusans",
        "axes.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "lines.linewidth": 1.2,
        "lines.markersize": 4,
        "legend.frameon": True,
        "legend.framealpha": 0.9,
        "legend.edgecolor": "0.85",
        "legend.fancybox": False,
        "legend.handlelength": 1.8,
        "figure.dpi": 100,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.02,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
    })


def _styled(draw: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Run a figure function under :func:`set_style` without changing the caller's rcParams."""

    @functools.wraps(draw)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        with mpl.rc_context():
            set_style()
            return draw(*args, **kwargs)

    return wrapper


def save_figure(fig: Figure, paths: Sequence[str | os.PathLike[str]]) -> None:
    """Write ``fig`` to every path (format from the suffix: PDF, PNG at 200 dpi, …), then close it.

    Each file is written to a temporary name in its directory and renamed over the target
    (:func:`lsib.atomic.atomic_path`), so a target is either the old file or the complete new
    one. Unknown suffixes are rejected before anything is written.
    """
    supported = fig.canvas.get_supported_filetypes()
    formats = [os.fspath(p).rpartition(".")[2].lower() for p in paths]
    for path, fmt in zip(paths, formats):
        if fmt not in supported:
            raise ValueError(f"cannot tell the figure format of {os.fspath(path)!r}; "
                             f"use one of {sorted(supported)}")
    try:
        with mpl.rc_context():
            set_style()
            for path, fmt in zip(paths, formats):
                with atomic_path(path) as tmp:
                    fig.savefig(tmp, format=fmt, dpi=PNG_DPI if fmt == "png" else RASTER_DPI_IN_VECTOR)
    finally:
        plt.close(fig)


# ---------------------------------------------------------------- information planes (§4)


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
    ax.fill_between(x, y, y_max, color=_INFEASIBLE_COLOUR, linewidth=0, zorder=0)
    (line,) = ax.plot(x, y, color=_IB_COLOUR, linewidth=1.4, label="IB curve", zorder=2)
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


def _label_path(
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
            _eps_text(path["eps"].iloc[i]), (x[i], y[i]), xytext=(5, -3), textcoords="offset points",
            ha="left", va="top", fontsize=6.5, color=_LS_COLOUR,
        )
    return picked


@_styled
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
    ax.plot(path["i_xz"], path["i_zy"], linestyle=(0, (4, 2)), color=_LS_COLOUR, linewidth=1.2,
            label="LS optimum", zorder=3)
    picked = _label_path(ax, path, (0.0, x_max), (0.0, y_max), min_sep=0.18)
    ax.plot(path["i_xz"].iloc[picked], path["i_zy"].iloc[picked], "o", color=_LS_COLOUR, markersize=3.5, zorder=4)
    ax.plot([h_y], [h_y], linestyle="none", marker="*", markersize=11, color=_CE_COLOUR,
            markeredgecolor="white", markeredgewidth=0.5, label="CE optimum", zorder=5)
    text = {"ha": "center", "va": "center", "color": _REF_COLOUR, "style": "italic"}
    ax.text(0.3 * h_y, 0.6 * h_y, "infeasible", **text)
    ax.text(0.8 * h_y, 0.3 * h_y, "feasible", **text)
    _plane_axes(ax, x_max, y_max)
    # data never enter the infeasible upper left (Î(Z;Y) ≤ Î(X;Z)): the legend's place
    ax.legend(loc="upper left", title=rf"$K={num_classes}$, $\hat H(Y)={h_y:.3g}$ nats")
    return fig


@_styled
def plot_information_plane(runs: pd.DataFrame, ls_path: pd.DataFrame, h_y: float, title: str,
                           optima: pd.DataFrame | None = None) -> Figure:
    """Paper Fig. 3 (SPEC §5 E1): trained models' exact train-set information against the theory.

    ``runs`` (one data set and model; columns dataset, model, objective ∈ {ce, ls, cp, vib}, coef,
    seed, i_xz, i_zy, h_y, train_acc, test_acc) are drawn one point per run, all seeds: colour =
    ``coef`` (ε for LS, β for CP/VIB, 0 for CE) on one sequential scale with a colourbar, marker =
    objective. Behind them: the IB curve ``min(x, Ĥ(Y))`` with the infeasible region shaded and
    the LS-optimum path (dashed; ``ls_path`` columns eps, i_xz, i_zy) of SPEC §4. ``optima``
    (optional; columns objective, coef, i_xz, i_zy, trained, from
    :func:`lsib.paths.training_objective_paths`) adds the exact CP and VIB optimum paths as thin
    lines and, for every trained coefficient, its objective's optimum as a hollow marker of that
    objective, so each run can be read against the point theory puts it at.
    """
    unknown = set(runs["objective"]) - set(_OBJECTIVES)
    if unknown:
        raise ValueError(f"unknown objectives {sorted(unknown)}; expected a subset of {sorted(_OBJECTIVES)}")
    path = ls_path.sort_values("eps", ignore_index=True)
    x_max = max(1.15 * h_y, 1.03 * float(runs["i_xz"].max()), 1.03 * float(path["i_xz"].max()))
    y_max = max(1.1 * h_y, 1.05 * float(runs["i_zy"].max()))
    fig = Figure(figsize=(COLUMN_WIDTH, 2.9), layout="constrained")
    ax = fig.add_subplot()
    curve = _draw_ib_curve(ax, h_y, x_max, y_max)
    (ls_line,) = ax.plot(path["i_xz"], path["i_zy"], linestyle=(0, (4, 2)), color=_LS_COLOUR, linewidth=1.1,
                         label="LS optimum", zorder=3)
    top = float(runs["coef"].max())
    norm = Normalize(0.0, top if top > 0 else 1.0)
    handles: list[Line2D] = [curve, ls_line]
    if optima is not None:
        handles += _draw_objective_optima(ax, optima, norm)
    for objective, (name, marker) in _OBJECTIVES.items():
        sub = runs[runs["objective"] == objective]
        if sub.empty:
            continue
        ax.scatter(sub["i_xz"], sub["i_zy"], c=sub["coef"], cmap=_COEF_CMAP, norm=norm, marker=marker, s=20,
                   edgecolors="0.1", linewidths=0.4, label=name, zorder=4)
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=4.5, color="0.55",
                              markeredgecolor="0.1", markeredgewidth=0.4, label=name))
    fig.colorbar(ScalarMappable(norm=norm, cmap=_COEF_CMAP), ax=ax, label=COEF_LABEL, shrink=0.85, pad=0.02)
    _plane_axes(ax, x_max, y_max)
    ax.set_title(title)
    ax.legend(handles=handles, loc="upper left")  # the infeasible region: never covers a run
    return fig


_OPTIMUM_PATHS = {"cp": (PALETTE[6], (0, (5, 1.5, 1, 1.5))), "vib": (PALETTE[9], (0, (3, 1.5)))}


def _draw_objective_optima(ax: Axes, optima: pd.DataFrame, norm: Normalize) -> list[Line2D]:
    """Fig. 3's exact CP/VIB optimum paths (thin lines) and each trained coefficient's optimum (hollow markers)."""
    handles = []
    for objective, (colour, style) in _OPTIMUM_PATHS.items():
        sub = optima[optima["objective"] == objective].sort_values("coef")
        if sub.empty:
            continue
        (line,) = ax.plot(sub["i_xz"], sub["i_zy"], color=colour, linestyle=style, linewidth=0.9,
                          label=f"{_OBJECTIVES[objective][0]} optimum", zorder=3)
        handles.append(line)
    trained = optima[optima["trained"].astype(bool)]
    for objective, sub in trained.groupby("objective"):
        ax.scatter(sub["i_xz"], sub["i_zy"], marker=_OBJECTIVES[str(objective)][1], s=55, facecolors="none",
                   edgecolors=_COEF_CMAP(norm(sub["coef"].to_numpy())), linewidths=0.9, zorder=3.5)
    if not trained.empty:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor="none",
                              markeredgecolor="0.3", label="optimum of a run's coef."))
    return handles


def _upper_window(
    xs: np.ndarray, ys: np.ndarray, h_y: float, i_xy: float,
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
    ax.axhline(y, color=_REF_COLOUR, linestyle=linestyle, linewidth=0.8, zorder=1)
    ax.text(0.02, y, text, transform=blended_transform_factory(ax.transAxes, ax.transData),
            ha="left", va="bottom", fontsize=7, color=_REF_COLOUR)


def _frame_panel(ax: Axes, h_y: float, i_xy: float, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """One panel of a two-panel plane (Figs. 4, E5): Ĥ(Y) and Î(X;Y) reference lines, limits, axis labels."""
    _reference_line(ax, h_y, r"$\hat H(Y)$", (0, (5, 2)))
    _reference_line(ax, i_xy, r"$\hat I(X;Y)$", ":")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel(X_LABEL)
    ax.set_ylabel(Y_LABEL)


@_styled
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
    zoom = _upper_window(xs, ys, h_y, i_xy)
    fig = Figure(figsize=(PAGE_WIDTH, 3.2), layout="constrained")
    ax_full, ax_zoom = fig.subplots(1, 2)
    handles: list[Artist] = []
    for ax, (xlim, ylim), min_sep in ((ax_full, full, 0.09), (ax_zoom, zoom, 0.07)):
        (ls_line,) = ax.plot(path["i_xz"], path["i_zy"], color=_LS_COLOUR, linewidth=1.2, marker="o",
                             markersize=2.5, label="LS optimum, uniform $r$ (Prop. 4.5)", zorder=3)
        _label_path(ax, path, xlim, ylim, min_sep)
        for variant, sub in ib.groupby("variant", sort=False):
            name, marker, colour = _IB_VARIANTS[str(variant)]
            faces = [colour if ok else "none" for ok in sub["converged"].astype(bool)]
            ax.scatter(sub["i_xz"], sub["i_zy"], marker=marker, s=22, facecolors=faces, edgecolors=colour,
                       linewidths=0.8, label=name, zorder=4)
            if ax is ax_full:
                handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=5, color=colour,
                                      label=name))
        _frame_panel(ax, h_y, i_xy, xlim, ylim)
    ax_full.set_aspect("equal", adjustable="box")
    ax_full.set_title("information plane")
    ax_zoom.set_title(r"zoom: upper region ($\hat I(Z;Y) \geq 0.8\,\hat I(X;Y)$)")
    ax_full.indicate_inset(bounds=(zoom[0][0], zoom[1][0], zoom[0][1] - zoom[0][0], zoom[1][1] - zoom[1][0]),
                           edgecolor="0.3", linewidth=0.7, alpha=1.0)
    handles.insert(0, ls_line)
    if not ib["converged"].astype(bool).all():
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=5, markerfacecolor="none",
                              markeredgecolor="0.3", label="not converged"))
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return fig


_PATH_STYLES = {
    "ls_uniform": ("LS, uniform $r$", _LS_COLOUR, "-"),
    "ls_marginal": (r"LS, $r=\hat p(y)$", PALETTE[1], (0, (4, 2))),
    "ls_confusion": ("LS, human confusion $R$", PALETTE[2], "-"),
    "best_smoothing": ("best smoothing channel", PALETTE[4], "-"),
    "sharpening": (r"sharpening $\hat p^{1/T}$", PALETTE[5], (0, (1, 1.2))),
    "cp": ("CP", PALETTE[6], (0, (5, 1.5, 1, 1.5))),
    "vib": ("VIB", PALETTE[9], (0, (3, 1.5))),
}
_FRONTIER_MARKERS = {"plain": "o", "squared": "^", "iterative": "x"}


@_styled
def plot_objective_paths(paths: pd.DataFrame, frontier: pd.DataFrame, h_y: float, i_xy: float) -> Figure:
    """E5 (beyond the paper): every objective's exact optimum path next to the IB frontier.

    Two panels as in Fig. 4, the whole plane and a zoom on the upper region (every point with
    ``Î(Z;Y) ≥ 0.8 Î(X;Y)``). ``paths`` (columns family, coef, i_xz, i_zy; families of
    :data:`lsib.paths.FAMILIES`) are lines per family ordered by Î(X;Z); ``frontier`` (columns
    variant ∈ {plain, squared, iterative}, i_xz, i_zy) are grey markers per solver, joined by the
    line through their Pareto points (:func:`lsib.paths.pareto_points`). Horizontal lines mark
    Ĥ(Y) and Î(X;Y).
    """
    xs = np.concatenate([paths["i_xz"].to_numpy(), frontier["i_xz"].to_numpy()])
    ys = np.concatenate([paths["i_zy"].to_numpy(), frontier["i_zy"].to_numpy()])
    full = ((0.0, 1.04 * max(float(xs.max()), h_y)), (0.0, 1.1 * h_y))
    zoom = _upper_window(xs, ys, h_y, i_xy)
    fx, fy = pareto_points(frontier["i_xz"].to_numpy(), frontier["i_zy"].to_numpy())
    fig = Figure(figsize=(PAGE_WIDTH, 3.5), layout="constrained")
    ax_full, ax_zoom = fig.subplots(1, 2)
    handles: list[Artist] = []
    for ax, (xlim, ylim) in ((ax_full, full), (ax_zoom, zoom)):
        (front_line,) = ax.plot(fx, fy, color=_IB_COLOUR, linewidth=1.6, label="IB frontier", zorder=2)
        for variant, sub in frontier.groupby("variant", sort=False):
            marker = _FRONTIER_MARKERS.get(str(variant), "o")
            colours = {"color": "0.3"} if marker == "x" else {"facecolors": "none", "edgecolors": "0.3"}
            ax.scatter(sub["i_xz"], sub["i_zy"], marker=marker, s=12, linewidths=0.6, zorder=3, **colours)
        lines = []
        for family, (name, colour, style) in _PATH_STYLES.items():
            sub = paths[paths["family"] == family].sort_values("i_xz")
            if sub.empty:
                continue
            (line,) = ax.plot(sub["i_xz"], sub["i_zy"], color=colour, linestyle=style, linewidth=1.2,
                              marker="." if family == "best_smoothing" else None, markersize=3, label=name, zorder=4)
            lines.append(line)
        _frame_panel(ax, h_y, i_xy, xlim, ylim)
        if ax is ax_full:
            handles = [front_line, *lines]
    for variant, marker in _FRONTIER_MARKERS.items():
        if (frontier["variant"] == variant).any():
            handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=4, color="0.3",
                                  markerfacecolor="none" if marker != "x" else "0.3", label=f"IB solutions ({variant})"))
    ax_full.set_aspect("equal", adjustable="box")
    ax_full.set_title("information plane")
    ax_zoom.set_title(r"zoom: upper region ($\hat I(Z;Y) \geq 0.8\,\hat I(X;Y)$)")
    ax_full.indicate_inset(bounds=(zoom[0][0], zoom[1][0], zoom[0][1] - zoom[0][0], zoom[1][1] - zoom[1][0]),
                           edgecolor="0.3", linewidth=0.7, alpha=1.0)
    fig.legend(handles=handles, loc="outside upper center", ncols=4)
    return fig


# ---------------------------------------------------------------- E3: probes


def _mean_sd(table: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Mean and sample sd (ddof 1; NaN for a single seed) of ``value`` per ``by``, sorted by ``by``."""
    return table.groupby(by)[value].agg(["mean", "std"]).sort_index()


def _errorbar(ax: Axes, stats: pd.DataFrame, **style: object) -> ErrorbarContainer:
    """Mean line with ± sd bars; no bars at all where no group has a sd (one seed)."""
    sd = stats["std"].to_numpy()
    return ax.errorbar(stats.index.to_numpy(float), stats["mean"].to_numpy(),
                       yerr=sd if np.isfinite(sd).any() else None,
                       capsize=2, elinewidth=0.8, capthick=0.8, markersize=4, **style)


#: Display names of the data-set sources of :mod:`lsib.datasets`.
SOURCE_TITLES = {
    "cifar10": "CIFAR-10",
    "mnist": "MNIST",
    "flowers102": "Flowers-102",
    "fashion_mnist": "Fashion-MNIST",
    "mnist5k": "MNIST-5k",
}


@_styled
def plot_probe_accuracy(
    probes: pd.DataFrame,
    references: pd.DataFrame | None = None,
    base_name: str = "CIFAR-10",
    nuisance_name: str = "MNIST",
) -> Figure:
    """Paper Fig. 6 (SPEC §5 E3): base-task accuracy and MNIST probe accuracy against ε.

    ``probes`` columns: eps, seed, base_test_acc (CIFAR-10 test accuracy of the model trained
    with LS ε; repeated on each probe's row), probe ∈ {linear, mlp}, probe_acc (MNIST test
    accuracy of a new probe on the penultimate activations), chance. Lines are means over seeds
    with ± sd error bars (none with one seed); the dotted line is the chance level (its mean).
    ``references`` (optional; columns reference ∈ {untrained, pixels}, seed, probe, probe_acc)
    adds the linear probe's accuracy on the untrained network (dashed) and on raw pixels
    (dash-dot) as horizontal lines at their means over seeds: where a network that forgot nothing
    of the digit, and the input itself, would sit.
    ``base_name`` and ``nuisance_name`` name the two data sets in the legend (see :data:`SOURCE_TITLES`).
    """
    fig = Figure(figsize=(COLUMN_WIDTH, 2.7), layout="constrained")
    ax = fig.add_subplot()
    base = probes.drop_duplicates(["eps", "seed"])
    handles: list[Artist | Container] = [
        _errorbar(ax, _mean_sd(base, "eps", "base_test_acc"), color=PALETTE[0], marker="o",
                  label=f"{base_name} test (base model)"),
    ]
    for probe, sub in probes.groupby("probe", sort=False):
        name, marker, colour = _PROBES[str(probe)]
        handles.append(_errorbar(ax, _mean_sd(sub, "eps", "probe_acc"), color=colour, marker=marker,
                                 label=f"{nuisance_name} probe ({name})"))
    if references is not None:
        linear = references[references["probe"] == "linear"]
        for reference, linestyle, text in (("untrained", "--", "untrained network"), ("pixels", "-.", "raw pixels")):
            rows = linear[linear["reference"] == reference]
            if len(rows):
                handles.append(ax.axhline(float(rows["probe_acc"].mean()), color=_PROBES["linear"][2], linestyle=linestyle,
                                          linewidth=1.0, label=f"linear probe on {text}"))
    handles.append(ax.axhline(float(probes["chance"].mean()), color=_REF_COLOUR, linestyle=":", linewidth=1.0,
                              label=f"chance ({nuisance_name})"))
    ax.set_xlabel(r"label smoothing $\varepsilon$")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    fig.legend(handles=handles, loc="outside upper center", ncols=2)
    return fig


# ---------------------------------------------------------------- E4: Grad-CAM


def _display_image(image: np.ndarray) -> np.ndarray:
    """``(C, H, W)`` float in [0, 1] or uint8, C ∈ {1, 3} → ``(H, W)`` or ``(H, W, 3)`` float in [0, 1]."""
    img = np.asarray(image)
    img = img.astype(np.float64) / 255.0 if img.dtype == np.uint8 else img.astype(np.float64)
    if img.ndim != 3 or img.shape[0] not in (1, 3):
        raise ValueError(f"expected an image of shape (C, H, W) with C in (1, 3), got {img.shape}")
    return np.clip(img[0] if img.shape[0] == 1 else np.moveaxis(img, 0, -1), 0.0, 1.0)


def _show(ax: Axes, image: np.ndarray, saliency: np.ndarray | None = None) -> None:
    """The image (grey if one channel), with the saliency map over it scaled to its own maximum."""
    ax.imshow(_display_image(image), cmap="gray", vmin=0.0, vmax=1.0)
    if saliency is not None:
        top = float(np.max(saliency))
        ax.imshow(saliency, cmap=_CAM_CMAP, alpha=_CAM_ALPHA, vmin=0.0, vmax=top if top > 0 else 1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _check_maps(images: np.ndarray, maps: np.ndarray, name: str) -> None:
    """Reject saliency maps that are not ``(n, H, W)`` for the ``n`` images of size ``H × W``."""
    expected = (len(images), *np.shape(images)[-2:])
    if np.shape(maps) != expected:
        raise ValueError(f"maps of {name!r} have shape {np.shape(maps)}, expected {expected}")


def _cam_colorbar(fig: Figure, axes: np.ndarray) -> None:
    """One colourbar for all overlays, each of which is scaled to its own maximum."""
    fig.colorbar(ScalarMappable(norm=Normalize(0.0, 1.0), cmap=_CAM_CMAP), ax=axes.ravel().tolist(),
                 label="Grad-CAM / its max", shrink=0.6, aspect=25)


@_styled
def plot_gradcam_examples(
    images: np.ndarray,
    maps_by_model: Mapping[str, np.ndarray],
    boxes: np.ndarray | None = None,
) -> Figure:
    """Paper Fig. 7 (SPEC §5 E4): Grad-CAM maps of a few Cluttered-MNIST test images per model.

    One row per image: the input, then each model's map (``(n, H, W)``, non-negative, scaled to
    its own maximum) over the input in a jet-like colour map. ``images``: ``(n, C, H, W)`` float
    in [0, 1] or uint8, C ∈ {1, 3}. ``boxes`` ``(n, 4)`` = (top, left, height, width), if given,
    outline the original digit (dashed white) in every panel of its row.
    """
    for name, maps in maps_by_model.items():
        _check_maps(images, maps, name)
    n, cols = len(images), 1 + len(maps_by_model)
    height, width = np.shape(images)[-2:]
    cell = min(1.0, (COLUMN_WIDTH - 0.6) / cols)
    fig = Figure(figsize=(cell * cols + 0.6, cell * n * height / width + 0.25), layout="constrained")
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    axes = fig.subplots(n, cols, squeeze=False)
    for i in range(n):
        _show(axes[i, 0], images[i])
        for j, maps in enumerate(maps_by_model.values(), start=1):
            _show(axes[i, j], images[i], np.asarray(maps)[i])
        if boxes is not None:
            top, left, box_h, box_w = np.asarray(boxes)[i]
            for ax in axes[i]:
                ax.add_patch(Rectangle((left - 0.5, top - 0.5), box_w, box_h, fill=False, edgecolor="white",
                                       linewidth=0.9, linestyle=(0, (3, 1.5))))
    for ax, name in zip(axes[0], ["input", *maps_by_model]):
        ax.set_title(name)
    _cam_colorbar(fig, axes[:, 1:])
    return fig


@_styled
def plot_gradcam_grid(images: np.ndarray, maps_by_model_and_seed: Mapping[str, Sequence[np.ndarray]]) -> Figure:
    """Paper Fig. 8 (SPEC §5 E4): Grad-CAM maps of many test images (columns) for every model and seed.

    Rows: the inputs, then for each model one row per seed (``maps_by_model_and_seed[model][s]``
    is ``(n, H, W)`` for the same ``n`` images), groups separated by a small gap; no ticks,
    model names and seeds written on the left.
    """
    for name, per_seed in maps_by_model_and_seed.items():
        for maps in per_seed:
            _check_maps(images, maps, name)
    n = len(images)
    height, width = np.shape(images)[-2:]
    left_in, right_in, edge_in, gap, space = 0.75, 0.02, 0.02, 0.3, 0.04
    ratios = [1.0]
    for per_seed in maps_by_model_and_seed.values():
        ratios += [gap] + [1.0] * len(per_seed)
    # GridSpec spacing is a fraction of the mean cell size: size the figure so cells keep the image's aspect
    cell_w = (PAGE_WIDTH - left_in - right_in) / (n + (n - 1) * space)
    cell_h = cell_w * height / width
    rows_h = cell_h * sum(ratios) * (1 + (len(ratios) - 1) * space / len(ratios))
    fig_h = rows_h + 2 * edge_in
    fig = Figure(figsize=(PAGE_WIDTH, fig_h))
    grid = GridSpec(len(ratios), n, figure=fig, height_ratios=ratios, wspace=space, hspace=space,
                    left=left_in / PAGE_WIDTH, right=1 - right_in / PAGE_WIDTH,
                    bottom=edge_in / fig_h, top=1 - edge_in / fig_h)

    def image_row(row: int, maps: np.ndarray | None, name: str) -> Axes:
        """Draw one row of the grid; return its first axes (which carries the row label)."""
        axes = [fig.add_subplot(grid[row, k]) for k in range(n)]
        for k, ax in enumerate(axes):
            _show(ax, images[k], None if maps is None else np.asarray(maps)[k])
        axes[0].set_ylabel(name, rotation=0, ha="right", va="center", labelpad=3)
        return axes[0]

    image_row(0, None, "input")
    row = 1
    for model, per_seed in maps_by_model_and_seed.items():
        firsts = [image_row(row + 1 + s, maps, f"seed {s + 1}") for s, maps in enumerate(per_seed)]
        row += 1 + len(per_seed)
        centre = (firsts[0].get_position().y1 + firsts[-1].get_position().y0) / 2
        fig.text(0.1 / PAGE_WIDTH, centre, model, rotation=90, ha="left", va="center")
    return fig


@_styled
def plot_box_mass(summary: pd.DataFrame) -> Figure:
    """Beyond the paper (SPEC §5 E4): share of Grad-CAM mass inside the original digit's box.

    ``summary`` is :func:`lsib.saliency.box_mass_summary`'s table: per model and class (and
    ``class = "all"``) the mean and sd of the mass over all maps (images × seeds), optionally
    the mean box_area_share. Bars are the means, error bars the sds; hue = model. A dotted
    line marks the box area share of the "all" rows (averaged over models, which see the same
    images) — the mass a uniform map would put in the box — when that column is present.
    """
    models = list(pd.unique(summary["model"]))
    by_class = summary.assign(**{"class": summary["class"].astype(str)})
    classes = sorted(set(by_class["class"]) - {"all"}, key=lambda c: (len(c), c))
    per_class = by_class[by_class["class"] != "all"].set_index(["model", "class"])[["mean", "std"]]
    overall = by_class[by_class["class"] == "all"].set_index("model")[["mean", "std"]]
    positions = np.append(np.arange(len(classes), dtype=float), len(classes) + 0.5)
    width = 0.8 / len(models)
    fig = Figure(figsize=(PAGE_WIDTH, 2.3), layout="constrained")
    ax = fig.add_subplot()
    handles: list[Artist | Container] = []
    for j, model in enumerate(models):
        stats = pd.concat([per_class.loc[model].reindex(classes), overall.loc[[model]]])
        sd = stats["std"].to_numpy()
        handles.append(ax.bar(
            positions + (j - (len(models) - 1) / 2) * width, stats["mean"], width=width * 0.95,
            yerr=sd if np.isfinite(sd).any() else None, color=PALETTE[j % len(PALETTE)], label=str(model),
            error_kw={"elinewidth": 0.7, "capthick": 0.7, "capsize": 1.5, "ecolor": "0.2"},
        ))
    if "box_area_share" in summary:
        share = float(by_class.loc[by_class["class"] == "all", "box_area_share"].mean())
        handles.append(ax.axhline(share, color=_REF_COLOUR, linestyle=":",
                                  linewidth=1.0, label="box area share (uniform map)"))
    ax.axvline(len(classes) - 0.25, color="0.8", linewidth=0.6)
    ax.set_xticks(positions, [str(c) for c in classes] + ["all"])
    ax.set_xlim(positions[0] - 0.6, positions[-1] + 0.6)
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit class")
    ax.set_ylabel("Grad-CAM mass in digit box")
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return fig
