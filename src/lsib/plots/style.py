"""One style for every figure: sizes, labels, colours, markers, resolution — every constant here.

Figures are sized for a two-column paper (:data:`COLUMN_WIDTH`, :data:`PAGE_WIDTH` inches)
and share one style, :func:`set_style`, which each ``plot_*`` function (through
:func:`styled`) and :func:`save_figure` apply inside an ``rc_context`` so the caller's
rcParams are left alone. :func:`save_figure` writes atomically.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import ParamSpec

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from lsib.atomic import atomic_path

COLUMN_WIDTH = 3.4
"""Width in inches of one column of a two-column paper."""
PAGE_WIDTH = 7.0
"""Width in inches of a figure spanning both columns."""
X_LABEL = r"$\hat{I}(X;Z)$ [nats]"
Y_LABEL = r"$\hat{I}(Z;Y)$ [nats]"
COEF_LABEL = r"$\varepsilon$ (LS) / $\beta$"
PALETTE = sns.color_palette("colorblind")
IB_COLOUR = "0.15"
INFEASIBLE_COLOUR = "0.9"
LS_COLOUR = PALETTE[3]  # vermillion
CE_COLOUR = PALETTE[0]
REF_COLOUR = "0.35"
# viridis without its palest yellows, which vanish on white paper
COEF_CMAP = ListedColormap(mpl.colormaps["viridis"](np.linspace(0.0, 0.88, 256)), name="viridis_trunc")
CAM_CMAP = "turbo"  # jet-like, as Grad-CAM overlays usually are, but perceptually smoother
CAM_ALPHA = 0.5
OBJECTIVE_STYLES = {"ce": ("CE", "s"), "ls": ("LS", "o"), "cp": ("CP", "^"), "vib": ("VIB", "D")}
#: How a trained run is drawn on an information plane (Fig. 3) and against it (E6): a marker of its
#: objective (:data:`OBJECTIVE_STYLES`) filled with its coefficient's colour; pass ``c``, ``norm``, ``marker``.
RUN_POINT = {"cmap": COEF_CMAP, "s": 20, "edgecolors": "0.1", "linewidths": 0.4, "zorder": 4}
IB_VARIANTS = {
    "plain": ("IB Lagrangian", "o", PALETTE[0]),
    "squared": ("squared IB Lagrangian", "^", PALETTE[2]),
}
PROBE_STYLES = {"linear": ("linear", "s", PALETTE[1]), "mlp": ("MLP", "^", PALETTE[2])}
OPTIMUM_PATHS = {"cp": (PALETTE[6], (0, (5, 1.5, 1, 1.5))), "vib": (PALETTE[9], (0, (3, 1.5)))}
PATH_STYLES = {
    "ls_uniform": ("LS, uniform $r$", LS_COLOUR, "-"),
    "ls_marginal": (r"LS, $r=\hat p(y)$", PALETTE[1], (0, (4, 2))),
    "ls_confusion": ("LS, human confusion $R$", PALETTE[2], "-"),
    "best_smoothing": ("best smoothing channel", PALETTE[4], "-"),
    "sharpening": (r"sharpening $\hat p^{1/T}$", PALETTE[5], (0, (1, 1.2))),
    "cp": ("CP", PALETTE[6], (0, (5, 1.5, 1, 1.5))),
    "vib": ("VIB", PALETTE[9], (0, (3, 1.5))),
}
#: Line styles of seeds 0, 1, 2, … in the learning curves (cycled).
SEED_LINESTYLES = ("-", (0, (4, 1.5)), (0, (1, 1)), (0, (5, 1.5, 1, 1.5)))
#: (label, marker, colour) of the end-of-curve marks of unfinished and diverged runs.
RUN_MARKS = {"unfinished": ("unfinished", "|", "0.1"), "diverged": ("diverged", "X", PALETTE[3])}
FRONTIER_MARKERS = {"plain": "o", "squared": "^", "iterative": "x"}
#: (benefits-table column, axis label) of each panel of E6's benefits figure, in order
#: (:func:`lsib.plots.benefits.plot_benefits`); columns of the benefits table
#: (:func:`lsib.measure.benefits.benefit_columns`).
BENEFIT_PANELS = (
    ("gap_i_zy", r"$\hat{I}(Z;Y)$ train–test gap [nats]"),
    ("gap_acc", "accuracy train–test gap"),
    ("gap_nll", "NLL train–test gap [nats]"),
    ("test_ece", "test ECE"),
    ("test_brier", "test Brier score"),
    ("pgd_acc_2", "PGD accuracy at 2/255"),
    ("pgd_acc_8", "PGD accuracy at 8/255"),
    ("scatter_ratio_train", "within/between-class scatter"),
    ("own_probe_acc", "own-label probe accuracy"),
)
BENEFIT_COLUMNS = 3
"""Panels per row of the benefits figure."""
BENEFIT_PANEL_HEIGHT = 1.7
"""Height in inches of one row of benefit panels."""
#: Colours of the (three) classes of the penultimate-layer projection, in the order of its classes.
CLASS_COLOURS = (PALETTE[0], PALETTE[1], PALETTE[2])
PROJECTION_PANEL = 1.6
"""Side in inches of one panel of the penultimate-layer projection."""
PROJECTION_POINT = {"s": 3.0, "alpha": 0.35, "linewidths": 0}
"""Scatter style of the projection's points: small and translucent, so dense clusters read as density."""
#: Display names of the data-set sources of :mod:`lsib.data.datasets`.
SOURCE_TITLES = {
    "cifar10": "CIFAR-10",
    "mnist": "MNIST",
    "flowers102": "Flowers-102",
    "fashion_mnist": "Fashion-MNIST",
    "mnist5k": "MNIST-5k",
}
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
    mpl.rcParams.update(
        {
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
        }
    )


def styled(draw: Callable[_P, Figure]) -> Callable[_P, Figure]:
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
            raise ValueError(f"cannot tell the figure format of {os.fspath(path)!r}; use one of {sorted(supported)}")
    try:
        with mpl.rc_context():
            set_style()
            for path, fmt in zip(paths, formats):
                with atomic_path(path) as tmp:
                    fig.savefig(tmp, format=fmt, dpi=PNG_DPI if fmt == "png" else RASTER_DPI_IN_VECTOR)
    finally:
        plt.close(fig)
