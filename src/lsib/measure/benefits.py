"""E6: what compression buys — every measure of one trained run beside its information-plane place.

:func:`run_benefits` gathers, for one run, from its dumped outputs ``p(z|x)`` and its model:
test-set Î(X;Z), Î(Z;Y) with train − test gaps (:func:`lsib.measure.information.split_information`),
accuracy and NLL gaps, test ECE and Brier score (:mod:`lsib.measure.calibration`), FGSM/PGD
accuracy on a seeded test subset (:mod:`lsib.measure.attacks`), and the penultimate layer's
compression (:mod:`lsib.measure.compression`) with Müller et al.'s template projection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from lsib.measure.attacks import adversarial_accuracy
from lsib.measure.calibration import brier, ece, nll
from lsib.measure.compression import compression_measures, projection_arrays
from lsib.measure.inference import penultimate_features
from lsib.measure.information import split_information
from lsib.measure.saliency import choose_images

SPLITS = ("train", "test")


def benefit_columns(attack_eps: Sequence[float]) -> list[str]:
    """The measure columns of ``benefits.csv`` in order (after dataset, model, objective, coef, seed)."""
    return [
        *("train_i_xz", "train_i_zy", "test_i_xz", "test_i_zy", "gap_i_zy"),
        *("train_acc", "test_acc", "gap_acc", "train_nll", "test_nll", "gap_nll", "test_ece", "test_brier"),
        *(f"{attack}_acc_{n:g}" for attack in ("fgsm", "pgd") for n in attack_eps),
        *("clean_acc_attacked", "scatter_ratio_train", "scatter_ratio_test", "own_probe_acc"),
    ]


def run_benefits(
    model: nn.Module,
    data: Mapping[str, Any],
    outputs: Mapping[str, torch.Tensor],
    device: torch.device | str | None,
    *,
    n_attack: int | None,
    attack_eps: Sequence[float],
    pgd_steps: int,
    attack_seed: int,
    probe: Mapping[str, Any],
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The E6 measures of one run (in :func:`benefit_columns` order) and its projection arrays.

    ``data``: a data set of :func:`lsib.data.datasets.load`; ``outputs``: the run's dump
    (``train_proba``, ``test_proba``). Gaps are train − test. Attacks run on ``n_attack`` test
    images (all when None) chosen with ``attack_seed`` (:func:`lsib.measure.saliency.choose_images`),
    ε = n/255 for n in ``attack_eps``, PGD with ``pgd_steps`` steps and starts seeded by ``attack_seed``.
    ``probe``: keywords of the own-label :func:`lsib.measure.probes.linear_probe`.
    """
    k = len(data["classes"])
    row: dict[str, float] = {}
    for split in SPLITS:
        info = split_information(outputs[f"{split}_proba"], data[f"{split}_x"], data[f"{split}_y"], k)
        row[f"{split}_i_xz"], row[f"{split}_i_zy"] = info["i_xz"], info["i_zy"]
    row["gap_i_zy"] = row["train_i_zy"] - row["test_i_zy"]
    for measure, fn in (("acc", _accuracy), ("nll", nll)):
        for split in SPLITS:
            row[f"{split}_{measure}"] = fn(outputs[f"{split}_proba"], data[f"{split}_y"])
        row[f"gap_{measure}"] = row[f"train_{measure}"] - row[f"test_{measure}"]
    row["test_ece"] = ece(outputs["test_proba"], data["test_y"])
    row["test_brier"] = brier(outputs["test_proba"], data["test_y"])
    subset = torch.from_numpy(choose_images(len(data["test_y"]), n_attack, attack_seed))
    row |= adversarial_accuracy(
        model,
        data["test_x"][subset],
        data["test_y"][subset],
        data["mean"],
        data["std"],
        attack_eps,
        attack_seed,
        device,
        steps=pgd_steps,
    )
    features = {
        split: (
            penultimate_features(model, data[f"{split}_x"], data["mean"], data["std"], device=device).numpy(),
            data[f"{split}_y"].numpy(),
        )
        for split in SPLITS
    }
    row |= compression_measures(*features["train"], *features["test"], probe)
    projection = projection_arrays(features["train"], features["test"], model.head.weight.detach().cpu().numpy())
    return {column: row[column] for column in benefit_columns(attack_eps)}, projection


def _accuracy(proba: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of examples whose most probable class is the label."""
    return float((torch.as_tensor(proba).argmax(1) == torch.as_tensor(labels)).double().mean())
