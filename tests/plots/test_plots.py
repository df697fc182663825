"""The paper's figures carry the numbers they are given, and save_figure writes files atomically."""

import math

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from lsib import plots
from lsib.info.theory import ls_closed_form
from lsib.measure.saliency import box_mass_summary

K = 10
H_Y = math.log(K)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ls_path(eps=np.linspace(0, 1, 21), k=K) -> pd.DataFrame:
    i = ls_closed_form(eps, k)
    return pd.DataFrame({"eps": eps, "i_xz": i, "i_zy": i})


def runs_table(objectives=("ce", "ls", "cp", "vib"), seeds=3) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    coefs = {"ce": [0.0], "ls": [0.1, 0.3, 0.6], "cp": [0.5, 1.0], "vib": [0.01, 0.1]}
    rows = [
        {
            "dataset": "cifar10",
            "model": "resnet56",
            "objective": obj,
            "coef": c,
            "seed": s,
            "i_xz": 2.2 - c * rng.random(),
            "i_zy": 2.1 - c * rng.random(),
            "h_y": H_Y,
            "train_acc": 1.0,
            "test_acc": 0.9,
        }
        for obj in objectives
        for c in coefs[obj]
        for s in range(seeds)
    ]
    return pd.DataFrame(rows)


def ib_table() -> pd.DataFrame:
    rows = []
    for variant, betas in (("plain", [0.1, 0.5, 0.9]), ("squared", [0.05, 0.2])):
        for j, b in enumerate(betas):
            rows.append(
                {
                    "beta": b,
                    "variant": variant,
                    "i_xz": 2.3 - 2 * b,
                    "i_zy": 2.05 - 1.9 * b,
                    "loss": -1.0,
                    "grad_norm": 1e-4,
                    "iterations": 100,
                    "converged": j != 1,
                    "seconds": 1.0,
                }
            )
    return pd.DataFrame(rows)


def probes_table(seeds=3) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for eps in (0.0, 0.1, 0.3):
        for s in range(seeds):
            base = 0.93 + 0.01 * rng.standard_normal()
            for probe in ("linear", "mlp"):
                rows.append(
                    {
                        "eps": eps,
                        "seed": s,
                        "base_test_acc": base,
                        "probe": probe,
                        "probe_acc": 0.8 - eps + 0.02 * rng.standard_normal(),
                        "chance": 0.1135,
                    }
                )
    return pd.DataFrame(rows)


def mass_table(seeds=3, with_area=True) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = [
        {"model": model, "seed": s, "class": c, "image": i, "mass": rng.random()}
        for model in ("CE", "LS ε=0.1")
        for s in range(seeds)
        for c in range(3)
        for i in range(4)
    ]
    table = pd.DataFrame(rows)
    if with_area:
        table["box_area_share"] = 0.19
    return table


def images_and_maps(n=3, c=1, size=16, dtype=np.float64):
    rng = np.random.default_rng(3)
    images = rng.random((n, c, size, size))
    images = (images * 255).astype(np.uint8) if dtype == np.uint8 else images
    maps = {"CE": rng.random((n, size, size)), "LS ε=0.1": rng.random((n, size, size))}
    return images, maps


def line_labelled(ax, label) -> Line2D:
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def scatters(ax) -> dict[str, PathCollection]:
    return {c.get_label(): c for c in ax.collections if isinstance(c, PathCollection)}


def assert_ib_curve(ax, h_y, x_max) -> None:
    curve = line_labelled(ax, "IB curve")
    x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    np.testing.assert_allclose(y, np.minimum(x, h_y))
    assert x.min() == 0 and x.max() == pytest.approx(x_max)
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the shaded infeasible region


# ---------------------------------------------------------------- style


def test_figures_leave_callers_rcparams_alone_and_share_one_style():
    with mpl.rc_context({"font.size": 13.0}):
        fig = plots.plot_theory_schematic(H_Y, K, ls_path())
        assert mpl.rcParams["font.size"] == 13.0
    assert fig.axes[0].xaxis.label.get_fontsize() == 8
    with mpl.rc_context():
        plots.set_style()
        assert mpl.rcParams["font.size"] == 8 and mpl.rcParams["pdf.fonttype"] == 42


# ---------------------------------------------------------------- F1, E1, E2


