"""E6 figures: one panel per benefit against train Î(X;Z) with seed means and t intervals, and the
penultimate-layer projection (Müller et al. 2019, Fig. 1), one column per run."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import Normalize, to_rgba
from matplotlib.container import ErrorbarContainer

from lsib import plots
from lsib.measure.benefits import benefit_columns
from lsib.plots.style import BENEFIT_PANELS, CLASS_COLOURS, COEF_CMAP, OBJECTIVE_STYLES, X_LABEL
from lsib.stats import ci95

#: The measure columns of the benefits table at the paper's attack ε (train Î(X;Z) is the matching variable).
BENEFIT_MEASURES = [c for c in benefit_columns((1, 2, 4, 8)) if c != "train_i_xz"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COEFS = {"ce": [0.0], "ls": [0.1, 0.4], "cp": [0.5, 1.0], "vib": [0.01, 0.1]}


def benefits_table(objectives=tuple(COEFS), seeds=3) -> pd.DataFrame:
    """One row per run with every benefit measure: random values, different per seed."""
    rng = np.random.default_rng(0)
    rows = [
        {
            "dataset": "fashion_mnist",
            "model": "resnet8",
            "objective": objective,
            "coef": coef,
            "seed": seed,
            "train_i_xz": 2.3 - coef - 0.05 * rng.random(),
            **{column: rng.random() for column in BENEFIT_MEASURES},
        }
        for objective in objectives
        for coef in COEFS[objective]
        for seed in range(seeds)
    ]
    return pd.DataFrame(rows)


def panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def points(ax) -> dict[str, np.ndarray]:
    """Objective → the (x, y) of its markers on a panel."""
    return {c.get_gid(): np.asarray(c.get_offsets()) for c in ax.collections if c.get_gid() in OBJECTIVE_STYLES}


def errorbars(ax) -> dict[str, ErrorbarContainer]:
    return {c.get_label(): c for c in ax.containers if isinstance(c, ErrorbarContainer)}


def test_panels_are_the_style_list_of_benefit_columns():
    assert {column for column, _ in BENEFIT_PANELS} <= set(BENEFIT_MEASURES)


def test_benefits_with_three_seeds_draw_seed_means_with_t_intervals_in_both_directions():
    table = benefits_table()
    fig = plots.plot_benefits(table, "Fashion-MNIST")
    axes = panels(fig)
    assert len(axes) == len(BENEFIT_PANELS)
    assert fig.get_suptitle() == "Fashion-MNIST"
    assert [ax.get_ylabel() for ax in axes] == [label for _, label in BENEFIT_PANELS]
    assert X_LABEL in {ax.get_xlabel() for ax in axes}
    norm = Normalize(0.0, max(c for cs in COEFS.values() for c in cs))
    for ax, (column, _) in zip(axes, BENEFIT_PANELS):
        drawn = points(ax)
        assert set(drawn) == set(COEFS)
        bars = errorbars(ax)
        assert len(bars) == sum(len(c) for c in COEFS.values())  # every (objective, coef) has 3 seeds
        for objective, coefs in COEFS.items():
            for i, coef in enumerate(sorted(coefs)):
                rows = table[(table["objective"] == objective) & (table["coef"] == coef)]
                x, x_low, x_high = ci95(rows["train_i_xz"])
                y, y_low, y_high = ci95(rows[column])
                np.testing.assert_allclose(drawn[objective][i], [x, y])
                xbars, ybars = (
                    np.asarray(s[0])
                    for s in (c.get_segments() for c in bars[f"{OBJECTIVE_STYLES[objective][0]} {coef:g}"][2])
                )
                np.testing.assert_allclose(xbars, [[x_low, y], [x_high, y]])
                np.testing.assert_allclose(ybars, [[x, y_low], [x, y_high]])
        ls = next(c for c in ax.collections if c.get_gid() == "ls")
        np.testing.assert_allclose(ls.get_array(), sorted(COEFS["ls"]))
        np.testing.assert_allclose(ls.to_rgba(ls.get_array()), COEF_CMAP(norm(np.array(sorted(COEFS["ls"])))))


def test_benefits_with_one_seed_are_plain_points_and_one_objective_is_enough():
    table = benefits_table(seeds=1)
    fig = plots.plot_benefits(table, "one seed")
    axes = panels(fig)
    assert len(axes) == len(BENEFIT_PANELS)
    for ax, (column, _) in zip(axes, BENEFIT_PANELS):
        assert not errorbars(ax)
        ce = table[table["objective"] == "ce"].iloc[0]
        np.testing.assert_allclose(points(ax)["ce"], [[ce["train_i_xz"], ce[column]]])
    only_ls = plots.plot_benefits(benefits_table(objectives=("ls",)), "LS only")
    assert len(panels(only_ls)) == len(BENEFIT_PANELS)
    assert all(set(points(ax)) == {"ls"} and len(errorbars(ax)) == 2 for ax in panels(only_ls))
    only_ce = plots.plot_benefits(benefits_table(objectives=("ce",), seeds=1), "CE, one run")
    assert all(points(ax)["ce"].shape == (1, 2) for ax in panels(only_ce))


def test_benefits_bars_only_where_a_coefficient_has_several_seeds():
    table = benefits_table()
    table = table[~((table["objective"] == "vib") & (table["seed"] > 0))]  # VIB: one seed
    ax = panels(plots.plot_benefits(table, "mixed"))[0]
    assert sorted(errorbars(ax)) == ["CE 0", "CP 0.5", "CP 1", "LS 0.1", "LS 0.4"]
    assert len(points(ax)["vib"]) == 2


def test_benefits_reject_missing_columns_several_data_sets_and_unknown_objectives():
    table = benefits_table(seeds=1)
    with pytest.raises(ValueError, match="missing columns.*test_ece"):
        plots.plot_benefits(table.drop(columns="test_ece"), "t")
    with pytest.raises(ValueError, match="one data set and model"):
        plots.plot_benefits(pd.concat([table, table.assign(dataset="mnist")]), "t")
    with pytest.raises(ValueError, match="unknown objectives"):
        plots.plot_benefits(table.assign(objective="sam"), "t")


def projection(n_train=30, n_test=12, classes=(2, 5, 7), seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "train_xy": rng.normal(size=(n_train, 2)),
        "train_y": np.resize(np.array(classes), n_train),
        "test_xy": rng.normal(size=(n_test, 2)),
        "test_y": np.resize(np.array(classes), n_test),
        "classes": np.array(classes),
    }


def test_projection_has_a_train_and_a_test_panel_per_run_coloured_by_class():
    runs = {"CE": projection(seed=0), "LS ε=0.4": projection(seed=1)}
    fig = plots.plot_penultimate_projection(runs, "Fashion-MNIST")
    axes = fig.axes
    assert len(axes) == 2 * len(runs)
    assert fig.get_suptitle() == "Fashion-MNIST"
    for j, (label, data) in enumerate(runs.items()):
        for i, split in enumerate(("train", "test")):
            ax = axes[i * len(runs) + j]
            assert ax.get_aspect() == 1.0
            if i == 0:
                assert ax.get_title() == label
            collections = ax.collections
            assert len(collections) == 3
            for k, (c, colour) in enumerate(zip(data["classes"], CLASS_COLOURS)):
                xy = data[f"{split}_xy"][data[f"{split}_y"] == c]
                np.testing.assert_allclose(collections[k].get_offsets(), xy)
                np.testing.assert_allclose(collections[k].get_facecolors()[0, :3], to_rgba(colour)[:3])
    assert [ax.get_ylabel() for ax in (axes[0], axes[len(runs)])] == ["train", "test"]


def test_projection_rejects_labels_outside_its_classes_and_too_many_classes():
    bad = projection()
    bad["test_y"] = bad["test_y"].copy()
    bad["test_y"][0] = 9
    with pytest.raises(ValueError, match="test_y.*not in classes"):
        plots.plot_penultimate_projection({"CE": bad}, "t")
    many = projection(classes=tuple(range(len(CLASS_COLOURS) + 1)))
    with pytest.raises(ValueError, match="classes"):
        plots.plot_penultimate_projection({"CE": many}, "t")
    with pytest.raises(ValueError, match="as the first run"):
        plots.plot_penultimate_projection({"CE": projection(), "LS": projection(classes=(1, 2, 3))}, "t")
    with pytest.raises(ValueError, match="train_xy"):
        plots.plot_penultimate_projection({"CE": {**projection(), "train_xy": np.zeros((30, 3))}}, "t")


@pytest.mark.filterwarnings("error")
def test_e6_figures_save_as_valid_pdf_and_png(tmp_path):
    figures = {
        "benefits": plots.plot_benefits(benefits_table(), "three seeds"),
        "benefits1": plots.plot_benefits(benefits_table(seeds=1), "one seed"),
        "projection": plots.plot_penultimate_projection({"CE": projection(), "LS": projection(seed=1)}, "p"),
    }
    for name, fig in figures.items():
        plots.save_figure(fig, [tmp_path / f"{name}.pdf", tmp_path / f"{name}.png"])
        assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.{s}" for n in figures for s in ("pdf", "png"))
