"""Compact Convolutional Transformers (Hassani et al. 2021), SPEC §6.

CCT-L/kxc: a convolutional tokenizer of ``c`` blocks ``conv k×k → ReLU → maxpool(3, s=2)``
(conv stride ``max(1, ⌊k/2⌋ − 1)``, padding ``max(1, ⌊k/2⌋)``, no bias) turns an image into
a sequence of ``D``-dim tokens; a fixed sine positional embedding is added, ``L`` transformer
encoder layers follow (CCT's layer: ``x ← LN₁(x + DropPath(MHSA(LN₀(x))))``,
``x ← x + DropPath(W₂ GELU(W₁ x))``), a final LayerNorm, then *sequence pooling*
``z = softmax_n(x w)ᵀ x`` (an attention-weighted mean over tokens) and a linear ``head``.

CCT-7/7x2 (Flowers-102, 224 px): L = 7, k = 7, c = 2, D = 256, 4 heads, MLP ratio 2,
196 tokens.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def sinusoidal_embedding(length: int, dim: int) -> torch.Tensor:
    """``pe[p, i] = sin(p / 10000^(2⌊i/2⌋/D))`` for even ``i``, ``cos(·)`` for odd ``i``: ``(1, length, dim)``."""
    position = torch.arange(length, dtype=torch.float64)[:, None]
    exponent = 2 * torch.div(torch.arange(dim), 2, rounding_mode="floor") / dim
    angle = position / (10000.0**exponent)
    pe = torch.where(torch.arange(dim) % 2 == 0, torch.sin(angle), torch.cos(angle))
    return pe.float()[None]


class DropPath(nn.Module):
    """Stochastic depth: zero a whole residual branch per sample with probability ``p``, scale by ``1/(1−p)``.

    The mask is drawn and scaled in float32 whatever the input's dtype: in bf16 (autocast) the
    uniform draw has 8 bits, which quantises the drop rate, and ``1/(1−p)`` would be rounded.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), dtype=torch.float32, device=x.device) < keep
        return x * (mask / torch.tensor(keep, dtype=torch.float32, device=x.device))


class Tokenizer(nn.Module):
    """``c`` blocks of ``conv k×k → ReLU → maxpool 3/2``, flattened to ``(B, N, D)`` tokens."""

    def __init__(
        self, in_channels: int, dim: int, kernel_size: int, conv_layers: int, hidden_channels: int = 64
    ) -> None:
        super().__init__()
        channels = [in_channels] + [hidden_channels] * (conv_layers - 1) + [dim]
        stride, padding = max(1, kernel_size // 2 - 1), max(1, kernel_size // 2)
        layers: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            conv = nn.Conv2d(c_in, c_out, kernel_size, stride, padding, bias=False)
            nn.init.kaiming_normal_(conv.weight)
            layers += [conv, nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).flatten(2).transpose(1, 2)


class EncoderLayer(nn.Module):
    """CCT's transformer encoder layer (see the module docstring for the formula)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, attention_dropout: float, drop_path: float) -> None:
        super().__init__()
        self.heads = heads
        self.attention_dropout = attention_dropout
        self.pre_norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.linear1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.linear2 = nn.Linear(int(dim * mlp_ratio), dim)
        self.drop_path = DropPath(drop_path)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Multi-head self-attention ``softmax(QKᵀ/√d_h) V`` followed by the output projection."""
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        p = self.attention_dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.drop_path(self.attention(self.pre_norm(x))))
        return x + self.drop_path(self.linear2(F.gelu(self.linear1(x))))


class CCT(nn.Module):
    """Compact Convolutional Transformer; ``features`` is the sequence-pooled ``D``-vector fed to ``head``."""

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        image_size: int,
        num_layers: int,
        dim: int,
        heads: int,
        mlp_ratio: float,
        kernel_size: int,
        conv_layers: int,
        attention_dropout: float = 0.1,
        stochastic_depth: float = 0.1,
    ) -> None:
        super().__init__()
        self.tokenizer = Tokenizer(in_channels, dim, kernel_size, conv_layers)
        with torch.no_grad():
            length = self.tokenizer(torch.zeros(1, in_channels, image_size, image_size)).shape[1]
        self.register_buffer("positional_embedding", sinusoidal_embedding(length, dim))
        rates = torch.linspace(0, stochastic_depth, num_layers).tolist()
        self.blocks = nn.Sequential(*(EncoderLayer(dim, heads, mlp_ratio, attention_dropout, r) for r in rates))
        self.norm = nn.LayerNorm(dim)
        self.attention_pool = nn.Linear(dim, 1)
        self.head = nn.Linear(dim, num_classes)
        self.feature_dim = dim
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Sequence pooling ``softmax_n(x w)ᵀ x`` of the normalised tokens: ``(B, D)``."""
        x = self.norm(self.blocks(self.tokenizer(x) + self.positional_embedding))
        weights = F.softmax(self.attention_pool(x), dim=1)  # (B, N, 1)
        return (weights * x).sum(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def cct_7_7x2(num_classes: int, in_channels: int = 3, image_size: int = 224) -> CCT:
    """CCT-7/7x2 of SPEC §6: 7 layers, D = 256, 4 heads, MLP ratio 2, two 7×7 tokenizer convs."""
    return CCT(
        num_classes, in_channels, image_size, num_layers=7, dim=256, heads=4, mlp_ratio=2, kernel_size=7, conv_layers=2
    )


def cct_2_3x2_tiny(num_classes: int, in_channels: int = 1, image_size: int = 28) -> CCT:
    """A CPU-scale CCT-2/3x2: 2 layers, D = 64, 2 heads, MLP ratio 2, two 3×3 tokenizer convs (28 px → 49 tokens)."""
    return CCT(
        num_classes, in_channels, image_size, num_layers=2, dim=64, heads=2, mlp_ratio=2, kernel_size=3, conv_layers=2
    )
