"""Checkpoints with provenance: other data, other weights or an unreadable file restart the run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from train_helpers import Killed, assert_same_state, fit, kill_after, synthetic_data, tiny_recipe

from lsib.train.checkpoint import data_fingerprint, differences


def test_checkpoint_of_other_data_restarts_from_scratch(tmp_path: Path) -> None:
    """`datasets.<name>.seed` changed between a kill and the rerun: a new subset, so a new run (seed, recipe,
    objective, model and settings are compared the same way: see the next test)."""
    recipe, other = tiny_recipe(epochs=2), synthetic_data(seed=7)
    with pytest.raises(Killed):
        fit("resnet8", "ce", recipe, tmp_path / "run", log=kill_after(1))
    lines: list[str] = []
    restarted, _, rows = fit("resnet8", "ce", recipe, tmp_path / "run", log=lines.append, data=other)
    fresh, _, _ = fit("resnet8", "ce", recipe, tmp_path / "fresh", data=other)
    assert lines[0].startswith(f"checkpoint {tmp_path / 'run' / 'checkpoint.pt'} was trained on something else")
    assert "(data_sha256: " in lines[0] and lines[0].endswith("training restarts from scratch")
    assert [r["epoch"] for r in rows] == [1, 2]
    assert_same_state(restarted, fresh)


def test_provenance_differences_name_each_changed_key() -> None:
    base = {
        "data_sha256": data_fingerprint(synthetic_data()),
        "seed": 0,
        "recipe": tiny_recipe().to_dict(),
        "settings": {"precision": "off", "channels_last": False},
        "arch": {"name": "resnet8"},
    }
    cases = [
        ({"data_sha256": data_fingerprint(synthetic_data(seed=7))}, f"data_sha256: {base['data_sha256'][:12]}… → "),
        ({"recipe": tiny_recipe(lr=0.04).to_dict()}, "recipe.lr: 0.05 → 0.04"),
        ({"settings": {"precision": "bf16", "channels_last": False}}, "settings.precision: 'off' → 'bf16'"),
        ({"arch": {"name": "resnet20"}}, "arch.name: 'resnet8' → 'resnet20'"),
    ]
    for change, expected in cases:
        found = differences(base, {**base, **change})
        assert len(found) == 1 and found[0].startswith(expected), found
    assert differences(base, dict(base)) == []
    assert differences({}, {"seed": 1}) == ["seed: '(absent)' → 1"]


def test_unreadable_checkpoint_is_set_aside_and_the_run_restarts(tmp_path: Path) -> None:
    with pytest.raises(Killed):
        fit("resnet8", "ce", tiny_recipe(), tmp_path / "run", log=kill_after(1))
    path = tmp_path / "run" / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[:1000])  # truncated, as by a full disk
    truncated = path.read_bytes()
    lines: list[str] = []
    restarted, _, rows = fit("resnet8", "ce", tiny_recipe(), tmp_path / "run", log=lines.append)
    fresh, _, _ = fit("resnet8", "ce", tiny_recipe(), tmp_path / "fresh")
    kept = [p for p in (tmp_path / "run").iterdir() if p.name.startswith("checkpoint.pt.corrupt-")]
    assert len(kept) == 1 and kept[0].read_bytes() == truncated
    assert lines[0].startswith(f"checkpoint {path} is unreadable") and f"set aside as {kept[0].name}" in lines[0]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert_same_state(restarted, fresh)


def test_checkpoint_whose_weights_do_not_fit_restarts_from_scratch(tmp_path: Path) -> None:
    recipe = tiny_recipe(epochs=2)
    with pytest.raises(Killed):
        fit("resnet8", "ce", recipe, tmp_path / "run", log=kill_after(1))
    path = tmp_path / "run" / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state["model"]["head.weight"] = state["model"]["head.weight"][:, :3]  # right provenance, wrong shape
    torch.save(state, path)
    lines: list[str] = []
    restarted, _, rows = fit("resnet8", "ce", recipe, tmp_path / "run", log=lines.append)
    fresh, _, _ = fit("resnet8", "ce", recipe, tmp_path / "fresh")
    assert lines[0] == f"checkpoint {path} does not fit this run (RuntimeError); training restarts from scratch"
    assert [r["epoch"] for r in rows] == [1, 2]
    assert_same_state(restarted, fresh)  # the partly loaded weights were rolled back to the initial ones
