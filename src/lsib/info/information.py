"""Exact empirical information quantities of a discrete representation (SPEC §2).

The representation Z takes K values and is given by an encoder table ``p(z|x)`` with one
row per *unique* training input (shape ``(..., M, K)``; leading axes batch many encoders).
Together with the empirical input distribution ``p̂(x)`` (shape ``(M,)``) and the empirical
label distribution ``p̂(y|x)`` (shape ``(M, K)``) every quantity below is an exact finite sum:

- p(z)     = Σ_x p̂(x) p(z|x)
- Ĥ(Z|X)   = Σ_x p̂(x) H(p(·|x))
- Î(X;Z)   = Ĥ(Z) − Ĥ(Z|X)                         (= Σ_x p̂(x) KL(p(·|x) ‖ p(·)))
- p(z, y)  = Σ_x p̂(x) p(z|x) p̂(y|x)
- Î(Z;Y)   = Ĥ(Z) + Ĥ(Y) − Ĥ(Z, Y)                  (= Σ p(z,y) log p(z,y) / (p(z) p̂(y)))
- Î(X;Y)   = Ĥ(Y) − Σ_x p̂(x) H(p̂(·|x))

Logs are natural (nats); ``0·log 0 = 0`` through :func:`torch.special.xlogy`. All functions
are torch functions (differentiable, float64 recommended) so that the tabular IB solver can
optimise them directly; numpy inputs are accepted and converted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lsib.checks import check_counts, require_finite

ArrayLike = torch.Tensor | np.ndarray


def as_float64(a: ArrayLike) -> torch.Tensor:
    """Return ``a`` as a float64 tensor (no copy when it already is one)."""
    return torch.as_tensor(a, dtype=torch.float64)


def entropy(p: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Shannon entropy ``H(p) = −Σ p log p`` along ``dim``, with ``0·log 0 = 0``."""
    return -torch.special.xlogy(p, p).sum(dim)


@dataclass(frozen=True)
class EmpiricalData:
    """The empirical distribution of a training sample over its M unique inputs (SPEC §1).

    Attributes:
        px: ``p̂(x) = count(x) / N`` for each unique input, shape ``(M,)``.
        pyx: ``p̂(y|x) = count(x, y) / count(x)``, shape ``(M, K)``.
    """

    px: torch.Tensor
    pyx: torch.Tensor

    @property
    def num_inputs(self) -> int:
        return int(self.px.shape[0])

    @property
    def num_classes(self) -> int:
        return int(self.pyx.shape[1])

    @property
    def py(self) -> torch.Tensor:
        """Empirical label marginal ``p̂(y) = Σ_x p̂(x) p̂(y|x)``."""
        return self.px @ self.pyx

    @property
    def has_contradicting_labels(self) -> bool:
        """False exactly when every ``p̂(·|x)`` is one-hot (Assumption 4.1)."""
        return bool((self.pyx.max(dim=1).values < 1.0).any())


def _check_counts(counts: ArrayLike) -> torch.Tensor:
    """The ``(M, K)`` count table as float64, rejecting tables that define no distribution.

    :func:`lsib.checks.check_counts` with any K and fractional counts allowed: 2-D with M ≥ 1,
    finite, non-negative, at least one label per input.
    """
    return torch.as_tensor(check_counts(counts, "counts", num_classes=None, whole=False), dtype=torch.float64)


def from_counts(counts: ArrayLike) -> EmpiricalData:
    """Empirical distribution of a sample of (x, y) pairs, given as an ``(M, K)`` table of pair counts.

    ``counts[x, y]`` is how often the pair (x, y) occurs in the sample of ``N = Σ counts`` pairs,
    so ``p̂(x) = Σ_y counts[x, y] / N`` (an input seen twice weighs twice) and
    ``p̂(y|x) = counts[x, y] / Σ_y counts[x, y]``.

    Raises:
        lsib.checks.InputError: (a ValueError) if the table is not 2-D with a row, holds NaN/±inf
            or negative entries, or has an input with no label.
    """
    c = _check_counts(counts)
    per_input = c.sum(dim=1)
    return EmpiricalData(px=per_input / per_input.sum(), pyx=c / per_input[:, None])


def from_annotations(counts: ArrayLike) -> EmpiricalData:
    """Empirical distribution of a data set of M distinct inputs with soft labels from annotators.

    ``counts[x, y]`` is how many annotators gave input x the label y (CIFAR-10H). Each input
    occurs once in the data set, so ``p̂(x) = 1/M`` whatever its number of annotators, and
    ``p̂(y|x) = counts[x, y] / Σ_y counts[x, y]``; SPEC §2's reference values use this
    convention (weighting inputs by their annotator count, as :func:`from_counts` would, moves
    Î(X;Y) on CIFAR-10H from 2.14775 to 2.14778).

    Raises:
        lsib.checks.InputError: (a ValueError) if the table is not 2-D with a row, holds NaN/±inf
            or negative entries, or has an input with no label.
    """
    c = _check_counts(counts)
    m = c.shape[0]
    return EmpiricalData(px=torch.full((m,), 1.0 / m, dtype=torch.float64), pyx=c / c.sum(dim=1, keepdim=True))


