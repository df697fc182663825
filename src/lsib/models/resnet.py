"""CIFAR-style ResNets of He et al. 2015, §4.2 (SPEC §6).

A 3×3 stem convolution to ``w`` channels, then three stages of ``n`` basic blocks with
``w, 2w, 4w`` channels (``w = 16`` in the paper) and strides 1, 2, 2, global average
pooling and a linear ``head``: ``6n + 2`` weighted layers (ResNet-20: n = 3, ResNet-56:
n = 9). Shortcuts are identities; where a block halves the resolution and doubles the
width the shortcut subsamples by 2 and zero-pads the new channels ("option A"), so it
carries no parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ZeroPadShortcut(nn.Module):
    """Option-A shortcut: ``x[:, :, ::s, ::s]`` with ``out − in`` zero channels appended."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


class BasicBlock(nn.Module):
    """``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))`` with 3×3 convolutions."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        needs_projection = stride != 1 or in_channels != out_channels
        self.shortcut = ZeroPadShortcut(in_channels, out_channels, stride) if needs_projection else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """ResNet-(6n+2) for small images; ``features`` is the pooled ``4w``-vector fed to ``head``.

    ``last_stage`` (the third stage, output ``(B, 4w, H/4, W/4)``) is the Grad-CAM target.
    """

    def __init__(self, blocks_per_stage: int, num_classes: int, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)
        )
        stages = []
        channels = width
        for stage_index, out_channels in enumerate((width, 2 * width, 4 * width)):
            stride = 1 if stage_index == 0 else 2
            blocks = [BasicBlock(channels, out_channels, stride)]
            blocks += [BasicBlock(out_channels, out_channels, 1) for _ in range(blocks_per_stage - 1)]
            stages.append(nn.Sequential(*blocks))
            channels = out_channels
        self.stage1, self.stage2, self.last_stage = stages
        self.head = nn.Linear(channels, num_classes)
        self.feature_dim = channels
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations ``(B, 4w)``: global average pool of ``last_stage``."""
        x = self.last_stage(self.stage2(self.stage1(self.stem(x))))
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def resnet8(num_classes: int, in_channels: int = 3, width: int = 16) -> CifarResNet:
    """ResNet-8 (n = 1): a small variant for CPU-scale runs (≈0.08 M parameters at w = 16)."""
    return CifarResNet(1, num_classes, in_channels, width)


def resnet20(num_classes: int, in_channels: int = 3) -> CifarResNet:
    """ResNet-20 (n = 3, ≈0.27 M parameters), the Cluttered-MNIST model of SPEC §6."""
    return CifarResNet(3, num_classes, in_channels)


def resnet56(num_classes: int, in_channels: int = 3) -> CifarResNet:
    """ResNet-56 (n = 9, ≈0.85 M parameters), the CIFAR-10 model of SPEC §6."""
    return CifarResNet(9, num_classes, in_channels)
