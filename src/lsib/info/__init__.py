"""The maths: exact empirical information (SPEC §2), theory curves (§4), every objective's exact
optimum, IB-Lagrangian solvers and the IB frontier (E2, E5). torch and numpy only; no files.
"""

from lsib.info.frontier import (
    PathGrids,
    gap_table,
    ls_gaps_at_equal_compression,
    objective_paths,
    pareto_points,
    training_objective_paths,
    upper_envelope_at,
)
from lsib.info.ib_iterative import iterative_ib
from lsib.info.ib_solver import SolverSettings, solve_ib
from lsib.info.information import (
    EmpiricalData,
    entropy,
    from_annotations,
    from_counts,
    from_pairs,
    information_plane,
    label_entropy,
    mutual_info_xy,
    mutual_info_xz,
    mutual_info_zy,
)
from lsib.info.optima import (
    class_conditional_encoder,
    confusion_smoothing,
    cp_encoder,
    ls_optimal_encoder,
    ls_optimum_path,
    merge_identical_rows,
    sharpened_encoder,
    smoothing_matrix,
)
from lsib.info.theory import ce_point, ib_curve, ls_closed_form, ls_curve_at, uniform
from lsib.info.vib import BestSmoothing, VIBOptimum, best_smoothing, vib_optimum

__all__ = [
    "BestSmoothing",
    "EmpiricalData",
    "PathGrids",
    "SolverSettings",
    "VIBOptimum",
    "best_smoothing",
    "ce_point",
    "class_conditional_encoder",
    "confusion_smoothing",
    "cp_encoder",
    "entropy",
    "from_annotations",
    "from_counts",
    "from_pairs",
    "gap_table",
    "ib_curve",
    "information_plane",
    "iterative_ib",
    "label_entropy",
    "ls_closed_form",
    "ls_curve_at",
    "ls_gaps_at_equal_compression",
    "ls_optimal_encoder",
    "ls_optimum_path",
    "merge_identical_rows",
    "mutual_info_xy",
    "mutual_info_xz",
    "mutual_info_zy",
    "objective_paths",
    "pareto_points",
    "sharpened_encoder",
    "smoothing_matrix",
    "solve_ib",
    "training_objective_paths",
    "uniform",
    "upper_envelope_at",
    "vib_optimum",
]
