"""Models of SPEC §6 behind one constructor, :func:`build_model`; running them on stored images
(:mod:`lsib.models.forward`, shared by training and inference) and saving/loading trained ones.

Every model exposes ``features(x) -> (B, D)`` (the penultimate activations, i.e. the input
of the final linear layer), that layer as ``head``, ``forward(x) = head(features(x))`` and
``feature_dim = D``. ResNets also expose ``last_stage`` (the Grad-CAM target layer).
"""

from lsib.models.build import MODEL_NAMES, build_model
from lsib.models.cct import CCT
from lsib.models.forward import EVAL_BATCH, batched_outputs, normalize
from lsib.models.resnet import CifarResNet
from lsib.models.store import UnreadableModel, architecture, load_trained, save_trained

__all__ = [
    "CCT",
    "CifarResNet",
    "EVAL_BATCH",
    "MODEL_NAMES",
    "UnreadableModel",
    "architecture",
    "batched_outputs",
    "build_model",
    "load_trained",
    "normalize",
    "save_trained",
]
