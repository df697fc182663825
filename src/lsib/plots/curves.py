"""Learning curves: every run's ``metrics.csv`` against epoch, so a sweep can be checked at a glance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

from lsib.plots.style import COEF_CMAP, COEF_LABEL, OBJECTIVE_STYLES, PAGE_WIDTH, RUN_MARKS, SEED_LINESTYLES, styled

RUN_KEYS = ["dataset", "model", "objective", "coef", "seed"]
#: (column, axis label, log scale) of each panel.
PANELS = (
    ("loss", "training loss", True),
    ("train_acc", "train accuracy", False),
    ("test_acc", "test accuracy", False),
    ("lr", "learning rate", True),
)


def run_state(rows: pd.DataFrame, total_epochs: int) -> str | None:
    """``"diverged"``, ``"unfinished"`` or None (a finished, sound run) from one run's metrics rows.

    Diverged: a non-finite loss or accuracy, or a last-epoch loss above the first epoch's — a
    run whose loss ends higher than where it started has not learnt, whatever its accuracy.
    Unfinished: fewer epochs than ``total_epochs`` (lsib.train.run never saves a non-finite
    epoch, so a run it stopped as diverged shows as unfinished, and its log says why).
    """
    values = rows[["loss", "train_acc"]].to_numpy(dtype=float)
    loss = rows["loss"].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (len(loss) > 1 and loss[-1] > loss[0]):
        return "diverged"
    if int(rows["epoch"].max()) < total_epochs:
        return "unfinished"
    return None


def _run_label(run: pd.Series) -> str:
    return f"{OBJECTIVE_STYLES[run['objective']][0]} {run['coef']:g}, seed {run['seed']}"


def _draw_run(axes: list[Axes], rows: pd.DataFrame, style: dict, label: str) -> list[float]:
    """One run's line on every panel (test accuracy at its test epochs only); the last points."""
    ends = []
    for ax, (column, _, _) in zip(axes, PANELS):
        sub = rows[rows["epoch"] == rows["test_epoch"]] if column == "test_acc" else rows
        sub = sub[np.isfinite(sub[column].to_numpy(dtype=float))]
        (line,) = ax.plot(sub["epoch"], sub[column], label=label, **style)
        line.set_gid(f"run {label}")
        ends.append((float(sub["epoch"].iloc[-1]), float(sub[column].iloc[-1])) if len(sub) else (np.nan, np.nan))
    return ends


@styled
def plot_learning_curves(metrics: pd.DataFrame, title: str) -> Figure:
    """Loss, train and test accuracy and learning rate against epoch, one line per run.

    ``metrics``: the rows of every run's ``metrics.csv`` (lsib.train.run.METRIC_COLUMNS) with the
    run's dataset, model, objective, coef, seed and ``total_epochs`` (its recipe's total). Colour
    = coefficient on Fig. 3's scale (:data:`COEF_CMAP`), a marker of the objective at the last
    epoch as in Fig. 3, line style = seed (:data:`SEED_LINESTYLES`). Test accuracy is drawn at
    the epochs it was measured (``test_epoch == epoch``) only. A run that :func:`run_state` calls
    diverged or unfinished gets a mark (:data:`RUN_MARKS`) at its last epoch on every panel.
    """
    unknown = set(metrics["objective"]) - set(OBJECTIVE_STYLES)
    if unknown:
        raise ValueError(f"unknown objectives {sorted(unknown)}; expected a subset of {sorted(OBJECTIVE_STYLES)}")
    top = float(metrics["coef"].max())
    norm = Normalize(0.0, top if top > 0 else 1.0)
    seeds = sorted(metrics["seed"].unique())
    fig = Figure(figsize=(PAGE_WIDTH, 2.1), layout="constrained")
    axes = list(fig.subplots(1, len(PANELS), sharex=True))
    marked: set[str] = set()
    for key, rows in metrics.sort_values("epoch").groupby(RUN_KEYS, sort=True):
        run = pd.Series(dict(zip(RUN_KEYS, key)))
        style = {
            "color": COEF_CMAP(norm(run["coef"])),
            "linestyle": SEED_LINESTYLES[seeds.index(run["seed"]) % len(SEED_LINESTYLES)],
            "linewidth": 0.9,
        }
        label = _run_label(run)
        ends = _draw_run(axes, rows, style, label)
        state = run_state(rows, int(rows["total_epochs"].iloc[0]))
        marks = [(OBJECTIVE_STYLES[run["objective"]][1], style["color"], 3.5, "end")]
        if state is not None:
            marked.add(state)
            marks.append((RUN_MARKS[state][1], RUN_MARKS[state][2], 7, state))
        for ax, (x, y) in zip(axes, ends):
            for marker, colour, size, gid in marks:
                (point,) = ax.plot([x], [y], linestyle="none", marker=marker, color=colour, markersize=size, zorder=4)
                point.set_gid(f"{gid} {label}")
    for ax, (column, ylabel, log) in zip(axes, PANELS):
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        if log and (metrics[column] > 0).all():
            ax.set_yscale("log")
            ax.yaxis.set_minor_formatter(NullFormatter())  # labelled decades only
    handles = [
        Line2D([], [], linestyle="none", marker=m, color="0.45", label=name)
        for objective, (name, m) in OBJECTIVE_STYLES.items()
        if objective in set(metrics["objective"])
    ]
    if len(seeds) > 1:
        handles += [
            Line2D([], [], color="0.45", linestyle=SEED_LINESTYLES[i % len(SEED_LINESTYLES)], label=f"seed {s}")
            for i, s in enumerate(seeds)
        ]
    handles += [
        Line2D([], [], linestyle="none", marker=RUN_MARKS[s][1], color=RUN_MARKS[s][2], label=RUN_MARKS[s][0])
        for s in sorted(marked)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    fig.colorbar(ScalarMappable(norm=norm, cmap=COEF_CMAP), ax=axes[-1], label=COEF_LABEL, shrink=0.85, pad=0.02)
    fig.suptitle(title)
    return fig
