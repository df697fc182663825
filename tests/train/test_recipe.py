"""Training recipes (SPEC §6): parsing, the paper's presets, learning-rate schedules."""

from __future__ import annotations

import math

import pytest

from lsib.train.recipe import CCT_RECIPE, RESNET_RECIPE, Recipe, learning_rate


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
