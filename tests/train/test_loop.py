"""Augmentations, recipes and the training loop (SPEC §6), on tiny synthetic data."""

from __future__ import annotations

import csv
import importlib.util
import math
from pathlib import Path

import jsonschema
import pytest
import torch
import yaml

from lsib.measure.inference import penultimate_features, predict_proba
from lsib.models import build_model
from lsib.models.store import UnreadableModel, load_trained, save_trained
from lsib.train.augmentation import augment, crop_flip, random_crop_flip, random_resized_crop_flip
from lsib.train.checkpoint import data_fingerprint, differences
from lsib.train.device import seed_everything
from lsib.train.loop import METRIC_COLUMNS, TrainingDiverged, batch_sizes, train
from lsib.train.losses import Objective
from lsib.train.recipe import CCT_RECIPE, RESNET_RECIPE, Recipe, learning_rate
from lsib.train.settings import TrainSettings

SIZE, CLASSES = 12, 4


def synthetic_data(n_train: int = 96, n_test: int = 48, seed: int = 123) -> dict:
    """Separable 1×12×12 images: class k is a flat grey level 40 + 50k plus noise."""
    g = torch.Generator().manual_seed(seed)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.arange(n) % CLASSES
        x = 40.0 + 50.0 * y[:, None, None, None] + 10.0 * torch.randn(n, 1, SIZE, SIZE, generator=g)
        return x.clamp(0, 255).to(torch.uint8), y

    train_x, train_y = split(n_train)
    test_x, test_y = split(n_test)
    return {
        "train_x": train_x,
        "train_y": train_y,
        "test_x": test_x,
        "test_y": test_y,
        "mean": [0.5],
        "std": [0.25],
        "classes": [str(k) for k in range(CLASSES)],
    }


def tiny_recipe(**overrides: object) -> Recipe:
    return Recipe.from_dict({"lr": 0.05, "epochs": 3, "milestones": [2], "batch_size": 32, **overrides})


def fit(
    model_name: str,
    objective_name: str,
    recipe: Recipe,
    run_dir: Path,
    seed: int = 0,
    log=lambda s: None,
    data: dict | None = None,
    settings: TrainSettings | None = None,
):
    """Build model and objective under ``seed``, then train (resuming from ``run_dir`` if possible)."""
    seed_everything(seed)
    model = build_model(model_name, CLASSES, 1, SIZE)
    objective = Objective(objective_name, 0.1, CLASSES)
    data = synthetic_data() if data is None else data
    rows = train(model, objective, data, recipe, seed, run_dir, log=log, device="cpu", settings=settings).rows
    return model, objective, rows


def assert_same_state(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


# --- augmentation -------------------------------------------------------------------------


def test_crop_equals_hand_computed_shift_with_zero_padding() -> None:
    x = torch.arange(1, 17, dtype=torch.float32).view(1, 1, 4, 4)
    # padding 2, offsets (oy, ox) = (1, 3): out[i, j] = x[i − 1, j + 1], zero outside.
    out = crop_flip(x, torch.tensor([1]), torch.tensor([3]), torch.tensor([False]), padding=2)
    expected = torch.tensor([[0, 0, 0, 0], [2, 3, 4, 0], [6, 7, 8, 0], [10, 11, 12, 0]], dtype=torch.float32)
    assert torch.equal(out[0, 0], expected)
    flipped = crop_flip(x, torch.tensor([1]), torch.tensor([3]), torch.tensor([True]), padding=2)
    assert torch.equal(flipped[0, 0], expected.flip(-1))


def test_centred_crop_is_identity_and_flip_mirrors() -> None:
    x = torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8)
    centre = torch.full((3,), 4)
    assert torch.equal(crop_flip(x, centre, centre, torch.zeros(3, dtype=torch.bool), 4), x)
    assert torch.equal(crop_flip(x, centre, centre, torch.ones(3, dtype=torch.bool), 4), x.flip(-1))


