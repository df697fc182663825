"""Learning curves: one line per run and panel, marks on unfinished and diverged runs only."""

import numpy as np
import pandas as pd

from lsib import plots
from lsib.plots.curves import PANELS, run_state


def metrics_rows(objective, coef, seed, epochs, total=10, final_loss=None, eval_every=3):
    """metrics.csv rows of one run: falling loss, rising accuracy, test accuracy every ``eval_every``."""
    rows = []
    for e in range(1, epochs + 1):
        test_epoch = e if e == 1 or e % eval_every == 0 or e == total else rows[-1]["test_epoch"]
        rows.append(
            {
                "dataset": "d",
                "model": "resnet8",
                "objective": objective,
                "coef": coef,
                "seed": seed,
                "total_epochs": total,
                "epoch": e,
                "loss": 2.0 / e,
                "train_acc": 1 - 1 / (e + 1),
                "test_acc": 0.5 + 0.01 * test_epoch,
                "test_epoch": test_epoch,
                "lr": 0.1 if e < 8 else 0.01,
                "seconds": 1.0,
            }
        )
    if final_loss is not None:
        rows[-1]["loss"] = final_loss
    return rows


def gids(fig, prefix):
    return [line.get_gid() for ax in fig.axes for line in ax.get_lines() if (line.get_gid() or "").startswith(prefix)]


def test_one_line_per_run_and_panel_and_marks_only_where_due():
    metrics = pd.DataFrame(
        metrics_rows("ce", 0.0, 0, 10)
        + metrics_rows("ls", 0.1, 0, 10)
        + metrics_rows("ls", 0.1, 1, 4)  # unfinished
        + metrics_rows("vib", 0.5, 0, 10, final_loss=5.0)  # diverged: ends above its start
    )
    fig = plots.plot_learning_curves(metrics, title="d")
    assert len(gids(fig, "run ")) == 4 * len(PANELS)
    assert gids(fig, "unfinished ") == ["unfinished LS 0.1, seed 1"] * len(PANELS)
    assert gids(fig, "diverged ") == ["diverged VIB 0.5, seed 0"] * len(PANELS)
    assert len(gids(fig, "end ")) == 4 * len(PANELS)
    test_panel = fig.axes[[c for c, _, _ in PANELS].index("test_acc")]
    ce_test = next(line for line in test_panel.get_lines() if line.get_gid() == "run CE 0, seed 0")
    np.testing.assert_array_equal(ce_test.get_xdata(), [1, 3, 6, 9, 10])  # measured epochs only
    styles = {line.get_gid(): line.get_linestyle() for line in fig.axes[0].get_lines()}
    assert styles["run LS 0.1, seed 0"] != styles["run LS 0.1, seed 1"]


def test_run_state():
    assert run_state(pd.DataFrame(metrics_rows("ce", 0.0, 0, 10)), 10) is None
    assert run_state(pd.DataFrame(metrics_rows("ce", 0.0, 0, 7)), 10) == "unfinished"
    assert run_state(pd.DataFrame(metrics_rows("ce", 0.0, 0, 10, final_loss=float("nan"))), 10) == "diverged"