def test_theory_schematic_draws_ib_curve_ls_path_and_ce_point():
    path = ls_path()
    fig = plots.plot_theory_schematic(H_Y, K, path)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert_ib_curve(ax, H_Y, 1.15 * H_Y)
    ls = line_labelled(ax, "LS optimum")
    np.testing.assert_allclose(ls.get_xdata(), path["i_xz"])
    np.testing.assert_allclose(ls.get_ydata(), path["i_zy"])
    ce = line_labelled(ax, "CE optimum")
    np.testing.assert_allclose(np.c_[ce.get_xdata(), ce.get_ydata()], [[H_Y, H_Y]])
    labels = [t.get_text() for t in ax.texts if "varepsilon" in t.get_text()]
    assert 3 <= len(labels) < len(path)  # a few ε, not all
    fine = plots.plot_theory_schematic(H_Y, K, ls_path(np.linspace(0, 1, 41))).axes[0]
    fine_eps = [float(t.get_text()[len(r"$\varepsilon=") : -1]) for t in fine.texts if "varepsilon" in t.get_text()]
    assert fine_eps[0] == 0 and all(round(e, 2) == e for e in fine_eps)  # round ε on a 0.025 grid
    assert "nats" in ax.get_xlabel() and "nats" in ax.get_ylabel()


def test_information_plane_shows_every_run_with_coef_colour_and_objective_marker():
    runs = runs_table()
    fig = plots.plot_information_plane(runs, ls_path(), H_Y, "CIFAR-10 / ResNet-56")
    ax, cbar_ax = fig.axes  # the plane and its colourbar
    assert cbar_ax.get_ylabel() == plots.style.COEF_LABEL
    assert ax.get_title() == "CIFAR-10 / ResNet-56"
    assert_ib_curve(ax, H_Y, 1.15 * H_Y)
    points = scatters(ax)
    assert set(points) == {"CE", "LS", "CP", "VIB"}
    for objective, name in (("ce", "CE"), ("ls", "LS"), ("cp", "CP"), ("vib", "VIB")):
        sub = runs[runs["objective"] == objective]
        np.testing.assert_allclose(points[name].get_offsets(), sub[["i_xz", "i_zy"]].to_numpy())
        np.testing.assert_allclose(points[name].get_array(), sub["coef"])
        assert points[name].norm.vmax == runs["coef"].max()
    ls = line_labelled(ax, "LS optimum")
    assert ls.get_linestyle() == "--"


def test_information_plane_with_a_single_run_or_some_objectives():
    one = runs_table(objectives=("ce",), seeds=1)
    fig = plots.plot_information_plane(one, ls_path(), H_Y, "one run")
    assert len(fig.axes) == 2 and set(scatters(fig.axes[0])) == {"CE"}
    fig = plots.plot_information_plane(runs_table(objectives=("ls", "vib")), ls_path(), H_Y, "two")
    assert set(scatters(fig.axes[0])) == {"LS", "VIB"}
    with pytest.raises(ValueError, match="unknown objectives"):
        plots.plot_information_plane(one.assign(objective="mixup"), ls_path(), H_Y, "bad")


def test_ib_vs_ls_draws_curve_markers_per_variant_and_reference_lines():
    path, ib, i_xy = ls_path(np.array([0, 0.01, 0.05, 0.1, 0.3, 0.6, 1.0])), ib_table(), 2.15
    fig = plots.plot_ib_vs_ls(path, ib, H_Y, i_xy)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        ls = line_labelled(ax, "LS optimum, uniform $r$ (Prop. 4.5)")
        np.testing.assert_allclose(np.c_[ls.get_xdata(), ls.get_ydata()], path[["i_xz", "i_zy"]])
        flat = [ln.get_ydata() for ln in ax.get_lines() if len(ln.get_ydata()) == 2 and np.ptp(ln.get_ydata()) == 0]
        assert sorted(y[0] for y in flat) == pytest.approx(sorted([H_Y, i_xy]))
        points = scatters(ax)
        for variant, name in (("plain", "IB Lagrangian"), ("squared", "squared IB Lagrangian")):
            sub = ib[ib["variant"] == variant]
            np.testing.assert_allclose(points[name].get_offsets(), sub[["i_xz", "i_zy"]].to_numpy())
            hollow = points[name].get_facecolors()[:, 3] == 0
            np.testing.assert_array_equal(hollow, ~sub["converged"].to_numpy())
    full, zoom = fig.axes
    eps_labels = [t.get_text() for t in full.texts if "varepsilon" in t.get_text()]
    assert eps_labels[0] == r"$\varepsilon=0$" and set(eps_labels) <= {rf"$\varepsilon={e:g}$" for e in path["eps"]}
    assert zoom.get_ylim()[0] == pytest.approx(0.8 * i_xy) and zoom.get_ylim()[1] > H_Y
    assert "not converged" in [t.get_text() for t in fig.legends[0].get_texts()]


