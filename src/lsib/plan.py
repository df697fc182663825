"""The experiment plan: which training runs a configuration asks for, and where they live.

This is plain Python over the validated config dict (schema: workflow/schemas/config.schema.yaml),
so the workflow and the tests share one definition of run identity. A run is keyed by
data set, model, objective, coefficient and seed (SPEC §5); its recipe follows from the
experiment that asks for it, and two experiments may not train the same
(data set, model) pair with different recipes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lsib.names import DERIVED_DATASETS


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


def e1_runs(config: Mapping[str, Any]) -> list[Run]:
    """Every run of E1: each entry of ``e1.runs`` × objective × coefficient × seed."""
    if not config["e1"]["enabled"]:
        return []
    return sorted(
        Run(entry["dataset"], entry["model"], objective, float(coef), seed, entry["recipe"])
        for entry in config["e1"]["runs"]
        for objective, coefs in entry["objectives"].items()
        for coef in coefs
        for seed in entry["seeds"]
    )


def e3_runs(config: Mapping[str, Any]) -> list[Run]:
    """E3: LS at every ε of ``e3.eps`` (ε = 0 is plain CE) on the occluded set, per seed."""
    e3 = config["e3"]
    if not e3["enabled"]:
        return []
    return [Run("occluded", e3["model"], "ls", float(eps), seed, e3["recipe"]) for eps in e3["eps"] for seed in e3["seeds"]]


def e4_runs(config: Mapping[str, Any]) -> list[Run]:
    """E4: a CE and an LS(ε = ``e4.ls_eps``) model on the cluttered set, per seed."""
    e4 = config["e4"]
    if not e4["enabled"]:
        return []
    return [
        Run("cluttered", e4["model"], objective, coef, seed, e4["recipe"])
        for objective, coef in (("ce", 0.0), ("ls", float(e4["ls_eps"])))
        for seed in e4["seeds"]
    ]


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
        _require(entry["dataset"] in datasets, f"e1.runs[{i}].dataset: unknown data set {entry['dataset']!r}; define it under 'datasets'")
    for key in ("e3.base", "e3.digits", "e4.digits"):
        section, field = key.split(".")
        name = config[section][field]
        _require(name in datasets, f"{key}: unknown data set {name!r}; define it under 'datasets'")
    for key, recipe in _recipe_keys(config):
        _require(recipe in recipes, f"{key}: unknown recipe {recipe!r}; define it under 'recipes'")
    seen: dict[tuple[str, str], str] = {}
    for run in all_runs(config):
        previous = seen.setdefault((run.dataset, run.model), run.recipe)
        _require(
            previous == run.recipe,
            f"{run.dataset}/{run.model} is trained with two recipes ({previous!r}, {run.recipe!r}); "
            "use one recipe per data set and model",
        )
    e2 = config["e2"]
    _require(not e2["enabled"] or bool(e2["betas"]["plain"] or e2["betas"]["squared"]), "e2.betas: give at least one β")


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
