"""Models of SPEC §6 behind one constructor, :func:`build_model`.

Every model exposes ``features(x) -> (B, D)`` (the penultimate activations, i.e. the input
of the final linear layer), that layer as ``head``, ``forward(x) = head(features(x))`` and
``feature_dim = D``. ResNets also expose ``last_stage`` (the Grad-CAM target layer).
"""

from __future__ import annotations

from torch import nn

from lsib.models.cct import cct_2_3x2_tiny, cct_7_7x2
from lsib.models.resnet import resnet8, resnet20, resnet56
from lsib.names import MODELS

MODEL_NAMES = MODELS


def build_model(name: str, num_classes: int, in_channels: int, image_size: int) -> nn.Module:
    """Build model ``name`` (one of :data:`MODEL_NAMES`) for ``in_channels × image_size²`` inputs.

    ResNets pool globally and accept any image size; the CCTs size their positional
    embedding from ``image_size``.
    """
    if name == "resnet8":
        return resnet8(num_classes, in_channels)
    if name == "resnet20":
        return resnet20(num_classes, in_channels)
    if name == "resnet56":
        return resnet56(num_classes, in_channels)
    if name == "cct_7_7x2":
        return cct_7_7x2(num_classes, in_channels, image_size)
    if name == "cct_tiny":
        return cct_2_3x2_tiny(num_classes, in_channels, image_size)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
