"""presets/scale.yaml plans E1, E3 and E4 at the paper's recipes on offline data."""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path

import yaml
from snakemake.utils import update_config
from workflow_helpers import ROOT, copy_workflow, snakemake

from lsib.pipeline import plan
from lsib.train.recipe import Recipe


def merged(*names: str) -> dict:
    """config.yaml with the given presets merged over it, as Snakemake merges --configfile."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for name in names:
        update_config(config, yaml.safe_load((ROOT / name).read_text()))
    return copy.deepcopy(config)


def test_scale_preset_runs_are_the_papers_recipes() -> None:
    config = merged("presets/scale.yaml")
    plan.check(config)
    e1, e3, e4 = plan.e1_runs(config), plan.e3_runs(config), plan.e4_runs(config)
    assert {(r.dataset, r.model) for r in e1} == {("fashion_mnist", "resnet56")}
    assert sorted(r.coef for r in e1) == [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert sorted({r.coef for r in e3}) == config["e3"]["eps"] == [0.0, 0.1, 0.2, 0.4, 0.6, 0.8]
    assert {r.model for r in e3} == {"resnet56"} and {r.model for r in e4} == {"resnet20"}
    assert sorted((r.objective, r.coef) for r in e4 if r.seed == 0) == [("ce", 0.0), ("ls", 0.1)]
    for run in e1 + e3 + e4:  # SGD 0.9, lr 0.1, ×0.1 at 80 and 120 of 160 epochs, batch 128
        recipe = Recipe.from_dict(plan.recipe_of(config, run.dataset, run.model))
        assert (recipe.epochs, recipe.milestones, recipe.batch_size, recipe.lr) == (160, (80, 120), 128, 0.1)
    fashion = config["datasets"]["fashion_mnist"]
    assert fashion["source"] == "fashion_mnist" and "n_train" not in fashion  # all 60,000 images
    assert (config["e3"]["base"], config["e3"]["canvas"], config["e3"]["digit_size"]) == ("fashion_mnist", 32, None)
    assert (config["e4"]["canvas"], config["e4"]["n_crops"], config["e4"]["crop_size"]) == (64, 12, 14)


def test_scale_cpu_keeps_the_schedule_shape() -> None:
    config = merged("presets/scale.yaml", "presets/scale_cpu.yaml")
    plan.check(config)
    for run in plan.e3_runs(config) + plan.e4_runs(config):
        recipe = Recipe.from_dict(plan.recipe_of(config, run.dataset, run.model))
        first, second = recipe.milestones
        assert abs(first - recipe.epochs / 2) <= 0.5 and abs(second - 3 * recipe.epochs / 4) <= 0.5


def test_scale_preset_dry_run_plans_all_three(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    out = snakemake(workdir, "-n", configfiles=("presets/scale.yaml", "offline.yaml"))
    assert out.returncode == 0, out.stderr[-3000:]
    table = out.stdout.split("Job stats:")[1].split("total")[0]
    counts = Counter({m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)})
    assert counts["train"] == 11 + 6 * 3 + 2 * 3  # E1 + E3 + E4
    assert (counts["run_outputs"], counts["run_features"], counts["run_gradcam"]) == (11, 18, 6)
    assert counts["data_occluded"] == counts["data_cluttered"] == 1
