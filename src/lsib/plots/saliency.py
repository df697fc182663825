"""Figs. 7–8 and the box-mass figure: Grad-CAM maps of CE and LS models on Cluttered MNIST (SPEC §5 E4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.container import Container
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.patches import Rectangle

from lsib.plots.style import (
    CAM_ALPHA,
    CAM_CMAP,
    COLUMN_WIDTH,
    PAGE_WIDTH,
    PALETTE,
    REF_COLOUR,
    styled,
)


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
        ax.imshow(saliency, cmap=CAM_CMAP, alpha=CAM_ALPHA, vmin=0.0, vmax=top if top > 0 else 1.0)
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
    fig.colorbar(
        ScalarMappable(norm=Normalize(0.0, 1.0), cmap=CAM_CMAP),
        ax=axes.ravel().tolist(),
        label="Grad-CAM / its max",
        shrink=0.6,
        aspect=25,
    )


@styled
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
                ax.add_patch(
                    Rectangle(
                        (left - 0.5, top - 0.5),
                        box_w,
                        box_h,
                        fill=False,
                        edgecolor="white",
                        linewidth=0.9,
                        linestyle=(0, (3, 1.5)),
                    )
                )
    for ax, name in zip(axes[0], ["input", *maps_by_model]):
        ax.set_title(name)
    _cam_colorbar(fig, axes[:, 1:])
    return fig


@styled
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
    grid = GridSpec(
        len(ratios),
        n,
        figure=fig,
        height_ratios=ratios,
        wspace=space,
        hspace=space,
        left=left_in / PAGE_WIDTH,
        right=1 - right_in / PAGE_WIDTH,
        bottom=edge_in / fig_h,
        top=1 - edge_in / fig_h,
    )

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


@styled
def plot_box_mass(summary: pd.DataFrame) -> Figure:
    """Beyond the paper (SPEC §5 E4): share of Grad-CAM mass inside the original digit's box.

    ``summary`` is :func:`lsib.measure.saliency.box_mass_summary`'s table: per model and class (and
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
        handles.append(
            ax.bar(
                positions + (j - (len(models) - 1) / 2) * width,
                stats["mean"],
                width=width * 0.95,
                yerr=sd if np.isfinite(sd).any() else None,
                color=PALETTE[j % len(PALETTE)],
                label=str(model),
                error_kw={"elinewidth": 0.7, "capthick": 0.7, "capsize": 1.5, "ecolor": "0.2"},
            )
        )
    if "box_area_share" in summary:
        share = float(by_class.loc[by_class["class"] == "all", "box_area_share"].mean())
        handles.append(
            ax.axhline(share, color=REF_COLOUR, linestyle=":", linewidth=1.0, label="box area share (uniform map)")
        )
    ax.axvline(len(classes) - 0.25, color="0.8", linewidth=0.6)
    ax.set_xticks(positions, [str(c) for c in classes] + ["all"])
    ax.set_xlim(positions[0] - 0.6, positions[-1] + 0.6)
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit class")
    ax.set_ylabel("Grad-CAM mass in digit box")
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return fig
