"""Training (SPEC §6): recipes, objectives, augmentation on the device, the resumable loop,
device settings, checkpoints with provenance, device choice and k jobs per GPU.
"""

from lsib.train.augmentation import augment
from lsib.train.checkpoint import data_fingerprint, load_checkpoint, save_checkpoint
from lsib.train.device import default_device, resolve_device, seed_everything
from lsib.train.gpu_slots import claim_gpu
from lsib.train.loop import Loop, build_loop
from lsib.train.losses import Objective
from lsib.train.recipe import (
    CCT_RECIPE,
    RESNET_RECIPE,
    Recipe,
    learning_rate,
    make_optimizer,
)
from lsib.train.run import CHECKPOINT, METRICS, TrainingDiverged, TrainResult, train
from lsib.train.settings import TrainSettings

__all__ = [
    "CCT_RECIPE",
    "CHECKPOINT",
    "Loop",
    "METRICS",
    "Objective",
    "RESNET_RECIPE",
    "Recipe",
    "TrainResult",
    "TrainSettings",
    "TrainingDiverged",
    "augment",
    "build_loop",
    "claim_gpu",
    "data_fingerprint",
    "default_device",
    "learning_rate",
    "load_checkpoint",
    "make_optimizer",
    "resolve_device",
    "save_checkpoint",
    "seed_everything",
    "train",
]
