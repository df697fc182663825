"""run_benefits: one run's every E6 measure, in the table's order, consistent with the parts it reuses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lsib.measure.benefits import benefit_columns, run_benefits
from lsib.measure.inference import predict_proba
from lsib.measure.information import empirical_data, run_information
from lsib.models.build import build_model


def tiny_data() -> dict:
    g = torch.Generator().manual_seed(0)
    return {
        "train_x": torch.randint(0, 256, (40, 1, 8, 8), generator=g, dtype=torch.uint8),
        "train_y": torch.arange(40) % 4,
        "test_x": torch.randint(0, 256, (30, 1, 8, 8), generator=g, dtype=torch.uint8),
        "test_y": torch.arange(30) % 4,
        "classes": ["a", "b", "c", "d"],
        "mean": [0.5],
        "std": [0.25],
    }


def test_run_benefits_fills_every_column_consistently(one_torch_thread: None) -> None:
    torch.manual_seed(0)
    model = build_model("resnet8", 4, 1, 8)
    data = tiny_data()
    outputs = {f"{s}_proba": predict_proba(model, data[f"{s}_x"], data["mean"], data["std"]) for s in ("train", "test")}
    row, projection = run_benefits(
        model, data, outputs, "cpu", n_attack=20, attack_eps=[1, 8], pgd_steps=3, attack_seed=0, probe={"max_iter": 50}
    )
    assert list(row) == benefit_columns([1, 8])
    assert all(math.isfinite(v) for v in row.values())
    empirical, first = empirical_data(data["train_x"], data["train_y"], 4)
    train_point = run_information(outputs["train_proba"], empirical, first, "ce", 0.0)
    assert row["train_i_xz"] == pytest.approx(train_point["i_xz"], abs=1e-12)
    assert row["gap_acc"] == pytest.approx(row["train_acc"] - row["test_acc"])
    assert row["gap_nll"] == pytest.approx(row["train_nll"] - row["test_nll"])
    assert row["pgd_acc_8"] <= row["fgsm_acc_8"] + 1e-12 and 0 <= row["test_ece"] <= 1
    assert projection["train_xy"].shape == (30, 2) and projection["test_xy"].shape == (
        8 + 8 + 7,
        2,
    )  # classes 0, 1, 2 of the test set
    np.testing.assert_array_equal(projection["classes"], [0, 1, 2])
