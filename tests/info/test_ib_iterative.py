"""The classic iterative IB algorithm against the Adam solver, and every E5 path against the frontier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lsib.info import optima
from lsib.info.frontier import (
    PathGrids,
    gap_table,
    objective_paths,
    pareto_points,
    supporting_line_violation,
    upper_envelope_at,
)
from lsib.info.ib_iterative import iterative_ib
from lsib.info.ib_solver import solve_ib
from lsib.info.information import EmpiricalData, from_annotations, information_plane

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COUNTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cifar10h-counts.npy"
BETAS = [0.5, 0.8, 0.88, 0.94]
#: Tolerance on the Lagrangian between the two solvers (measured on these 400 images: at most
#: 1.1e-5 nats, the iterative algorithm always the lower).
AGREEMENT = 2e-5


@pytest.fixture(scope="module")
def data() -> EmpiricalData:
    """CIFAR-10H's first 400 images (identical label rows merged)."""
    return optima.merge_identical_rows(from_annotations(np.load(COUNTS)[:400]))


@pytest.fixture(scope="module")
def frontiers(data: EmpiricalData) -> Iterator[tuple[dict, dict]]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # restored below: a leaked thread count moves other tests' float sums
    yield iterative_ib(data, BETAS, tol=1e-11), solve_ib(data, BETAS)
    torch.set_num_threads(previous)


def test_iterative_ib_agrees_with_the_adam_solver(frontiers: tuple[dict, dict]) -> None:
    iterative, adam = frontiers
    np.testing.assert_allclose(iterative["loss"], adam["loss"], atol=AGREEMENT)
    np.testing.assert_allclose(iterative["i_xz"], adam["i_xz"], atol=5e-3)  # flat Lagrangian: measured 1.6e-3


def test_iterative_ib_points_are_exact_information_values(data: EmpiricalData, frontiers: tuple[dict, dict]) -> None:
    iterative, _ = frontiers
    np.testing.assert_allclose(iterative["loss"], np.array(BETAS) * iterative["i_xz"] - iterative["i_zy"], atol=1e-14)
    assert (
        iterative["i_zy"] <= np.minimum(iterative["i_xz"], float(information_plane(data.pyx, data)["i_xy"])) + 1e-12
    ).all()


@pytest.fixture(scope="module")
def paths(data: EmpiricalData) -> Iterator[pd.DataFrame]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    grids = PathGrids(
        ls_eps=np.linspace(0, 1, 21),
        temperatures=[0.05, 0.3, 1.0, 3.0],
        cp_betas=[0.05, 0.5, 2.0],
        vib_betas=[0.2, 0.6, 0.9],
        best_smoothing_betas=[0.8, 0.9],
    )
    yield objective_paths(data, grids)
    torch.set_num_threads(previous)


def test_every_path_is_feasible_and_below_the_frontier(
    data: EmpiricalData, paths: pd.DataFrame, frontiers: tuple[dict, dict]
) -> None:
    i_xy = float(information_plane(data.pyx, data)["i_xy"])
    assert set(paths["family"]) == {
        "ls_uniform",
        "ls_marginal",
        "ls_confusion",
        "best_smoothing",
        "sharpening",
        "cp",
        "vib",
    }
    assert (paths["i_zy"] >= -1e-12).all()
    assert (paths["i_zy"] <= np.minimum(paths["i_xz"], i_xy) + 1e-12).all()
    iterative, _ = frontiers
    # Î(Z;Y) ≤ β·Î(X;Z) − L*_β for every β: at or below the frontier within the solvers' agreement
    assert supporting_line_violation(paths, iterative).max() <= AGREEMENT


def test_gap_table_states_gaps_at_equal_compression(paths: pd.DataFrame) -> None:
    frontier = pd.DataFrame({"i_xz": [0.0, 1.0, 2.0], "i_zy": [0.0, 0.98, 1.9]})
    table = gap_table(paths, frontier, [0.5, 1.0])
    at = table[table["point"] == "at"].set_index("family")
    uniform = paths[paths["family"] == "ls_uniform"]
    want = np.interp(1.0, *pareto_points(uniform["i_xz"].to_numpy(), uniform["i_zy"].to_numpy()))
    row = at.loc["ls_uniform"].iloc[1]
    assert row["i_zy"] == pytest.approx(want, abs=1e-15)
    assert row["gap"] == pytest.approx(0.98 - want, abs=1e-15)
    assert (at.loc["ls_uniform", "gap_closed"] == 0).all()
    ends = table[table["point"] == "end"].set_index("family")
    assert ends.loc["ls_uniform", "i_xz"] == pytest.approx(uniform["i_xz"].max())


def test_upper_envelope_against_brute_force() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 2, 30), rng.uniform(0, 2, 30)
    xs, ys = pareto_points(x, y)
    for i in range(len(x)):  # a point is Pareto iff nothing left of it is higher
        assert (x[i] in xs) == bool((y[i] > y[x < x[i]]).all() and not ((x == x[i]) & (y > y[i])).any())
    grid = np.linspace(-0.5, 2.5, 50)
    env = upper_envelope_at(grid, x, y)
    assert np.isnan(env[(grid < x.min()) | (grid > x.max())]).all()
    assert (upper_envelope_at(grid, x, y, hold=True)[grid > x.max()] == ys[-1]).all()


def test_e2_gaps_compare_at_equal_compression_and_stop_where_ls_ends() -> None:
    from lsib.info.frontier import ls_gaps_at_equal_compression

    ls_path = pd.DataFrame({"eps": [1.0, 0.5, 0.0], "i_xz": [0.0, 1.0, 2.0], "i_zy": [0.0, 0.9, 1.6]})
    ib = pd.DataFrame(
        {
            "variant": ["plain", "plain", "squared"],
            "beta": [0.9, 0.5, 1.0],
            "i_xz": [1.5, 2.2, 0.5],
            "i_zy": [1.4, 2.0, 0.5],
        }
    )
    table = ls_gaps_at_equal_compression(ib, ls_path)
    np.testing.assert_allclose(table["ls_i_zy"].to_numpy(), [1.25, np.nan, 0.45])
    np.testing.assert_allclose(table["gap"].to_numpy(), [0.15, np.nan, 0.05])
    assert (table["ls_end_i_xz"] == 2.0).all() and (table["ls_end_i_zy"] == 1.6).all()


def test_iterative_ib_logs_each_beta_of_both_sweeps(data: EmpiricalData) -> None:
    lines: list[str] = []
    quiet = iterative_ib(data, BETAS[:2], max_iters=50)
    logged = iterative_ib(data, BETAS[:2], max_iters=50, log=lines.append)
    assert len(lines) == 4 and all(line.startswith("iterative IB: β=") for line in lines)
    np.testing.assert_array_equal(quiet["loss"], logged["loss"])  # logging changes nothing