def from_pairs(input_ids: ArrayLike, labels: ArrayLike, num_classes: int) -> tuple[EmpiricalData, torch.Tensor]:
    """Build the empirical distribution from (input id, label) pairs, grouping duplicates.

    Args:
        input_ids: ``(N,)`` integer identity of each example's input; equal ids are the same x.
        labels: ``(N,)`` integer labels in ``[0, num_classes)``.
        num_classes: K.

    Returns:
        The :class:`EmpiricalData` over the M unique ids, and the sorted unique ids (row order).
    """
    ids = torch.as_tensor(input_ids, dtype=torch.int64)
    y = torch.as_tensor(labels, dtype=torch.int64)
    if ids.shape != y.shape or ids.ndim != 1:
        raise ValueError("input_ids and labels must be 1-D and of equal length")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes})")
    unique, row = torch.unique(ids, return_inverse=True)
    counts = torch.zeros(len(unique), num_classes, dtype=torch.float64)
    counts.index_put_((row, y), torch.ones(len(y), dtype=torch.float64), accumulate=True)
    return from_counts(counts), unique


def marginal_z(pzx: ArrayLike, px: ArrayLike) -> torch.Tensor:
    """``p(z) = Σ_x p̂(x) p(z|x)``; ``pzx`` has shape ``(..., M, K)``, result ``(..., K)``."""
    return torch.einsum("...mk,m->...k", as_float64(pzx), as_float64(px))


def conditional_entropy_z(pzx: ArrayLike, px: ArrayLike) -> torch.Tensor:
    """``Ĥ(Z|X) = Σ_x p̂(x) H(p(·|x))``, shape ``(...)``."""
    return entropy(as_float64(pzx)) @ as_float64(px)


def mutual_info_xz(pzx: ArrayLike, px: ArrayLike) -> torch.Tensor:
    """``Î(X;Z) = Ĥ(Z) − Ĥ(Z|X)`` for each encoder in the leading batch axes."""
    return entropy(marginal_z(pzx, px)) - conditional_entropy_z(pzx, px)


def joint_zy(pzx: ArrayLike, px: ArrayLike, pyx: ArrayLike) -> torch.Tensor:
    """``p(z, y) = Σ_x p̂(x) p(z|x) p̂(y|x)``, shape ``(..., K_z, K_y)``."""
    return torch.einsum("...mz,m,my->...zy", as_float64(pzx), as_float64(px), as_float64(pyx))


def mutual_info_zy(pzx: ArrayLike, px: ArrayLike, pyx: ArrayLike) -> torch.Tensor:
    """``Î(Z;Y) = Ĥ(Z) + Ĥ(Y) − Ĥ(Z,Y)`` for each encoder in the leading batch axes."""
    pzy = joint_zy(pzx, px, pyx)
    h_z = entropy(pzy.sum(-1))
    h_y = entropy(pzy.sum(-2))
    return h_z + h_y - entropy(pzy.flatten(-2))


def label_entropy(data: EmpiricalData) -> torch.Tensor:
    """``Ĥ(Y)`` of the empirical label marginal."""
    return entropy(data.py)


def mutual_info_xy(data: EmpiricalData) -> torch.Tensor:
    """``Î(X;Y) = Ĥ(Y) − Σ_x p̂(x) H(p̂(·|x))``: the most any representation can carry about Y."""
    return label_entropy(data) - conditional_entropy_z(data.pyx, data.px)


def information_plane(pzx: ArrayLike, data: EmpiricalData) -> dict[str, torch.Tensor]:
    """All SPEC §2 quantities for a batch of encoders ``(..., M, K)`` at once.

    Returns a dict of tensors with the leading batch shape: ``i_xz``, ``i_zy``, ``h_z``,
    ``h_z_given_x``; and the data's scalars ``h_y``, ``i_xy``.

    Raises:
        lsib.checks.InputError: the encoder holds NaN or ±inf.
    """
    p = as_float64(pzx)
    require_finite(p, "encoder p(z|x)")
    if p.shape[-2] != data.num_inputs:
        raise ValueError(f"encoder has {p.shape[-2]} rows but the data has {data.num_inputs} unique inputs")
    h_z = entropy(marginal_z(p, data.px))
    h_zx = conditional_entropy_z(p, data.px)
    return {
        "i_xz": h_z - h_zx,
        "i_zy": mutual_info_zy(p, data.px, data.pyx),
        "h_z": h_z,
        "h_z_given_x": h_zx,
        "h_y": label_entropy(data),
        "i_xy": mutual_info_xy(data),
    }


def safe_log(p: torch.Tensor) -> torch.Tensor:
    """``log p`` with 0 mapped to the log of the smallest normal float, so ``0 · log 0 = 0`` in sums."""
    return torch.log(p.clamp_min(torch.finfo(p.dtype).tiny))