# ---------------------------------------------------------------- E3


def errorbar_by_label(ax) -> dict[str, ErrorbarContainer]:
    return {c.get_label(): c for c in ax.containers if isinstance(c, ErrorbarContainer)}


def test_probe_accuracy_error_bars_are_sd_over_seeds():
    probes = probes_table()
    fig = plots.plot_probe_accuracy(probes)
    (ax,) = fig.axes
    bars = errorbar_by_label(ax)
    assert set(bars) == {"CIFAR-10 test (base model)", "MNIST probe (linear)", "MNIST probe (MLP)"}
    base = probes.drop_duplicates(["eps", "seed"]).groupby("eps")["base_test_acc"].agg(["mean", "std"])
    linear = probes[probes["probe"] == "linear"].groupby("eps")["probe_acc"].agg(["mean", "std"])
    for label, stats in (("CIFAR-10 test (base model)", base), ("MNIST probe (linear)", linear)):
        line, _, (segments,) = bars[label]
        np.testing.assert_allclose(line.get_ydata(), stats["mean"])
        np.testing.assert_allclose(line.get_xdata(), stats.index)
        ends = np.array([seg[:, 1] for seg in segments.get_segments()])
        np.testing.assert_allclose(ends, np.c_[stats["mean"] - stats["std"], stats["mean"] + stats["std"]])
    chance = line_labelled(ax, "chance (MNIST)")
    assert chance.get_ydata()[0] == pytest.approx(0.1135) and chance.get_linestyle() == ":"


def test_probe_accuracy_draws_linear_references_at_their_means():
    references = pd.DataFrame(
        [
            {"reference": "untrained", "seed": 0, "probe": "linear", "probe_acc": 0.30, "chance": 0.1},
            {"reference": "untrained", "seed": 1, "probe": "linear", "probe_acc": 0.34, "chance": 0.1},
            {"reference": "untrained", "seed": 0, "probe": "mlp", "probe_acc": 0.90, "chance": 0.1},
            {"reference": "pixels", "seed": 0, "probe": "linear", "probe_acc": 0.63, "chance": 0.1},
        ]
    )
    (ax,) = plots.plot_probe_accuracy(probes_table(), references).axes
    untrained, pixels = (
        line_labelled(ax, "linear probe on untrained network"),
        line_labelled(ax, "linear probe on raw pixels"),
    )
    assert untrained.get_ydata()[0] == pytest.approx(0.32) and untrained.get_linestyle() == "--"
    assert pixels.get_ydata()[0] == pytest.approx(0.63) and pixels.get_linestyle() == "-."
    assert len(ax.get_lines()) == len(plots.plot_probe_accuracy(probes_table()).axes[0].get_lines()) + 2


def test_probe_accuracy_with_one_seed_has_no_error_bars():
    fig = plots.plot_probe_accuracy(probes_table(seeds=1))
    assert all(not c.has_yerr for c in errorbar_by_label(fig.axes[0]).values())


# ---------------------------------------------------------------- E4


