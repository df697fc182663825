"""Inference on a trained model: p(z|x) and penultimate features."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
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


class FlagRecorder(nn.Module):
    """A tiny model whose forward records torch's float32 precision and cuDNN autotuning flags and the memory
    formats it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.widen = nn.Conv2d(1, 3, 1)
        self.conv = nn.Conv2d(3, CLASSES, 3)
        self.seen: list[tuple] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(
            (
                torch.backends.cuda.matmul.allow_tf32,
                torch.backends.cudnn.allow_tf32,
                torch.get_float32_matmul_precision(),
                torch.backends.cudnn.benchmark,
                x.is_contiguous(),
                self.conv.weight.is_contiguous(),
            )
        )
        return self.conv(self.widen(x)).mean((2, 3))

    features = forward


@pytest.mark.parametrize("run", [predict_proba, penultimate_features])
def test_inference_runs_without_tf32_in_the_inputs_format_and_restores_the_flags(run) -> None:
    data = synthetic_data()
    model = FlagRecorder().to(memory_format=torch.channels_last)
    before = torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark
    torch.set_float32_matmul_precision("high")  # the caller allows TF32 (training does)
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True  # and autotunes (a training job alone on its GPU)
    try:
        run(model, data["test_x"], data["mean"], data["std"], batch_size=16)
        flags = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark
        precision = torch.get_float32_matmul_precision()
    finally:
        torch.set_float32_matmul_precision(before[0])
        torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = before[1:]
    assert model.seen == [(False, False, "highest", False, True, True)] * 3
    assert flags == (True, True, True) and precision == "high"  # the caller's flags are back
