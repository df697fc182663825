"""Models of SPEC §6: sizes, shapes, the features/head contract, option-A shortcuts."""

from __future__ import annotations

import math

import pytest
import torch

from lsib.models import MODEL_NAMES, build_model
from lsib.models.cct import DropPath, sinusoidal_embedding
from lsib.models.resnet import ZeroPadShortcut


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("name", "expected"), [("resnet20", 0.27e6), ("resnet56", 0.85e6)])
def test_resnet_parameter_counts_match_he_et_al(name: str, expected: float) -> None:
    count = n_params(build_model(name, 10, 3, 32))
    assert abs(count - expected) / expected < 0.02
    exact = {"resnet20": 0.272e6, "resnet56": 0.853e6}[name]
    assert abs(count - exact) / exact < 0.02


def test_resnet_depths() -> None:
    for name, blocks in [("resnet8", 1), ("resnet20", 3), ("resnet56", 9)]:
        model = build_model(name, 10, 3, 32)
        convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
        assert len(convs) + 1 == 6 * blocks + 2
        assert len(model.last_stage) == blocks


SHAPE_CASES = [
    ("resnet8", 1, 28),
    ("resnet20", 1, 28),
    ("resnet56", 3, 32),
    ("cct_7_7x2", 3, 224),
    ("cct_tiny", 1, 28),
]


def test_shape_cases_cover_every_model() -> None:
    assert sorted(c[0] for c in SHAPE_CASES) == sorted(MODEL_NAMES)


@pytest.mark.parametrize(("name", "channels", "size"), SHAPE_CASES)
def test_output_and_feature_shapes(name: str, channels: int, size: int) -> None:
    torch.manual_seed(0)
    model = build_model(name, 7, channels, size).eval()
    x = torch.randn(2, channels, size, size)
    with torch.no_grad():
        logits, feats = model(x), model.features(x)
    assert logits.shape == (2, 7)
    assert feats.shape == (2, model.feature_dim) == (2, model.head.in_features)
    assert model.head.out_features == 7
    torch.testing.assert_close(model.head(feats), logits)


def test_resnet_last_stage_is_the_final_feature_map() -> None:
    model = build_model("resnet20", 10, 3, 32).eval()
    captured = {}
    model.last_stage.register_forward_hook(lambda m, i, o: captured.update(out=o))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feats = model.features(x)
    assert captured["out"].shape == (2, 64, 8, 8)
    torch.testing.assert_close(captured["out"].mean(dim=(2, 3)), feats)


def test_zero_pad_shortcut_is_parameter_free_subsample_and_pad() -> None:
    shortcut = ZeroPadShortcut(16, 32, 2)
    assert n_params(shortcut) == 0
    x = torch.randn(2, 16, 8, 8)
    out = shortcut(x)
    assert out.shape == (2, 32, 4, 4)
    torch.testing.assert_close(out[:, :16], x[:, :, ::2, ::2])
    assert torch.count_nonzero(out[:, 16:]) == 0
    model = build_model("resnet56", 10, 3, 32)
    shortcuts = [m for m in model.modules() if isinstance(m, ZeroPadShortcut)]
    assert len(shortcuts) == 2 and all(n_params(s) == 0 for s in shortcuts)


def test_cct_7_7x2_architecture() -> None:
    model = build_model("cct_7_7x2", 102, 3, 224)
    assert len(model.blocks) == 7 and model.feature_dim == 256
    assert model.positional_embedding.shape == (1, 196, 256)
    block = model.blocks[0]
    assert block.heads == 4 and block.linear1.out_features == 512
    convs = [m for m in model.tokenizer.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(7, 7), (7, 7)]
    assert "positional_embedding" not in dict(model.named_parameters())


def test_sinusoidal_embedding_formula() -> None:
    pe = sinusoidal_embedding(5, 8)[0]
    p, i = 3, 5  # odd i → cos, exponent uses 2·⌊i/2⌋ = 4
    assert pe[p, i].item() == pytest.approx(math.cos(p / 10000 ** (4 / 8)), rel=1e-6)
    assert pe[p, 4].item() == pytest.approx(math.sin(p / 10000 ** (4 / 8)), rel=1e-6)


def test_drop_path_is_identity_in_eval_and_drops_whole_samples_in_training() -> None:
    layer = DropPath(0.5)
    x = torch.ones(1000, 3, 4)
    assert torch.equal(layer.eval()(x), x)
    out = layer.train()(x)
    per_sample = out.flatten(1)
    assert set(per_sample.unique().tolist()) == {0.0, 2.0}
    assert torch.all(per_sample.min(1).values == per_sample.max(1).values)


def test_unknown_model_name_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="resnet56.*cct_tiny"):
        build_model("vgg16", 10, 3, 32)


def test_drop_path_under_bf16_autocast_draws_and_rescales_in_float32() -> None:
    layer = DropPath(0.3).train()
    x = torch.randn(4096, 2, 3).bfloat16()
    torch.manual_seed(0)
    keep = torch.rand(4096, 1, 1) < 0.7  # the float32 draw the mask must use
    torch.manual_seed(0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = layer(x)
    assert out.dtype == torch.float32
    assert torch.equal(out, x.float() * (keep / torch.tensor(0.7)))  # 1/keep exact in float32, not rounded to bf16
