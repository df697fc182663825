"""lsib: label smoothing as an information bottleneck, with exact information planes (SPEC §1–§7).

The package is layered; each layer imports only those below it (checked by ``lint-imports``,
the ``[tool.importlinter]`` contract in ``pyproject.toml``):

- :mod:`lsib.pipeline` (run plan, code fingerprints, config reference, job logs) and
  :mod:`lsib.plots` (every figure) on top;
- :mod:`lsib.measure`: what a trained run is measured by (dumps, information, probes, Grad-CAM);
- :mod:`lsib.train`: recipes, objectives, augmentation, the resumable loop, devices;
- :mod:`lsib.models`: architectures, the forward pass on stored images, ``model.pt`` files;
- :mod:`lsib.data` (sources and data sets) and :mod:`lsib.info` (the maths);
- the base: :mod:`lsib.atomic` (atomic writes), :mod:`lsib.checks` (input checks),
  :mod:`lsib.names` (the names a config may use).

The entry points below are re-exported lazily (PEP 562), so ``import lsib`` stays cheap and the
torch-free layers (``lsib.pipeline``, ``lsib.checks``) never import torch::

    import lsib
    data = lsib.from_annotations(counts)
    lsib.information_plane(encoder, data)
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name → the subpackage that defines it.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "EmpiricalData",
            "from_annotations",
            "from_counts",
            "from_pairs",
            "information_plane",
            "ib_curve",
            "ls_closed_form",
            "ls_optimum_path",
            "ls_optimal_encoder",
            "cp_encoder",
            "vib_optimum",
            "best_smoothing",
            "solve_ib",
            "SolverSettings",
            "iterative_ib",
            "objective_paths",
            "PathGrids",
        ],
        "lsib.info",
    ),
    **dict.fromkeys(["build_occluded", "build_cluttered"], "lsib.data"),
    **dict.fromkeys(["build_model", "normalize", "load_trained", "save_trained"], "lsib.models"),
    # not ``train``: ``lsib.train`` is the subpackage, its entry point is ``lsib.train.train``
    **dict.fromkeys(
        [
            "Recipe",
            "RESNET_RECIPE",
            "CCT_RECIPE",
            "Objective",
            "TrainSettings",
            "seed_everything",
            "resolve_device",
        ],
        "lsib.train",
    ),
    **dict.fromkeys(
        [
            "predict_proba",
            "penultimate_features",
            "open_for_inference",
            "run_information",
            "run_probes",
            "run_benefits",
            "gradcam_maps",
            "box_mass",
        ],
        "lsib.measure",
    ),
    **dict.fromkeys(
        [
            "plot_theory_schematic",
            "plot_information_plane",
            "plot_learning_curves",
            "plot_ib_vs_ls",
            "plot_objective_paths",
            "plot_probe_accuracy",
            "plot_gradcam_examples",
            "plot_gradcam_grid",
            "plot_box_mass",
            "save_figure",
        ],
        "lsib.plots",
    ),
    **dict.fromkeys(["code_fingerprint"], "lsib.pipeline"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the subpackage of a public name on first use (PEP 562)."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lsib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
