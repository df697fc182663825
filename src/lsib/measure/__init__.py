"""Measurements of trained runs: outputs and features (exact, float64 softmax), each run's exact
information-plane point (E1), probes on penultimate activations (E3), Grad-CAM saliency (E4),
and what compression buys (E6): test-set information, calibration, adversarial accuracy,
penultimate-layer compression, objectives compared at matched train Î(X;Z).
"""

from lsib.measure.attacks import adversarial_accuracy, fgsm, pgd
from lsib.measure.benefits import benefit_columns, run_benefits
from lsib.measure.calibration import brier, ece, nll
from lsib.measure.compression import beside_probes, compression_measures, projection_arrays, scatter_ratio
from lsib.measure.inference import (
    open_for_inference,
    penultimate_features,
    predict_proba,
)
from lsib.measure.information import content_ids, empirical_data, run_information, split_information
from lsib.measure.matched import matched_comparison
from lsib.measure.probes import (
    chance_level,
    linear_probe,
    mlp_probe,
    pixel_features,
    run_probes,
)
from lsib.measure.saliency import (
    box_mass,
    box_mass_summary,
    choose_images,
    gradcam_maps,
    model_label,
)

__all__ = [
    "adversarial_accuracy",
    "benefit_columns",
    "beside_probes",
    "box_mass",
    "box_mass_summary",
    "brier",
    "chance_level",
    "choose_images",
    "compression_measures",
    "content_ids",
    "ece",
    "empirical_data",
    "fgsm",
    "gradcam_maps",
    "linear_probe",
    "matched_comparison",
    "mlp_probe",
    "model_label",
    "nll",
    "open_for_inference",
    "penultimate_features",
    "pgd",
    "pixel_features",
    "predict_proba",
    "projection_arrays",
    "run_benefits",
    "run_information",
    "run_probes",
    "scatter_ratio",
    "split_information",
]
