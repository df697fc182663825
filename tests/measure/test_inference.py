"""Inference on a trained model: p(z|x) and penultimate features."""

from __future__ import annotations

from pathlib import Path

import torch
from train_helpers import CLASSES, SIZE, synthetic_data

from lsib.measure.inference import penultimate_features, predict_proba
from lsib.models import build_model
from lsib.train.device import seed_everything


def test_predict_proba_and_features(tmp_path: Path) -> None:
    data = synthetic_data()
    seed_everything(0)
    model = build_model("resnet8", CLASSES, 1, SIZE)
    model.train()
    probs = predict_proba(model, data["test_x"], data["mean"], data["std"], batch_size=10)
    feats = penultimate_features(model, data["test_x"], data["mean"], data["std"], batch_size=10)
    assert model.training  # the mode is restored
    assert probs.dtype == torch.float64 and probs.shape == (48, CLASSES)
    torch.testing.assert_close(probs.sum(1), torch.ones(48, dtype=torch.float64))
    assert feats.dtype == torch.float32 and feats.shape == (48, model.feature_dim)
    model.eval()
    with torch.no_grad():
        x = (data["test_x"].float() / 255 - 0.5) / 0.25
        expected = torch.softmax(model(x).double(), dim=1)
        torch.testing.assert_close(feats, model.features(x))
    torch.testing.assert_close(probs, expected)
