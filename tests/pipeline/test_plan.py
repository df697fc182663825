"""lsib.pipeline.plan: config checks of subset sizes, one spelling per run path, no duplicate runs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from workflow_helpers import ROOT

from lsib import names
from lsib.pipeline import plan


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` merged into ``base`` recursively, as Snakemake merges --configfile files."""
    return {
        **base,
        **{
            k: merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
            for k, v in override.items()
        },
    }


def quick_config() -> dict[str, Any]:
    return merged(
        yaml.safe_load((ROOT / "config.yaml").read_text()),
        yaml.safe_load((ROOT / "presets" / "quick.yaml").read_text()),
    )


@pytest.mark.parametrize(
    ("source", "key", "size"),
    [
        ("mnist", "n_train", 60_000),
        ("cifar10", "n_test", 10_000),
        ("mnist5k", "n_train", 4_000),
        ("flowers102", "n_train", 2_040),
    ],
)
def test_a_subset_larger_than_its_split_is_rejected_at_config_check(source: str, key: str, size: int) -> None:
    config = quick_config()
    config["datasets"]["digits"] = {"source": source, key: size + 1}
    with pytest.raises(plan.ConfigError, match=re.escape(f"datasets.digits.{key}: {size + 1} is more than the {size}")):
        plan.check(config)
    config["datasets"]["digits"] = {"source": source, key: size}
    plan.check(config)


# ------------------------------------------------------------------------------------------
# run paths are canonical; duplicate runs are rejected naming both places
# ------------------------------------------------------------------------------------------
def run_regex(config: dict[str, Any]) -> re.Pattern[str]:
    """The run-directory pattern as Snakemake compiles it, with the workflow's wildcard constraints."""
    return re.compile(
        rf"results/runs/(?P<dataset>[A-Za-z0-9_]+)/(?P<model>{'|'.join(names.MODELS)})/"
        rf"(?P<objective>{'|'.join(names.OBJECTIVES)})-(?P<coef>{plan.coef_constraint(config)})/seed(?P<seed>\d+)/model\.pt"
    )


def test_only_planned_runs_in_their_one_spelling_match() -> None:
    config = quick_config()
    regex = run_regex(config)
    planned = {f"results/runs/{run.path}/model.pt" for run in plan.all_runs(config)}
    assert len(planned) == 12  # E1: CE, LS 0.1, LS 0.4, CP 0.3, VIB 0.5 + CCT CE, LS 0.4; E3: three ε; E4: CE, LS
    for path in planned:
        assert regex.fullmatch(path), path
    for path in (
        "fashion_mnist/resnet8/ls-0.10/seed0",
        "fashion_mnist/resnet8/ls-.1/seed0",
        "fashion_mnist/resnet8/ls-1e-1/seed0",
        "fashion_mnist/resnet8/ls-0.2/seed0",
        "fashion_mnist/resnet8/ls-1.5/seed0",
        "fashion_mnist/resnet8/ce-0.1/seed0",
        "fashion_mnist/resnet8/ls-0.1/seed00",
        "fashion_mnist/resnet8/ls-0.1/seed1",
        "occluded/resnet8/ls-0.1/seed0",
        "cluttered/resnet20/ls-0.1/seed0",
        "fashion_mnist/resnet8/ce-0.0/seed0",
    ):
        assert not regex.fullmatch(f"results/runs/{path}/model.pt"), path
    config["e1"]["enabled"] = config["e3"]["enabled"] = config["e4"]["enabled"] = False
    assert not run_regex(config).fullmatch("results/runs/fashion_mnist/resnet8/ce-0/seed0/model.pt")


def test_quick_cct_panel_trains_on_the_same_data_under_its_own_key() -> None:
    """E1's tables and figures are per data set: the CCT panel's key names the same images as fashion_mnist."""
    config = quick_config()
    plan.check(config)
    datasets = config["datasets"]
    assert datasets["fashion_mnist_cct"] == datasets["fashion_mnist"]
    assert {(r.dataset, r.model, r.recipe) for r in plan.e1_runs(config)} == {
        ("fashion_mnist", "resnet8", "quick"),
        ("fashion_mnist_cct", "cct_tiny", "quick_cct"),
    }
    assert config["recipes"]["quick_cct"]["optimizer"] == "adamw"
    assert config["recipes"]["quick_cct"]["augment"] == "resized_crop_flip"


def test_duplicate_runs_are_rejected_naming_both_places() -> None:
    config = quick_config()
    entry = config["e1"]["runs"][0]
    config["e1"]["runs"].append({**entry, "objectives": {"ls": [0.4]}})
    with pytest.raises(
        plan.ConfigError,
        match=re.escape(
            "e1.runs[0].objectives.ls[1] × e1.runs[0].seeds[0] and "
            "e1.runs[2].objectives.ls[0] × e1.runs[2].seeds[0] both ask for run "
            "fashion_mnist/resnet8/ls-0.4/seed0"
        ),
    ):
        plan.check(config)
    config = quick_config()
    config["e3"]["seeds"] = [0, 0]
    with pytest.raises(
        plan.ConfigError, match=re.escape("e3.eps[0] × e3.seeds[0] and e3.eps[0] × e3.seeds[1] both ask")
    ):
        plan.check(config)


def test_e6_attacking_more_test_images_than_a_data_set_has_is_rejected() -> None:
    config = quick_config()
    plan.check(config)  # the quick preset attacks 200 of fashion_mnist's 500 test images
    config["e6"]["n_attack"] = 501
    with pytest.raises(plan.ConfigError, match=r"e6.n_attack: 501 is more than the 500 test images of fashion_mnist"):
        plan.check(config)
    config["e6"]["n_attack"] = None  # all of them
    plan.check(config)


def test_e6_projection_shows_the_first_seed_ce_beside_the_largest_ls_eps() -> None:
    config = quick_config()
    config["e1"]["runs"][0]["seeds"] = [3, 1]
    ce, ls = plan.e6_projection_runs(config, "fashion_mnist")
    assert (ce.objective, ce.coef, ce.seed) == ("ce", 0.0, 3)
    assert (ls.objective, ls.coef, ls.seed) == ("ls", 0.4, 3)
    assert plan.e6_projection_runs(config, "cifar10") is None
    config["e1"]["runs"][0]["objectives"].pop("ls")
    assert plan.e6_projection_runs(config, "fashion_mnist") is None


def test_e6_cpu_preset_plans_three_seeds_of_seven_objectives_and_nothing_else() -> None:
    config = merged(
        yaml.safe_load((ROOT / "config.yaml").read_text()),
        yaml.safe_load((ROOT / "presets" / "e6_cpu.yaml").read_text()),
    )
    plan.check(config)
    runs = plan.all_runs(config)
    assert len(runs) == 21 and {r.seed for r in runs} == {0, 1, 2}
    assert sorted({(r.objective, r.coef) for r in runs}) == [
        ("ce", 0.0),
        ("cp", 0.3),
        ("ls", 0.05),
        ("ls", 0.1),
        ("ls", 0.2),
        ("ls", 0.4),
        ("vib", 0.5),
    ]
    assert config["e6"]["enabled"] and not any(config[k]["enabled"] for k in ("f1", "e2", "e3", "e4", "e5"))
