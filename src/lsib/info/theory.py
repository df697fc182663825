"""Theory curves drawn on every information plane (SPEC §4).

- Empirical IB curve without contradicting labels (Prop. 4.2): Î(Z;Y) = min(Î(X;Z), Ĥ(Y)).
- CE optimum (Prop. 4.4): p(z|x_i) = 1[z = y_i], so Î(X;Z) = Î(Z;Y) = Ĥ(Y).
- Closed form of the LS optimum for uniform r, one-hot labels and balanced classes:
  Î = log K − h(ε), h(ε) = −a log a − (K−1) b log b, a = 1−ε+ε/K, b = ε/K.

The LS optimum of any data set, soft labels included, is :func:`lsib.info.optima.ls_optimum_path`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import xlogy

from lsib.info.information import (
    EmpiricalData,
    label_entropy,
)


def uniform(num_classes: int) -> torch.Tensor:
    """The uniform smoothing distribution ``r(z) = 1/K``."""
    return torch.full((num_classes,), 1.0 / num_classes, dtype=torch.float64)


def ib_curve(i_xz: np.ndarray | float, h_y: float) -> np.ndarray:
    """Prop. 4.2: the empirical IB curve ``Î(Z;Y) = min(Î(X;Z), Ĥ(Y))`` (no contradicting labels)."""
    return np.minimum(np.asarray(i_xz, dtype=np.float64), h_y)


def ce_point(data: EmpiricalData) -> tuple[float, float]:
    """Prop. 4.4: the CE optimum sits at ``(Ĥ(Y), Ĥ(Y))`` (no contradicting labels)."""
    h_y = float(label_entropy(data))
    return h_y, h_y


def binary_mix_entropy(eps: np.ndarray | float, num_classes: int) -> np.ndarray:
    """``h(ε) = −a log a − (K−1) b log b`` with ``a = 1−ε+ε/K``, ``b = ε/K``: the entropy of q^ε(·|y)."""
    e = np.asarray(eps, dtype=np.float64)
    a = 1 - e + e / num_classes
    b = e / num_classes
    return -xlogy(a, a) - (num_classes - 1) * xlogy(b, b)


def ls_closed_form(eps: np.ndarray | float, num_classes: int) -> np.ndarray:
    """Uniform r, one-hot labels, balanced classes: ``Î(X;Z) = Î(Z;Y) = log K − h(ε)``."""
    return math.log(num_classes) - binary_mix_entropy(eps, num_classes)


def ls_curve_at(i_xz: np.ndarray, path_i_xz: np.ndarray, path_i_zy: np.ndarray) -> np.ndarray:
    """Î(Z;Y) reached by the LS family at given Î(X;Z), interpolated along its exact path.

    Beyond the path's largest Î(X;Z) (ε = 0) the family has nothing better to offer than its
    top point, so the value is held at the path's maximum Î(Z;Y).
    """
    order = np.argsort(path_i_xz)
    xs, ys = np.asarray(path_i_xz)[order], np.asarray(path_i_zy)[order]
    return np.interp(np.asarray(i_xz, dtype=np.float64), xs, ys, left=ys[0], right=ys.max())
