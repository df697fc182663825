"""E6's answer in numbers: every objective against label smoothing at matched train Î(X;Z).

A run's benefits (generalisation gaps, calibration, adversarial accuracy, internal compression)
are only comparable between objectives at the same compression: :func:`matched_comparison`
pairs each CE, CP and VIB coefficient with the LS ε that lands nearest to it on the train-set
information plane and compares them seed by seed. :func:`ci95` is the one 95 % interval of
E6's tables and figures. pandas, numpy and scipy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from scipy import stats

from lsib.names import OBJECTIVES
from lsib.stats import MATCH_ON, ci95

#: The columns that name one trained run in the benefits table; one row per run.
RUN_KEYS: tuple[str, ...] = ("dataset", "model", "objective", "coef", "seed")


def _check_table(table: pd.DataFrame, measures: Sequence[str]) -> None:
    """Every column present, known objectives, one row per run; else ValueError naming what is wrong."""
    missing = sorted((set(RUN_KEYS) | {MATCH_ON} | set(measures)) - set(table.columns))
    if missing:
        raise ValueError(f"benefits table: missing columns {missing}")
    unknown = sorted(set(table["objective"]) - set(OBJECTIVES))
    if unknown:
        raise ValueError(f"benefits table: unknown objectives {unknown}; expected a subset of {list(OBJECTIVES)}")
    repeated = table.duplicated(list(RUN_KEYS), keep=False)
    if repeated.any():
        runs = table.loc[repeated, list(RUN_KEYS)].drop_duplicates().to_dict("records")
        raise ValueError(f"benefits table: more than one row for the runs {runs}")


def matched_comparison(
    table: pd.DataFrame,
    measures: Sequence[str] | None = None,
    reference: str = "ls",
) -> pd.DataFrame:
    """Each non-reference (objective, coef) against the reference coefficient nearest in train Î(X;Z).

    ``table``: the benefits table, one row per run (columns :data:`RUN_KEYS`, :data:`MATCH_ON` and
    ``measures``; by default every other column, in the table's order:
    :func:`lsib.measure.benefits.benefit_columns` but the matching variable). Within each (dataset,
    model), every (objective, coef) whose objective is not ``reference`` (CE, CP, VIB against LS by
    default) is matched to the reference coefficient whose seed-mean train Î(X;Z) is nearest to its
    own seed mean (ties: the smaller coefficient), among the reference coefficients that share at
    least one seed with it. The two are then paired by seed over the seeds both have; for each
    measure ``m``, with ``d_s = m_run(s) − m_ref(s)`` over those ``n`` seeds:

    - ``mean``, ``ls_mean``: the run's and the reference's means over the paired seeds, so
      ``diff = mean − ls_mean = d̄``;
    - ``ci_low``, ``ci_high``: :func:`ci95` of the ``d_s`` (``d̄ ∓ t_{0.975,n−1} s_d/√n``);
    - ``p_value``: the two-sided paired t-test (:func:`scipy.stats.ttest_rel`) of ``d̄ = 0``.

    With one paired seed, ``diff`` is that seed's difference and ``ci_low``, ``ci_high`` and
    ``p_value`` are NaN. Identical differences on every seed (``s_d = 0``) give a zero-width
    interval and scipy's p for it (0, or NaN when every difference is 0).

    Returns one row per compared (dataset, model, objective, coef) and measure, in the order of
    the data set, model, :data:`lsib.names.OBJECTIVES`, coef and ``measures``, with the columns
    dataset, model, objective, coef, ``{reference}_coef``, ``i_xz`` and ``{reference}_i_xz``
    (seed means of train Î(X;Z) over the paired seeds), measure, mean, ``{reference}_mean``,
    diff, ci_low, ci_high, p_value, n_seeds. A table with only reference runs gives an empty
    table; a (dataset, model) with other runs but no reference run, or a run with no seed in
    common with any reference coefficient, raises ValueError.
    """
    measures = [c for c in table.columns if c not in (*RUN_KEYS, MATCH_ON)] if measures is None else list(measures)
    _check_table(table, measures)
    ref = reference
    columns = [
        "dataset",
        "model",
        "objective",
        "coef",
        f"{ref}_coef",
        "i_xz",
        f"{ref}_i_xz",
        "measure",
        "mean",
        f"{ref}_mean",
        "diff",
        "ci_low",
        "ci_high",
        "p_value",
        "n_seeds",
    ]
    rows = []
    for (dataset, model), runs in table.groupby(["dataset", "model"], sort=True):
        others = runs[runs["objective"] != ref]
        if others.empty:
            continue
        refs = {float(c): r.set_index("seed") for c, r in runs[runs["objective"] == ref].groupby("coef", sort=True)}
        if not refs:
            raise ValueError(f"{dataset}/{model}: no {ref!r} runs to match {sorted(set(others['objective']))} against")
        ref_x = {c: float(r[MATCH_ON].mean()) for c, r in refs.items()}
        keyed = others.groupby(["objective", "coef"], sort=False)
        for objective, coef in sorted(keyed.groups, key=lambda k: (OBJECTIVES.index(k[0]), k[1])):
            run = keyed.get_group((objective, coef)).set_index("seed")
            x = float(run[MATCH_ON].mean())
            candidates = [c for c, r in refs.items() if r.index.intersection(run.index).size]
            if not candidates:
                raise ValueError(f"{dataset}/{model} {objective} {coef:g}: no seed in common with any {ref!r} run")
            match = min(candidates, key=lambda c: abs(ref_x[c] - x))
            seeds = run.index.intersection(refs[match].index).sort_values()
            mine, theirs = run.loc[seeds], refs[match].loc[seeds]
            for measure in measures:
                a, b = mine[measure].to_numpy(float), theirs[measure].to_numpy(float)
                diff, low, high = ci95(a - b)
                rows.append(
                    [
                        dataset,
                        model,
                        objective,
                        float(coef),
                        match,
                        float(mine[MATCH_ON].mean()),
                        float(theirs[MATCH_ON].mean()),
                        measure,
                        float(a.mean()),
                        float(b.mean()),
                        diff,
                        low,
                        high,
                        float(stats.ttest_rel(a, b).pvalue) if len(seeds) > 1 else float("nan"),
                        len(seeds),
                    ]
                )
    return pd.DataFrame(rows, columns=columns)
