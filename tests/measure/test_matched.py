"""Matched-compression comparison: nearest-LS matching, seed pairing, the t interval and test by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lsib.measure.benefits import benefit_columns
from lsib.measure.matched import matched_comparison

#: The measure columns of the benefits table at the paper's attack ε (train Î(X;Z) is the matching variable).
BENEFIT_MEASURES = [c for c in benefit_columns((1, 2, 4, 8)) if c != "train_i_xz"]


def rows(objective, coef, i_xz, ece):
    """One row per seed 0, 1, 2 with the given train Î(X;Z) and test ECE per seed."""
    return [
        {
            "dataset": "d",
            "model": "resnet8",
            "objective": objective,
            "coef": coef,
            "seed": seed,
            "train_i_xz": x,
            "test_ece": e,
        }
        for seed, x, e in zip((0, 1, 2), i_xz, ece)
    ]


def three_seed_table() -> pd.DataFrame:
    """CE at Î(X;Z) ≈ 2.0; LS ε=0.1 at ≈ 1.9 (the nearest), ε=0.4 at ≈ 1.2."""
    return pd.DataFrame(
        rows("ce", 0.0, (2.00, 2.02, 1.98), (0.10, 0.14, 0.12))
        + rows("ls", 0.1, (1.90, 1.91, 1.89), (0.05, 0.08, 0.08))
        + rows("ls", 0.4, (1.20, 1.21, 1.19), (0.01, 0.02, 0.03))
    )


def test_three_seeds_against_a_hand_computed_paired_t_interval_and_test():
    out = matched_comparison(three_seed_table(), measures=["test_ece"])
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["objective"], row["coef"], row["ls_coef"], row["measure"]) == ("ce", 0.0, 0.1, "test_ece")
    assert row["i_xz"] == pytest.approx(2.0)
    assert row["ls_i_xz"] == pytest.approx(1.9)
    assert row["mean"] == pytest.approx(0.12)
    assert row["ls_mean"] == pytest.approx(0.07)
    # paired differences 0.05, 0.06, 0.04: mean 0.05, sd 0.01
    assert row["diff"] == pytest.approx(0.05)
    half = stats.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)  # 4.302653 · 0.005774 = 0.024841
    assert half == pytest.approx(0.024841, abs=1e-6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.05 - half, 0.05 + half))
    # t = 0.05 / (0.01/√3) = 5√3; with 2 dof the two-sided p is 1 − t/√(2 + t²) = 1 − 5√3/√77
    assert row["p_value"] == pytest.approx(1 - 5 * math.sqrt(3) / math.sqrt(77))
    assert row["n_seeds"] == 3


def test_matching_picks_the_ls_coefficient_with_the_nearest_seed_mean_compression():
    table = pd.concat(
        [
            three_seed_table(),
            pd.DataFrame(rows("vib", 0.5, (1.30, 1.40, 1.30), (0.2, 0.2, 0.2))),  # mean 1.333: ε=0.4
            pd.DataFrame(rows("cp", 1.0, (1.70, 1.70, 1.70), (0.2, 0.2, 0.2))),  # 1.7: ε=0.1 (0.2 vs 0.5 away)
        ]
    )
    out = matched_comparison(table, measures=["test_ece"]).set_index("objective")
    assert out.loc["vib", "ls_coef"] == 0.4
    assert out.loc["vib", "i_xz"] == pytest.approx(4.0 / 3)
    assert out.loc["cp", "ls_coef"] == 0.1
    assert out.loc["ce", "ls_coef"] == 0.1
    assert list(out.index) == ["ce", "cp", "vib"]  # lsib.names.OBJECTIVES order, LS itself not compared


def test_pairing_is_by_seed_whatever_the_row_order():
    table = three_seed_table()
    out = matched_comparison(table, measures=["test_ece"])
    shuffled = matched_comparison(table.sample(frac=1, random_state=3), measures=["test_ece"])
    pd.testing.assert_frame_equal(out, shuffled)


def test_only_the_seeds_both_have_are_paired():
    table = three_seed_table()
    table = table[~((table["objective"] == "ce") & (table["seed"] == 0))]  # CE has seeds 1, 2 only
    row = matched_comparison(table, measures=["test_ece"]).iloc[0]
    assert row["n_seeds"] == 2
    assert row["mean"] == pytest.approx(0.13)  # (0.14 + 0.12) / 2
    assert row["ls_mean"] == pytest.approx(0.08)  # LS seeds 1, 2 only
    assert row["diff"] == pytest.approx(0.05)
    half = stats.t.ppf(0.975, 1) * (0.01 * math.sqrt(2)) / math.sqrt(2)  # differences 0.06, 0.04: sd 0.01·√2
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.05 - half, 0.05 + half))


def test_ls_coefficients_without_a_shared_seed_are_not_candidates():
    table = three_seed_table()
    table.loc[(table["objective"] == "ls") & (table["coef"] == 0.1), "seed"] += 10
    assert matched_comparison(table, measures=["test_ece"]).iloc[0]["ls_coef"] == 0.4
    table.loc[table["objective"] == "ls", "seed"] += 10
    with pytest.raises(ValueError, match="no seed in common"):
        matched_comparison(table, measures=["test_ece"])


def test_one_seed_gives_the_difference_but_no_interval_or_p_value():
    table = three_seed_table()
    row = matched_comparison(table[table["seed"] == 2], measures=["test_ece"]).iloc[0]
    assert row["n_seeds"] == 1
    assert row["diff"] == pytest.approx(0.04)
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"]) and math.isnan(row["p_value"])


def test_one_row_per_compared_run_and_measure_by_default_every_benefit_measure():
    table = three_seed_table()
    rng = np.random.default_rng(0)
    for column in BENEFIT_MEASURES:
        table[column] = rng.random(len(table))
    table = table[["dataset", "model", "objective", "coef", "seed", "train_i_xz", *BENEFIT_MEASURES]]
    out = matched_comparison(table)
    assert list(out["measure"]) == BENEFIT_MEASURES
    assert list(out.columns) == [
        "dataset",
        "model",
        "objective",
        "coef",
        "ls_coef",
        "i_xz",
        "ls_i_xz",
        "measure",
        "mean",
        "ls_mean",
        "diff",
        "ci_low",
        "ci_high",
        "p_value",
        "n_seeds",
    ]
    assert "train_i_xz" not in BENEFIT_MEASURES  # the matching variable, reported as i_xz


def test_matching_stays_within_a_data_set_and_model():
    other = three_seed_table().assign(dataset="e")
    other.loc[other["objective"] == "ls", "train_i_xz"] -= 1.0  # e's LS runs are elsewhere
    other = other[~((other["objective"] == "ls") & (other["coef"] == 0.4))]
    out = matched_comparison(pd.concat([three_seed_table(), other]), measures=["test_ece"]).set_index("dataset")
    assert out.loc["d", "ls_i_xz"] == pytest.approx(1.9)
    assert out.loc["e", "ls_i_xz"] == pytest.approx(0.9)


def test_only_ls_runs_give_an_empty_table_and_bad_tables_fail():
    table = three_seed_table()
    assert matched_comparison(table[table["objective"] == "ls"], measures=["test_ece"]).empty
    with pytest.raises(ValueError, match="no 'ls' runs"):
        matched_comparison(table[table["objective"] == "ce"], measures=["test_ece"])
    with pytest.raises(ValueError, match="missing columns.*gap_acc"):
        matched_comparison(table, measures=["gap_acc"])
    with pytest.raises(ValueError, match="more than one row"):
        matched_comparison(pd.concat([table, table.iloc[:1]]), measures=["test_ece"])
