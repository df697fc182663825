"""Turn each source data set into one compact tensor file (SPEC §6–§7).

Every data set the experiments train on is converted once, by :func:`prepare`, into a single
``torch.save`` file holding the whole train and test splits as ``uint8`` image tensors::

    {"name": str,
     "train_x": uint8 (N, C, H, W), "train_y": int64 (N,),
     "test_x":  uint8 (M, C, H, W), "test_y":  int64 (M,),
     "classes": list[str],
     "mean": list[float], "std": list[float]}   # per channel, of train_x / 255

``mean``/``std`` are computed exactly (integer sums) over every pixel of the (possibly
subset) training images, scaled to [0, 1]; ``std`` is the population standard deviation.
Files are written atomically (temporary file beside ``out_path``, then :func:`os.replace`),
so a failed preparation never leaves ``out_path`` behind. :func:`load` reads one back and
validates it.

The raw sources are read by :mod:`lsib.data.sources`.

Optional subsetting (``n_train``/``n_test``) uses :func:`balanced_subset`: the training subset
is drawn with ``seed``, the test subset with ``seed + 1``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from lsib.atomic import save_torch
from lsib.data.sources import (
    FLOWERS_IMAGE_SIZE,
    load_flowers102,
    load_mnist5k,
    load_torchvision_array_set,
    stage_fashion_mnist,
)
from lsib.data.subsets import balanced_subset, take
from lsib.names import SOURCES

#: Names accepted by :func:`prepare` (:data:`lsib.names.SOURCES`).
DATASETS: tuple[str, ...] = SOURCES
#: Keys of a prepared file, in the order they are written.
KEYS: tuple[str, ...] = ("name", "train_x", "train_y", "test_x", "test_y", "classes", "mean", "std")
#: Native image sizes of the fixed-size data sets (``image_size`` must be None or equal).
NATIVE_SIZE: dict[str, int] = {"cifar10": 32, "mnist": 28, "fashion_mnist": 28, "mnist5k": 28}


def prepare(
    name: str,
    raw_dir: Path,
    out_path: Path,
    *,
    local_dir: str | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
    image_size: int | None = None,
    download: bool = True,
    config_key: str | None = None,
) -> dict[str, Any]:
    """Build the tensor file of data set ``name`` at ``out_path`` and return its contents.

    Args:
        name: one of :data:`DATASETS`.
        raw_dir: torchvision ``root`` where the raw files are downloaded/staged.
        out_path: the ``.pt`` file to write (atomically).
        local_dir: folder with a local copy of the raw files (``fashion_mnist`` only).
        n_train, n_test: size of a seeded, class-balanced subset (:func:`balanced_subset`);
            None keeps the whole split.
        seed: seed of the subsets (train: ``seed``, test: ``seed + 1``).
        image_size: square side of the stored Flowers-102 images (default 256); for the
            fixed-size sets it must be None or their native size.
        download: let torchvision download missing files (ignored for ``mnist5k`` and for
            ``fashion_mnist`` with ``local_dir``).
        config_key: the config entry these options come from (e.g. ``datasets.fmnist``),
            named in the error when a subset cannot be drawn.

    Raises:
        ValueError: unknown name or inconsistent options; a subset larger than its split
            (or than a balanced draw allows) names ``<config_key>.n_train``/``n_test``.
        DataSourceError: raw data missing, not downloadable, or failing a checksum.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; valid names: {', '.join(DATASETS)}")
    if local_dir is not None and name != "fashion_mnist":
        raise ValueError(f"local_dir is only supported for fashion_mnist, not {name!r} (SPEC §7)")
    if name in NATIVE_SIZE and image_size not in (None, NATIVE_SIZE[name]):
        raise ValueError(f"{name} images are {NATIVE_SIZE[name]} px; image_size={image_size} is not supported")
    raw_dir, out_path = Path(raw_dir), Path(out_path)

    if name == "mnist5k":
        train, test, classes = load_mnist5k()
    elif name == "flowers102":
        train, test, classes = load_flowers102(raw_dir, image_size or FLOWERS_IMAGE_SIZE, download)
    else:
        if name == "fashion_mnist" and local_dir is not None:
            stage_fashion_mnist(local_dir, raw_dir)
            download = False
        train, test, classes = load_torchvision_array_set(name, raw_dir, download)

    prefix = f"{config_key}." if config_key else ""
    if n_train is not None:
        train = take(train, _subset(train[1], n_train, seed, len(classes), f"{prefix}n_train", f"{name} training"))
    if n_test is not None:
        test = take(test, _subset(test[1], n_test, seed + 1, len(classes), f"{prefix}n_test", f"{name} test"))

    mean, std = channel_stats(train[0])
    data: dict[str, Any] = {
        "name": name,
        "train_x": train[0],
        "train_y": train[1],
        "test_x": test[0],
        "test_y": test[1],
        "classes": list(classes),
        "mean": mean,
        "std": std,
    }
    validate(data, out_path)
    save_torch(data, out_path)
    return data


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a file written by :func:`prepare` and validate it (see :func:`validate`).

    Raises:
        ValueError: the file is unreadable as a tensor file or its contents are malformed;
            the message names the file.
    """
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:  # unpickling errors come in many types
        raise ValueError(f"{path}: not a readable data set file ({type(err).__name__}: {err})") from err
    validate(data, path)
    return data


def validate(data: Any, path: str | os.PathLike[str] = "<memory>") -> None:
    """Check the keys, dtypes and shapes of a prepared data set; raise ValueError naming ``path``."""

    def fail(msg: str) -> None:
        raise ValueError(f"{path}: invalid data set file: {msg}")

    if not isinstance(data, dict):
        fail(f"expected a dict, got {type(data).__name__}")
    missing = [k for k in KEYS if k not in data]
    if missing:
        fail(f"missing keys {missing}")
    if not isinstance(data["name"], str):
        fail("'name' is not a str")
    classes = data["classes"]
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        fail("'classes' must be a non-empty list of str")
    shape = None
    for split in ("train", "test"):
        x, y = data[f"{split}_x"], data[f"{split}_y"]
        if not isinstance(x, torch.Tensor) or x.dtype != torch.uint8 or x.dim() != 4:
            fail(f"'{split}_x' must be a uint8 tensor (N, C, H, W), got {_describe(x)}")
        if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.dim() != 1:
            fail(f"'{split}_y' must be an int64 tensor (N,), got {_describe(y)}")
        if x.shape[0] != y.shape[0]:
            fail(f"'{split}_x' has {x.shape[0]} images but '{split}_y' {y.shape[0]} labels")
        if x.shape[0] == 0:
            fail(f"the {split} split is empty")
        if shape is not None and tuple(x.shape[1:]) != shape:
            fail(f"train images are {shape} but test images {tuple(x.shape[1:])}")
        shape = tuple(x.shape[1:])
        if int(y.min()) < 0 or int(y.max()) >= len(classes):
            fail(f"'{split}_y' has labels outside [0, {len(classes)})")
    assert shape is not None
    for key in ("mean", "std"):
        v = data[key]
        if not isinstance(v, list) or len(v) != shape[0] or not all(isinstance(a, float) for a in v):
            fail(f"'{key}' must be a list of {shape[0]} floats (one per channel)")




def channel_stats(x: torch.Tensor, chunk_pixels: int = 1 << 24) -> tuple[list[float], list[float]]:
    """Per-channel mean and population std of ``x / 255`` for a uint8 ``(N, C, H, W)`` tensor.

    Sums of values and squares are accumulated exactly in int64, in chunks of about
    ``chunk_pixels`` elements, so memory stays small even for Flowers-102.
    """
    n, c = x.shape[0], x.shape[1]
    per_image = max(1, x[0].numel()) if n else 1
    step = max(1, chunk_pixels // per_image)
    s = torch.zeros(c, dtype=torch.int64)
    ss = torch.zeros(c, dtype=torch.int64)
    for i in range(0, n, step):
        block = x[i : i + step].to(torch.int64)
        s += block.sum(dim=(0, 2, 3))
        ss += (block * block).sum(dim=(0, 2, 3))
    count = n * x.shape[2] * x.shape[3]
    mean = s.double() / (count * 255.0)
    var = (ss.double() / (count * 255.0**2) - mean**2).clamp_min(0.0)
    return [float(m) for m in mean], [float(v) for v in var.sqrt()]


def _subset(labels: torch.Tensor, n: int, seed: int, num_classes: int, key: str, split: str) -> torch.Tensor:
    """:func:`balanced_subset`, with its error naming the config ``key`` and the split's size."""
    try:
        return balanced_subset(labels, n, seed, num_classes)
    except ValueError as err:
        raise ValueError(f"{key} = {n}: cannot draw a balanced subset of the {labels.numel()}-image {split} split ({err})") from err




def _describe(v: Any) -> str:
    if isinstance(v, torch.Tensor):
        return f"{v.dtype} tensor of shape {tuple(v.shape)}"
    return type(v).__name__