def test_random_crop_flip_uses_the_generator() -> None:
    x = torch.rand(16, 3, 8, 8)
    a = random_crop_flip(x, 4, True, torch.Generator().manual_seed(1))
    b = random_crop_flip(x, 4, True, torch.Generator().manual_seed(1))
    c = random_crop_flip(x, 4, True, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # padding 0: every output is the image or its mirror, and both occur; "crop" never mirrors.
    g = torch.Generator().manual_seed(0)
    out = augment(x, "crop_flip", g, padding=0)
    is_flip = [torch.equal(o, i.flip(-1)) for o, i in zip(out, x)]
    is_same = [torch.equal(o, i) for o, i in zip(out, x)]
    assert all(f or s for f, s in zip(is_flip, is_same)) and any(is_flip) and any(is_same)
    assert torch.equal(augment(x, "crop", g, padding=0), x)


def test_random_resized_crop_full_scale_is_identity_or_mirror() -> None:
    x = torch.rand(32, 3, 10, 10)
    out = random_resized_crop_flip(x, torch.Generator().manual_seed(0), scale=(1.0, 1.0), ratio=(1.0, 1.0))
    is_flip = [torch.allclose(o, i.flip(-1), atol=1e-6) for o, i in zip(out, x)]
    is_same = [torch.allclose(o, i, atol=1e-6) for o, i in zip(out, x)]
    assert all(f or s for f, s in zip(is_flip, is_same)) and any(is_flip) and any(is_same)


def test_random_resized_crop_zooms_in_and_is_seeded() -> None:
    # A ramp along x: a crop of width w ≤ W resamples a sub-range, so the spread shrinks.
    x = torch.linspace(0, 1, 20).expand(8, 1, 20, 20).contiguous()
    a = random_resized_crop_flip(x, torch.Generator().manual_seed(5), scale=(0.3, 0.5))
    b = random_resized_crop_flip(x, torch.Generator().manual_seed(5), scale=(0.3, 0.5))
    assert torch.equal(a, b) and a.shape == x.shape
    spread = a.amax(dim=(1, 2, 3)) - a.amin(dim=(1, 2, 3))
    assert torch.all(spread < 0.9) and torch.all(spread > 0.3)
    assert a.min() >= 0 and a.max() <= 1


# --- recipes ------------------------------------------------------------------------------


def test_recipe_from_dict_rejects_unknown_keys_and_fills_adamw_defaults() -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        Recipe.from_dict({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="augment"):
        Recipe.from_dict({"augment": "mixup"})
    adamw = Recipe.from_dict({"optimizer": "adamw", "lr": 1e-3})
    assert (adamw.lr, adamw.weight_decay, adamw.schedule, adamw.warmup_epochs) == (1e-3, 6e-2, "cosine", 10)
    assert Recipe.from_dict(RESNET_RECIPE.to_dict()) == RESNET_RECIPE


def test_paper_presets() -> None:
    r = RESNET_RECIPE
    assert (r.optimizer, r.lr, r.momentum, r.weight_decay, r.milestones, r.epochs, r.batch_size, r.augment) == (
        "sgd",
        0.1,
        0.9,
        0.0,
        (80, 120),
        160,
        128,
        "crop_flip",
    )
    c = CCT_RECIPE
    assert (c.optimizer, c.lr, c.weight_decay, c.min_lr, c.total_epochs, c.batch_size, c.augment) == (
        "adamw",
        5e-4,
        6e-2,
        1e-5,
        310,
        96,
        "resized_crop_flip",
    )


def test_sgd_multistep_schedule() -> None:
    lrs = {e: learning_rate(RESNET_RECIPE, e) for e in (0, 79, 80, 119, 120, 159)}
    assert lrs == pytest.approx({0: 0.1, 79: 0.1, 80: 0.01, 119: 0.01, 120: 0.001, 159: 0.001})


def test_adamw_warmup_cosine_and_cooldown() -> None:
    lr = lambda e: learning_rate(CCT_RECIPE, e)  # noqa: E731
    assert lr(0) == pytest.approx(1e-6)
    assert lr(5) == pytest.approx(1e-6 + 0.5 * (5e-4 - 1e-6))
    assert lr(10) == pytest.approx(1e-5 + 0.5 * (5e-4 - 1e-5) * (1 + math.cos(math.pi * 10 / 300)))
    assert lr(150) == pytest.approx(0.5 * (5e-4 + 1e-5))
    assert lr(299) == pytest.approx(1e-5, rel=1e-2)
    assert lr(300) == lr(309) == 1e-5
    assert all(lr(e) > lr(e + 1) for e in range(10, 299))


# --- training -----------------------------------------------------------------------------


def test_tiny_model_learns_separable_data(tmp_path: Path) -> None:
    recipe = tiny_recipe(epochs=6, milestones=[], augment="none")
    _, _, rows = fit("resnet8", "ce", recipe, tmp_path)
    assert rows[-1]["train_acc"] >= 0.95 and rows[-1]["test_acc"] >= 0.95
    assert rows[-1]["loss"] < rows[0]["loss"]


def test_same_seed_gives_identical_weights_and_other_seed_does_not(tmp_path: Path) -> None:
    a, _, rows_a = fit("resnet8", "ls", tiny_recipe(epochs=2), tmp_path / "a", seed=3)
    b, _, rows_b = fit("resnet8", "ls", tiny_recipe(epochs=2), tmp_path / "b", seed=3)
    c, _, _ = fit("resnet8", "ls", tiny_recipe(epochs=2), tmp_path / "c", seed=4)
    assert_same_state(a, b)
    assert [r["loss"] for r in rows_a] == [r["loss"] for r in rows_b]
    assert not torch.equal(a.head.weight, c.head.weight)


class Killed(Exception):
    pass


def kill_after(epochs: int):
    def log(line: str) -> None:
        if line.startswith(f"epoch {epochs}/"):
            raise Killed

    return log


RESUME_CASES = [
    ("resnet8", "vib", tiny_recipe()),
    ("cct_tiny", "ls", tiny_recipe(optimizer="adamw", lr=2e-3, warmup_epochs=1, augment="resized_crop_flip")),
]


@pytest.mark.parametrize(("model_name", "objective_name", "recipe"), RESUME_CASES)
def test_resume_after_kill_is_bit_identical(
    tmp_path: Path, model_name: str, objective_name: str, recipe: Recipe
) -> None:
    full, full_objective, full_rows = fit(model_name, objective_name, recipe, tmp_path / "full")
    with pytest.raises(Killed):
        fit(model_name, objective_name, recipe, tmp_path / "resumed", log=kill_after(1))
    lines: list[str] = []
    resumed, resumed_objective, resumed_rows = fit(
        model_name, objective_name, recipe, tmp_path / "resumed", log=lines.append
    )
    assert lines[0].startswith("resuming")
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["2/3", "3/3"]
    assert_same_state(full, resumed)
    assert_same_state(full_objective, resumed_objective)
    drop_time = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop_time(full_rows) == drop_time(resumed_rows)


class CrashingObjective(Objective):
    """An objective that raises on its ``crash_at``-th call: a kill in the middle of an epoch."""

    def __init__(self, crash_at: int) -> None:
        super().__init__("ce", 0.0, CLASSES)
        self.calls, self.crash_at = 0, crash_at

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.crash_at:
            raise Killed
        return super().forward(logits, target)


def test_resume_after_mid_epoch_kill_is_bit_identical(tmp_path: Path) -> None:
    recipe = tiny_recipe()
    full, _, _ = fit("resnet8", "ce", recipe, tmp_path / "full")
    seed_everything(0)
    model = build_model("resnet8", CLASSES, 1, SIZE)
    with pytest.raises(Killed):  # 3 batches per epoch: call 5 is inside epoch 2
        train(
            model,
            CrashingObjective(5),
            synthetic_data(),
            recipe,
            0,
            tmp_path / "resumed",
            log=lambda s: None,
            device="cpu",
        )
    resumed, _, rows = fit("resnet8", "ce", recipe, tmp_path / "resumed")
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert_same_state(full, resumed)


def test_outputs_on_disk(tmp_path: Path) -> None:
    model, _, rows = fit("resnet8", "cp", tiny_recipe(epochs=2), tmp_path)
    with open(tmp_path / "metrics.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert tuple(table[0].keys()) == METRIC_COLUMNS
    assert [int(r["epoch"]) for r in table] == [1, 2]
    assert float(table[1]["test_acc"]) == pytest.approx(rows[1]["test_acc"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "metrics.csv"]
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 2 and len(checkpoint["metrics"]) == 2
    assert set(checkpoint) >= {"model", "objective", "optimizer", "rng", "provenance", "metrics"}
    origin = checkpoint["provenance"]
    assert (origin["seed"], origin["objective"], origin["coef"], origin["model"]) == (0, "cp", 0.1, "CifarResNet")
    assert origin["recipe"] == tiny_recipe(epochs=2).to_dict() and len(origin["data_sha256"]) == 64
    assert origin["settings"] == {"precision": "off", "channels_last": False, "compile": False}
    # A finished run resumes at its end: nothing is retrained.
    again, _, rows_again = fit("resnet8", "cp", tiny_recipe(epochs=2), tmp_path)
    assert rows_again == rows
    assert_same_state(model, again)


def test_vib_classifier_is_trained(tmp_path: Path) -> None:
    before = Objective("vib", 0.1, CLASSES).vib.classifier_logits.detach().clone()
    _, objective, _ = fit("resnet8", "vib", tiny_recipe(epochs=1), tmp_path)
    assert not torch.allclose(objective.vib.classifier_logits.detach(), before)


def test_predict_proba_and_features(tmp_path: Path) -> None:
    data = synthetic_data()
    seed_everything(0)
    model = build_model("resnet8", CLASSES, 1, SIZE)
    model.train()
    probs = predict_proba(model, data["test_x"], data["mean"], data["std"], batch_size=10)
    feats = penultimate_features(model, data["test_x"], data["mean"], data["std"], batch_size=10)
    assert model.training  # the mode is restored
    assert probs.dtype == torch.float64 and probs.shape == (48, CLASSES)
    torch.testing.assert_close(probs.sum(1), torch.ones(48, dtype=torch.float64))
    assert feats.dtype == torch.float32 and feats.shape == (48, model.feature_dim)
    model.eval()
    with torch.no_grad():
        x = (data["test_x"].float() / 255 - 0.5) / 0.25
        expected = torch.softmax(model(x).double(), dim=1)
        torch.testing.assert_close(feats, model.features(x))
    torch.testing.assert_close(probs, expected)


# --- device settings ----------------------------------------------------------------------


def test_settings_resolve_per_device_and_parse_yaml_switches() -> None:
    auto = TrainSettings()
    assert auto.resolve("cuda") == TrainSettings("bf16", True, True, 10)
    assert auto.resolve("cpu") == TrainSettings("off", False, False, 1)
    # YAML 1.1 reads on/off as booleans: `precision: off` arrives as False.
    parsed = TrainSettings.from_dict(yaml.safe_load("{precision: off, channels_last: on, compile: off, eval_every: 3}"))
    assert parsed == TrainSettings("off", True, False, 3) and parsed.resolved
    assert TrainSettings(compile="on", channels_last="FALSE").resolve("cuda") == TrainSettings("bf16", False, True, 10)
    assert TrainSettings.from_dict(parsed.to_dict()) == parsed
    for bad, key in (
        ({"precision": "fp16"}, "precision"),
        ({"compile": "yes"}, "compile"),
        ({"eval_every": 0}, "eval_every"),
        ({"eval_every": True}, "eval_every"),
        ({"amp": 1}, "amp"),
    ):
        with pytest.raises(ValueError, match=key):
            TrainSettings.from_dict(bad)


def test_batch_sizes() -> None:
    assert batch_sizes(96, 32) == [32] and batch_sizes(100, 32) == [32, 4] and batch_sizes(10, 32) == [10]


def test_bf16_and_channels_last_run_on_cpu(tmp_path: Path) -> None:
    recipe = tiny_recipe(epochs=3, milestones=[], augment="none")
    fast = TrainSettings(precision="bf16", channels_last=True, compile=False)
    model, _, rows = fit("resnet8", "ce", recipe, tmp_path / "fast", settings=fast)
    _, _, plain = fit("resnet8", "ce", recipe, tmp_path / "plain")
    assert model.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert rows[-1]["train_acc"] >= 0.9
    # bf16 autocast really ran (the numbers differ from float32) yet tracks float32 closely.
    losses, plain_losses = [r["loss"] for r in rows], [r["loss"] for r in plain]
    assert losses != plain_losses and losses == pytest.approx(plain_losses, rel=0.1)


def test_test_accuracy_every_k_epochs_carries_the_latest(tmp_path: Path) -> None:
    recipe = tiny_recipe(epochs=4)
    every, _, rows = fit("resnet8", "ce", recipe, tmp_path / "k", settings=TrainSettings(eval_every=3))
    full, _, reference = fit("resnet8", "ce", recipe, tmp_path / "all")
    assert_same_state(every, full)  # evaluation changes no weight and draws no random number
    assert [r["test_epoch"] for r in rows] == [1, 1, 3, 4]
    assert [r["test_acc"] for r in rows] == [reference[i]["test_acc"] for i in (0, 0, 2, 3)]
    with open(tmp_path / "k" / "metrics.csv", newline="") as f:
        assert all(value != "" for row in csv.DictReader(f) for value in row.values())


def tiny_convnet() -> torch.nn.Module:
    """A 3×3 conv + BatchNorm + linear head: the smallest net whose compilation still covers conv, norm and backward."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, CLASSES),
    )


def test_compiled_and_eager_agree_on_cpu(tmp_path: Path) -> None:
    """Inductor on CPU (the code path CUDA runs, minus the device): same metrics within float tolerance."""
    recipe = tiny_recipe(epochs=3, milestones=[], augment="crop_flip", lr=0.05)
    results, models, lines = {}, {}, []
    for compiled in (True, False):
        models[compiled] = tiny_convnet()
        results[compiled] = train(
            models[compiled],
            Objective("ls", 0.1, CLASSES),
            synthetic_data(),
            recipe,
            0,
            tmp_path / str(compiled),
            log=lines.append,
            device="cpu",
            settings=TrainSettings(compile=compiled),
        )
    assert results[True].execution["compiled"] is True and results[False].execution["compiled"] is False
    assert any(line.startswith("torch.compile: 1 training and 1 eval batch shapes compiled") for line in lines), lines
    assert results[True].rows[-1]["loss"] < results[True].rows[0]["loss"]  # it trains
    for row, ref in zip(results[True].rows, results[False].rows, strict=True):
        assert row["loss"] == pytest.approx(ref["loss"], rel=1e-5)
        assert (row["train_acc"], row["test_acc"]) == (ref["train_acc"], ref["test_acc"])
    for key, value in models[True].state_dict().items():
        torch.testing.assert_close(value, models[False].state_dict()[key], rtol=1e-4, atol=1e-5)


def test_failed_compilation_falls_back_to_eager_with_a_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("backend exploded")

    monkeypatch.setattr(torch, "compile", lambda module, **kwargs: Broken())
    lines: list[str] = []
    fallback, _, rows = fit(
        "resnet8",
        "ce",
        tiny_recipe(epochs=2),
        tmp_path / "fallback",
        log=lines.append,
        settings=TrainSettings(compile=True),
    )
    eager, _, reference = fit("resnet8", "ce", tiny_recipe(epochs=2), tmp_path / "eager")
    assert "torch.compile failed (RuntimeError: backend exploded); falling back to eager" in lines
    assert_same_state(fallback, eager)  # the failed warm-up left no trace
    drop_time = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop_time(rows) == drop_time(reference)


# --- divergence and checkpoint provenance ----------------------------------------------------


@pytest.mark.parametrize(("lr", "epoch", "value"), [(1e8, 1, "nan"), (1000.0, 2, "inf")])
def test_divergence_stops_training_naming_run_epoch_and_value(
    tmp_path: Path, lr: float, epoch: int, value: str
) -> None:
    """lr 1e8 turns weights to nan in epoch 1; lr 1000 sends BatchNorm statistics to inf in epoch 2."""
    with pytest.raises(TrainingDiverged) as error:
        fit("resnet8", "ce", tiny_recipe(lr=lr), tmp_path)
    message = str(error.value)
    assert f"run {tmp_path}" in message and f"epoch {epoch}/3" in message and f"(e.g. {value})" in message
    if epoch == 1:
        assert not (tmp_path / "checkpoint.pt").exists() and not (tmp_path / "metrics.csv").exists()
    else:  # the last good epoch's checkpoint and metrics stay; the bad epoch was not written
        assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["epoch"] == epoch - 1
        with open(tmp_path / "metrics.csv", newline="") as f:
            assert len(list(csv.DictReader(f))) == epoch - 1


def test_nonfinite_loss_alone_stops_training(tmp_path: Path) -> None:
    class NanObjective(Objective):
        def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return super().forward(logits, target) * torch.tensor(float("nan")) if self.training else logits.sum()

    seed_everything(0)
    with pytest.raises(TrainingDiverged, match=r"epoch 1/3 \(lr 0.05\): mean loss nan"):
        # nan × loss gives nan gradients, so parameters go nan too; the loss is reported first.
        train(
            build_model("resnet8", CLASSES, 1, SIZE),
            NanObjective("ce", 0, CLASSES),
            synthetic_data(),
            tiny_recipe(),
            0,
            tmp_path,
            log=lambda s: None,
            device="cpu",
        )


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


def test_config_training_section_matches_the_schema_and_the_settings() -> None:
    root = Path(__file__).resolve().parents[2]
    schema = yaml.safe_load((root / "workflow/schemas/config.schema.yaml").read_text())
    config = yaml.safe_load((root / "config.yaml").read_text())
    assert TrainSettings.from_dict(config["training"]) == TrainSettings()
    accepted = [
        "{precision: off, channels_last: on, compile: off, eval_every: 3}",
        "{precision: bf16, channels_last: 'off', compile: true, eval_every: auto}",
    ]
    for text in accepted:  # whatever the schema accepts, the trainer accepts
        config["training"] = yaml.safe_load(text)
        jsonschema.validate(config, schema)
        TrainSettings.from_dict(config["training"]).resolve("cuda")
    for bad in ("{precision: fp16}", "{compile: maybe}", "{eval_every: 0}", "{eval_every: true}"):
        config["training"] = {**yaml.safe_load(accepted[0]), **yaml.safe_load(bad)}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(config, schema)
        with pytest.raises(ValueError):
            TrainSettings.from_dict(config["training"])


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


def test_benchmark_table_projects_160_epochs_and_states_the_ratio() -> None:
    path = Path(__file__).resolve().parents[2] / "benchmarks/bench_train.py"
    spec = importlib.util.spec_from_file_location("bench_train", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    fast = {"name": "lsib", "images": 1000, "seconds": 0.25, "setup": 40.0, "peak_mb": 900.0}
    plain = {"name": "plain", "images": 1000, "seconds": 2.0, "setup": 10.0, "peak_mb": 1200.0}
    text = bench.table([fast, plain])
    # 160 × 50,000 images at 4,000 images/s = 2,000 s, + 40 s setup = 34.0 min; at 500/s: 16,000 s + 10 s = 4.4 h.
    assert "| lsib | 4,000 | 34.0 min | 40.0 s | 900 MB |" in text
    assert "| plain | 500 | 4.4 h | 10.0 s | 1,200 MB |" in text
    assert text.endswith("ratio lsib / plain: 8.00× images/s")


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
