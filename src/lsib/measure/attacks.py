"""Adversarial accuracy under L∞ FGSM and PGD in pixel space (E6).

The attacked function is ``f(x) = model(normalize(x))`` on images ``x ∈ [0, 1]^{C×H×W}``, the
normalisation inside (:func:`lsib.models.forward.normalize`), so ε is measured in pixel units
(ε = n/255 moves each pixel by at most n grey levels). With ``L(x) = CE(f(x), y)``:

- FGSM (Goodfellow et al. 2015): ``x' = clip_[0,1](x + ε · sign ∇ₓ L(x))``;
- PGD (Madry et al. 2018), ``steps`` steps of size ``α = 2.5 ε / steps`` from a random start
  ``x⁰ = clip_[0,1](x + U(−ε, ε))``: ``x^{t+1} = clip_[0,1](Π_ε(x^t + α · sign ∇ₓ L(x^t)))``,
  ``Π_ε`` the projection on the L∞ ball of radius ε around x.

The model runs as every measurement does (:func:`lsib.measure.inference.evaluating`: eval mode,
exact float32, contiguous); the
random start comes from a seeded CPU ``torch.Generator`` (:func:`unit_noise`), so it is the same on every device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from lsib.measure.inference import evaluating
from lsib.models.forward import channel_tensors, normalize

Forward = Callable[[torch.Tensor], torch.Tensor]

PGD_STEPS = 10


def _loss_gradient(forward: Forward, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``∇ₓ Σ_i CE(f(x_i), y_i)`` (a sum, so each image's gradient is its own)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = nn.functional.cross_entropy(forward(x), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(forward: Forward, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """``clip_[0,1](x + ε · sign ∇ₓ CE(f(x), y))``."""
    return (x + eps * _loss_gradient(forward, x, y).sign()).clamp(0, 1).detach()


def pgd(
    forward: Forward,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    unit_noise: torch.Tensor,
    steps: int = PGD_STEPS,
) -> torch.Tensor:
    """L∞ PGD from the random start ``x + ε · unit_noise`` (noise uniform in [−1, 1], x's shape),
    ``steps`` steps of ``α = 2.5 ε / steps``."""
    alpha = 2.5 * eps / steps
    adv = (x + eps * unit_noise.to(x.device)).clamp(0, 1)
    for _ in range(steps):
        adv = adv + alpha * _loss_gradient(forward, adv, y).sign()
        adv = torch.minimum(torch.maximum(adv, x - eps), x + eps).clamp(0, 1).detach()
    return adv


def unit_noise(shape: Sequence[int], seed: int) -> torch.Tensor:
    """Uniform noise in [−1, 1] of ``shape`` from a CPU generator seeded with ``seed`` (any device, same draw)."""
    return torch.empty(tuple(shape)).uniform_(-1, 1, generator=torch.Generator().manual_seed(seed))


def adversarial_accuracy(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    mean: Any,
    std: Any,
    eps_list: Sequence[float],
    seed: int,
    device: torch.device | str | None = None,
    *,
    steps: int = PGD_STEPS,
    batch_size: int = 256,
) -> dict[str, float]:
    """Accuracy of ``model`` on ``images`` (uint8) without attack and under FGSM and PGD at each ε.

    ``eps_list`` holds ε in grey levels: ε = n/255 for each n. Returns ``clean_acc_attacked`` and
    ``fgsm_acc_<n>``, ``pgd_acc_<n>`` for each n (formatted ``:g``). PGD's random start is
    ``ε · u`` with one :func:`unit_noise` ``u`` per image (seeded with ``seed``, drawn once for all
    images, so the result does not depend on ``batch_size``; it takes 4 bytes per pixel).
    """
    noise = unit_noise(images.shape, seed)
    correct = {"clean_acc_attacked": 0} | {f"{a}_acc_{n:g}": 0 for n in eps_list for a in ("fgsm", "pgd")}
    with evaluating(model, device) as device:
        mean_t, std_t = channel_tensors({"mean": mean, "std": std}, device)

        def forward(x: torch.Tensor) -> torch.Tensor:
            return model(normalize(x, mean_t, std_t))

        for start in range(0, len(images), batch_size):
            x = images[start : start + batch_size].to(device).float().div_(255)
            y = labels[start : start + batch_size].to(device)
            u = noise[start : start + batch_size]

            def hits(adv: torch.Tensor, y: torch.Tensor = y) -> int:
                with torch.no_grad():
                    return int((forward(adv).argmax(1) == y).sum())

            correct["clean_acc_attacked"] += hits(x)
            for n in eps_list:
                correct[f"fgsm_acc_{n:g}"] += hits(fgsm(forward, x, y, n / 255))
                correct[f"pgd_acc_{n:g}"] += hits(pgd(forward, x, y, n / 255, u, steps))
    return {key: count / len(images) for key, count in correct.items()}