def test_gradcam_examples_overlay_each_models_map_on_the_input_and_outline_the_box():
    images, maps = images_and_maps()
    boxes = np.array([[1, 2, 5, 6], [0, 0, 8, 8], [3, 4, 4, 4]])
    fig = plots.plot_gradcam_examples(images, maps, boxes)
    assert len(fig.axes) == 3 * 3 + 1  # n × (input + 2 models) + colourbar
    grid = np.array(fig.axes[:9]).reshape(3, 3)
    assert [ax.get_title() for ax in grid[0]] == ["input", "CE", "LS ε=0.1"]
    for i in range(3):
        (shown,) = grid[i, 0].get_images()
        np.testing.assert_allclose(shown.get_array(), images[i, 0])
        for j, name in enumerate(maps, start=1):
            under, over = grid[i, j].get_images()
            np.testing.assert_allclose(under.get_array(), images[i, 0])
            np.testing.assert_allclose(over.get_array(), maps[name][i])
            assert 0 < over.get_alpha() < 1
        for ax in grid[i]:
            (box,) = [p for p in ax.patches if isinstance(p, Rectangle)]
            top, left, h, w = boxes[i]
            assert box.get_xy() == (left - 0.5, top - 0.5) and (box.get_height(), box.get_width()) == (h, w)
            assert not ax.get_xticks().size and not ax.get_yticks().size


def test_gradcam_examples_accept_uint8_rgb_without_boxes_and_reject_bad_maps():
    images, maps = images_and_maps(n=2, c=3, dtype=np.uint8)
    fig = plots.plot_gradcam_examples(images, maps)
    shown = fig.axes[0].get_images()[0].get_array()
    np.testing.assert_allclose(shown, np.moveaxis(images[0], 0, -1) / 255.0)
    assert not [p for ax in fig.axes for p in ax.patches if isinstance(p, Rectangle)]
    with pytest.raises(ValueError, match="expected"):
        plots.plot_gradcam_examples(images, {"CE": maps["CE"][:1]})


def test_gradcam_grid_has_input_row_then_one_row_per_model_and_seed():
    n = 5
    images, maps = images_and_maps(n=n)
    per_seed = {name: [m, m[::-1], m**2] for name, m in maps.items()}
    fig = plots.plot_gradcam_grid(images, per_seed)
    assert len(fig.axes) == n * (1 + 2 * 3)
    rows = np.array(fig.axes).reshape(7, n)
    assert [r[0].get_ylabel() for r in rows] == ["input"] + ["seed 1", "seed 2", "seed 3"] * 2
    np.testing.assert_allclose(rows[3, 4].get_images()[1].get_array(), per_seed["CE"][2][4])
    np.testing.assert_allclose(rows[4, 0].get_images()[1].get_array(), per_seed["LS ε=0.1"][0][0])
    assert [t.get_text() for t in fig.texts] == ["CE", "LS ε=0.1"]
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in fig.axes)


