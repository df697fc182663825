"""model.pt files: an unreadable one names itself and how to rebuild it."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import CLASSES, SIZE, assert_same_state

from lsib.models import build_model
from lsib.models.store import UnreadableModel, load_trained, save_trained
from lsib.train.device import seed_everything


def test_unreadable_model_names_the_file_and_the_command_that_rebuilds_it(tmp_path: Path) -> None:
    seed_everything(0)
    model = build_model("resnet8", CLASSES, 1, SIZE)
    arch = {"name": "resnet8", "num_classes": CLASSES, "in_channels": 1, "image_size": SIZE}
    path = tmp_path / "results/runs/x/model.pt"
    save_trained(path, model, arch, {"seed": 0})
    loaded, meta = load_trained(path)
    assert meta == {"seed": 0}
    assert_same_state(loaded, model)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(UnreadableModel) as error:
        load_trained(path)
    assert str(path) in str(error.value) and f"snakemake --forcerun {path}" in str(error.value)
    save_trained(path, model, {**arch, "name": "resnet20"}, {})  # weights of another architecture
    with pytest.raises(UnreadableModel, match="RuntimeError"):
        load_trained(path)
