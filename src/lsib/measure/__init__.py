"""Measurements of trained runs: outputs and features (exact, float64 softmax), each run's exact
information-plane point (E1), probes on penultimate activations (E3), Grad-CAM saliency (E4),
objectives compared at matched train Î(X;Z) (E6).
"""

from lsib.measure.inference import (
    open_for_inference,
    penultimate_features,
    predict_proba,
)
from lsib.measure.information import content_ids, empirical_data, run_information
from lsib.measure.matched import BENEFIT_MEASURES, ci95, matched_comparison
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
    "BENEFIT_MEASURES",
    "box_mass",
    "box_mass_summary",
    "chance_level",
    "choose_images",
    "ci95",
    "content_ids",
    "empirical_data",
    "gradcam_maps",
    "linear_probe",
    "matched_comparison",
    "mlp_probe",
    "model_label",
    "open_for_inference",
    "penultimate_features",
    "pixel_features",
    "predict_proba",
    "run_information",
    "run_probes",
]
