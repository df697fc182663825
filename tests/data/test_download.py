"""lsib.data.sources.download: the raw files of one source, fetched once into raw_dir/<source> (no internet here)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lsib.data import datasets, sources
from lsib.data.fetch import DataSourceError

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


class Recorder:
    """Stands in for a torchvision dataset class and records how it was called."""

    calls: list[dict] = []

    def __init__(self, **kwargs) -> None:
        Recorder.calls.append(kwargs)


def test_array_sources_ask_torchvision_for_both_splits_with_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import torchvision.datasets

    Recorder.calls = []
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", Recorder)
    sources.download("cifar10", tmp_path / "cifar10")
    assert Recorder.calls == [{"root": str(tmp_path / "cifar10"), "train": t, "download": True} for t in (True, False)]


def test_flowers_asks_for_all_three_splits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import torchvision.datasets

    Recorder.calls = []
    monkeypatch.setattr(torchvision.datasets, "Flowers102", Recorder)
    sources.download("flowers102", tmp_path, download=False)
    assert [c["split"] for c in Recorder.calls] == ["train", "val", "test"]
    assert all(c["download"] is False for c in Recorder.calls)


def test_missing_raw_files_without_download_name_the_source(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="mnist: torchvision could not provide the data"):
        sources.download("mnist", tmp_path, download=False)


@pytest.mark.parametrize(("name", "kwargs", "match"), [
    ("mnist5k", {}, "no raw files to download"),
    ("cifar10", {"local_dir": "/nowhere"}, "local_dir is only supported for fashion_mnist"),
])
def test_bad_requests_are_refused(tmp_path: Path, name: str, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sources.download(name, tmp_path, **kwargs)


@pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="needs Debian's dataset-fashion-mnist")
def test_staged_fashion_mnist_converts_offline(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "fashion_mnist"
    sources.download("fashion_mnist", raw, local_dir=str(FASHION_MNIST))
    data = datasets.prepare("fashion_mnist", raw, tmp_path / "fm.pt", n_train=20, n_test=10, download=False)
    assert data["train_x"].shape == (20, 1, 28, 28) and data["train_x"].dtype == torch.uint8
    assert torch.equal(datasets.load(tmp_path / "fm.pt")["test_y"], data["test_y"])
