"""Fig. 6: probe accuracy on the nuisance digit against ε, mean ± sd over seeds (SPEC §5 E3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.container import Container, ErrorbarContainer
from matplotlib.figure import Figure

from lsib.plots.style import COLUMN_WIDTH, PALETTE, PROBE_STYLES, REF_COLOUR, styled


def _mean_sd(table: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Mean and sample sd (ddof 1; NaN for a single seed) of ``value`` per ``by``, sorted by ``by``."""
    return table.groupby(by)[value].agg(["mean", "std"]).sort_index()


def _errorbar(ax: Axes, stats: pd.DataFrame, **style: object) -> ErrorbarContainer:
    """Mean line with ± sd bars; no bars at all where no group has a sd (one seed)."""
    sd = stats["std"].to_numpy()
    return ax.errorbar(
        stats.index.to_numpy(float),
        stats["mean"].to_numpy(),
        yerr=sd if np.isfinite(sd).any() else None,
        capsize=2,
        elinewidth=0.8,
        capthick=0.8,
        markersize=4,
        **style,
    )


@styled
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
        _errorbar(
            ax,
            _mean_sd(base, "eps", "base_test_acc"),
            color=PALETTE[0],
            marker="o",
            label=f"{base_name} test (base model)",
        ),
    ]
    for probe, sub in probes.groupby("probe", sort=False):
        name, marker, colour = PROBE_STYLES[str(probe)]
        handles.append(
            _errorbar(
                ax,
                _mean_sd(sub, "eps", "probe_acc"),
                color=colour,
                marker=marker,
                label=f"{nuisance_name} probe ({name})",
            )
        )
    if references is not None:
        linear = references[references["probe"] == "linear"]
        for reference, linestyle, text in (("untrained", "--", "untrained network"), ("pixels", "-.", "raw pixels")):
            rows = linear[linear["reference"] == reference]
            if len(rows):
                handles.append(
                    ax.axhline(
                        float(rows["probe_acc"].mean()),
                        color=PROBE_STYLES["linear"][2],
                        linestyle=linestyle,
                        linewidth=1.0,
                        label=f"linear probe on {text}",
                    )
                )
    handles.append(
        ax.axhline(
            float(probes["chance"].mean()),
            color=REF_COLOUR,
            linestyle=":",
            linewidth=1.0,
            label=f"chance ({nuisance_name})",
        )
    )
    ax.set_xlabel(r"label smoothing $\varepsilon$")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    fig.legend(handles=handles, loc="outside upper center", ncols=2)
    return fig