def test_box_mass_bars_are_mean_and_sd_over_images_and_seeds_per_class_and_overall():
    mass = mass_table()
    fig = plots.plot_box_mass(box_mass_summary(mass))
    (ax,) = fig.axes
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [b.get_label() for b in bars] == ["CE", "LS ε=0.1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "all"]
    for container, model in zip(bars, ["CE", "LS ε=0.1"]):
        sub = mass[mass["model"] == model]
        groups = [sub.loc[sub["class"] == c, "mass"].to_numpy() for c in (0, 1, 2)] + [sub["mass"].to_numpy()]
        mean = np.array([g.mean() for g in groups])
        sd = np.array([g.std(ddof=1) for g in groups])
        np.testing.assert_allclose([r.get_height() for r in container.patches], mean)
        (segments,) = container.errorbar[2]
        ends = np.array([seg[:, 1] for seg in segments.get_segments()])
        np.testing.assert_allclose(ends, np.c_[mean - sd, mean + sd])
    reference = line_labelled(ax, "box area share (uniform map)")
    assert reference.get_ydata()[0] == pytest.approx(0.19)


def test_box_mass_with_one_seed_and_no_area_column():
    fig = plots.plot_box_mass(box_mass_summary(mass_table(seeds=1, with_area=False)))
    (ax,) = fig.axes
    assert all(c.errorbar is not None for c in ax.containers if isinstance(c, BarContainer))  # spread over images
    assert not [ln for ln in ax.get_lines() if ln.get_label() == "box area share (uniform map)"]


# ---------------------------------------------------------------- save_figure


@pytest.mark.filterwarnings("error")
def test_every_figure_saves_as_valid_pdf_and_png_without_temp_files(tmp_path):
    images, maps = images_and_maps(n=4)
    figures = {
        "f1": plots.plot_theory_schematic(H_Y, K, ls_path()),
        "e1": plots.plot_information_plane(runs_table(), ls_path(), H_Y, "E1"),
        "e2": plots.plot_ib_vs_ls(ls_path(), ib_table(), H_Y, 2.15),
        "e3": plots.plot_probe_accuracy(probes_table()),
        "e4": plots.plot_gradcam_examples(images[:2], {k: v[:2] for k, v in maps.items()}, np.full((2, 4), 4)),
        "e4grid": plots.plot_gradcam_grid(images, {k: [v, v] for k, v in maps.items()}),
        "mass": plots.plot_box_mass(box_mass_summary(mass_table())),
    }
    for name, fig in figures.items():
        plots.save_figure(fig, [tmp_path / f"{name}.pdf", tmp_path / "png" / f"{name}.png"])
        assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        assert (tmp_path / "png" / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [f"{n}.pdf" for n in figures] + [f"{n}.png" for n in figures]
    )


def test_save_figure_overwrites_atomically_closes_the_figure_and_rejects_unknown_suffixes(tmp_path):
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    fig = plt.figure()
    plots.save_figure(fig, [target])
    assert target.read_bytes().startswith(PNG_SIGNATURE)
    assert fig.number not in plt.get_fignums()

    fig = plots.plot_theory_schematic(H_Y, K, ls_path())
    with pytest.raises(ValueError, match="figure format"):
        plots.save_figure(fig, [tmp_path / "ok.pdf", tmp_path / "bad.xyz"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]  # nothing written for a bad list


def test_save_figure_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "fig.pdf"
    target.write_bytes(b"%PDF old but complete")
    fig = plots.plot_theory_schematic(H_Y, K, ls_path())

    def broken_savefig(path, **kwargs):
        with open(path, "wb") as f:
            f.write(b"%PDF half")
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        plots.save_figure(fig, [target])
    assert target.read_bytes() == b"%PDF old but complete"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.pdf"]


# ---------------------------------------------------------------- E1 optima and E5 paths


def test_information_plane_draws_each_objectives_optimum_path_and_trained_points():
    runs = runs_table()
    optima = pd.DataFrame(
        {
            "objective": ["cp", "cp", "cp", "vib", "vib"],
            "coef": [0.1, 0.5, 1.0, 0.01, 0.1],
            "i_xz": [2.2, 1.0, 0.5, 2.3, 2.3],
            "i_zy": [2.2, 1.0, 0.5, 2.3, 2.3],
            "trained": [False, True, True, True, True],
        }
    )
    fig = plots.plot_information_plane(runs, ls_path(), H_Y, "with optima", optima=optima)
    ax = fig.axes[0]
    for objective, name in (("cp", "CP optimum"), ("vib", "VIB optimum")):
        sub = optima[optima["objective"] == objective]
        line = line_labelled(ax, name)
        np.testing.assert_allclose(np.c_[line.get_xdata(), line.get_ydata()], sub[["i_xz", "i_zy"]])
    hollow = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_label().startswith("_")]
    drawn = np.concatenate([c.get_offsets() for c in hollow])
    assert sorted(map(tuple, drawn)) == sorted(map(tuple, optima[optima["trained"]][["i_xz", "i_zy"]].to_numpy()))
    assert set(scatters(ax)) - {c.get_label() for c in hollow} == {"CE", "LS", "CP", "VIB"}


def test_objective_paths_draw_every_family_and_the_frontier_in_both_panels():
    from lsib.info.frontier import FAMILIES

    x = np.linspace(0, 2, 5)
    paths = pd.concat([pd.DataFrame({"family": f, "coef": x, "i_xz": x, "i_zy": 0.9 * x}) for f in FAMILIES])
    frontier = pd.DataFrame(
        {
            "variant": ["plain", "plain", "squared", "iterative"],
            "i_xz": [0.0, 1.0, 1.8, 2.3],
            "i_zy": [0.0, 0.97, 1.2, 2.05],
        }
    )
    fig = plots.plot_objective_paths(paths, frontier, H_Y, 2.15)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        front = line_labelled(ax, "IB frontier")
        np.testing.assert_allclose(front.get_xdata(), [0.0, 1.0, 1.8, 2.3])  # every point is Pareto here
        labels = {ln.get_label() for ln in ax.get_lines()}
        assert {name for name, _, _ in plots.style.PATH_STYLES.values()} <= labels
    assert fig.axes[1].get_ylim()[0] == pytest.approx(0.8 * 2.15)
