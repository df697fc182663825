"""FGSM and PGD: FGSM's closed form on a linear softmax model, PGD never weaker, budgets kept."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lsib.measure.attacks import adversarial_accuracy, fgsm, pgd, unit_noise
from lsib.measure.inference import predict_proba
from lsib.models.forward import normalize

MEAN, STD = torch.tensor([0.3]), torch.tensor([0.5])


def linear_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3))


def small_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, 4)
    ).eval()


def pixel_forward(model: nn.Module):
    return lambda x: model(normalize(x, MEAN, STD))


def test_fgsm_on_a_linear_softmax_model_is_its_closed_form() -> None:
    """logits = W (x − m)/s + b ⇒ ∇ₓ CE = Wᵀ(p − e_y)/s, so x' = clip(x + ε sign(Wᵀ(p − e_y)))."""
    model = linear_model()
    x = torch.rand(64, 1, 2, 2, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 3, (64,), generator=torch.Generator().manual_seed(2))
    eps = 4 / 255
    got = fgsm(pixel_forward(model), x, y, eps).numpy()
    w = model[1].weight.detach().double().numpy()
    b = model[1].bias.detach().double().numpy()
    flat = x.double().numpy().reshape(64, 4)
    logits = (flat - 0.3) / 0.5 @ w.T + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    grad = (p - np.eye(3)[y.numpy()]) @ w  # rows: Wᵀ(p − e_y); the positive 1/s does not change the sign
    expected = np.clip(flat + eps * np.sign(grad), 0, 1).reshape(64, 1, 2, 2)
    np.testing.assert_allclose(got, expected, atol=1e-7)
    assert (np.abs(got - x.numpy()) > eps / 2).mean() > 0.8  # moved, except where clamped


def own_predictions(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return predict_proba(model, images, MEAN, STD).argmax(1)


def test_pgd_is_never_weaker_than_fgsm_and_clean_accuracy_is_the_model_s() -> None:
    model = small_cnn()
    images = torch.randint(0, 256, (300, 1, 8, 8), generator=torch.Generator().manual_seed(3), dtype=torch.uint8)
    labels = own_predictions(model, images)
    labels[:30] = (labels[:30] + 1) % 4  # some wrong ones: clean accuracy 0.9
    eps = [1, 2, 4, 8, 16]
    acc = adversarial_accuracy(model, images, labels, MEAN, STD, eps, seed=0, batch_size=128)
    assert acc["clean_acc_attacked"] == pytest.approx(0.9)
    for n in eps:
        assert acc[f"pgd_acc_{n}"] <= acc[f"fgsm_acc_{n}"] <= acc["clean_acc_attacked"]
    assert acc["pgd_acc_16"] < acc["fgsm_acc_16"]  # the test can tell the two apart
    assert (
        adversarial_accuracy(model, images, labels, MEAN, STD, eps, seed=0, batch_size=64) == acc
    )  # seeded, whatever the batches


@pytest.mark.parametrize("attack", ["fgsm", "pgd"])
def test_perturbations_stay_in_the_eps_ball_and_the_pixel_range(attack: str) -> None:
    model = small_cnn(1)
    x = torch.rand(50, 1, 8, 8, generator=torch.Generator().manual_seed(4))
    x[:10] = 0.0
    x[10:20] = 1.0  # saturated images: the clamp must act
    y = torch.randint(0, 4, (50,), generator=torch.Generator().manual_seed(5))
    eps = 8 / 255
    if attack == "fgsm":
        adv = fgsm(pixel_forward(model), x, y, eps)
    else:
        adv = pgd(pixel_forward(model), x, y, eps, unit_noise(x.shape, 0))
    assert float((adv - x).abs().max()) <= eps + 1e-7
    assert float(adv.min()) >= 0 and float(adv.max()) <= 1
    assert float((adv - x).abs().max()) > eps / 2
