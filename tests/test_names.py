"""Each name is defined once (lsib.names, the Recipe/SolverSettings dataclasses); every other
place that lists names — the schema's enums and fields, the plots' labels, the workflow's
wildcard constraints — must agree with it, so a name added in one place only fails here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import yaml

from lsib import names, plots
from lsib.info import ib_solver
from lsib.measure import probes
from lsib.train import recipe

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
DEFS, PROPS = SCHEMA["$defs"], SCHEMA["properties"]


def fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


#: kind → place → the names that place lists. The first place is the definition.
PLACES: dict[str, dict[str, Callable[[], Iterable[str]]]] = {
    "model": {
        "lsib.names.MODELS": lambda: names.MODELS,
        "schema $defs.model": lambda: DEFS["model"]["enum"],
    },
    "objective": {
        "lsib.names.OBJECTIVES": lambda: names.OBJECTIVES,
        "schema e1.runs[].objectives": lambda: PROPS["e1"]["properties"]["runs"]["items"]["properties"]["objectives"][
            "properties"
        ],
        "lsib.plots objective labels": lambda: plots.style.OBJECTIVE_STYLES,
    },
    "augmentation": {
        "lsib.names.AUGMENTATIONS": lambda: names.AUGMENTATIONS,
        "schema $defs.recipe.augment": lambda: DEFS["recipe"]["properties"]["augment"]["enum"],
    },
    "source": {
        "lsib.names.SOURCES": lambda: names.SOURCES,
        "schema datasets.*.source": lambda: PROPS["datasets"]["additionalProperties"]["properties"]["source"]["enum"],
        "lsib.plots.style.SOURCE_TITLES": lambda: plots.SOURCE_TITLES,
    },
    "derived data set": {
        "lsib.names.DERIVED_DATASETS": lambda: names.DERIVED_DATASETS,
        "schema datasets propertyNames": lambda: PROPS["datasets"]["propertyNames"]["not"]["enum"],
    },
    "recipe field": {
        "lsib.train.recipe.Recipe": lambda: fields(recipe.Recipe),
        "schema $defs.recipe": lambda: DEFS["recipe"]["properties"],
    },
    "optimizer": {
        "lsib.train.recipe.OPTIMIZERS": lambda: recipe.OPTIMIZERS,
        "schema $defs.recipe.optimizer": lambda: DEFS["recipe"]["properties"]["optimizer"]["enum"],
    },
    "schedule": {
        "lsib.train.recipe.SCHEDULES": lambda: recipe.SCHEDULES,
        "schema $defs.recipe.schedule": lambda: DEFS["recipe"]["properties"]["schedule"]["enum"],
    },
    "solver field": {
        "lsib.info.ib_solver.SolverSettings": lambda: fields(ib_solver.SolverSettings),
        "schema e2.solver": lambda: PROPS["e2"]["properties"]["solver"]["properties"],
    },
    "solver dtype": {
        "lsib.info.ib_solver.DTYPES": lambda: ib_solver.DTYPES,
        "schema e2.solver.dtype": lambda: PROPS["e2"]["properties"]["solver"]["properties"]["dtype"]["enum"],
    },
    "IB variant": {
        "lsib.info.ib_solver.VARIANTS": lambda: ib_solver.VARIANTS,
        "schema e2.betas": lambda: PROPS["e2"]["properties"]["betas"]["properties"],
        "lsib.plots IB variant labels": lambda: plots.style.IB_VARIANTS,
    },
    "probe": {
        "lsib.measure.probes.PROBES": lambda: probes.PROBES,
        "schema e3.probes": lambda: PROPS["e3"]["properties"]["probes"]["properties"],
        "lsib.plots probe labels": lambda: plots.style.PROBE_STYLES,
    },
}


def drift(places: dict[str, Iterable[str]]) -> list[str]:
    """One message per place whose names differ from the first place's (the definition)."""
    (definition, defined), *others = ((place, set(values)) for place, values in places.items())
    return [
        f"{place}: extra {sorted(set(values) - defined)}, missing {sorted(defined - set(values))} "
        f"(defined in {definition})"
        for place, values in others
        if set(values) != defined
    ]


@pytest.mark.parametrize("kind", PLACES)
def test_every_place_lists_the_defined_names(kind: str) -> None:
    assert drift({place: list(get()) for place, get in PLACES[kind].items()}) == []


@pytest.mark.parametrize(("kind", "place"), [(k, p) for k, places in PLACES.items() for p in places])
def test_a_name_added_in_one_place_only_is_reported(kind: str, place: str) -> None:
    places = {p: list(get()) for p, get in PLACES[kind].items()}
    places[place].append("brand_new_name")
    messages = drift(places)
    assert len(messages) == len(places) - 1 if place == next(iter(places)) else len(messages) == 1
    assert all("brand_new_name" in m for m in messages)


def test_downloaded_sources_are_sources() -> None:
    assert set(names.DOWNLOADED_SOURCES) < set(names.SOURCES)


def test_library_checks_use_the_defined_names() -> None:
    from lsib import models
    from lsib.data import datasets
    from lsib.train import augmentation, losses

    assert models.MODEL_NAMES is names.MODELS
    assert losses.OBJECTIVES is names.OBJECTIVES
    assert augmentation.AUGMENTATIONS is names.AUGMENTATIONS
    assert datasets.DATASETS is names.SOURCES


def test_wildcard_constraints_are_built_from_the_names() -> None:
    common = (ROOT / "workflow/rules/common.smk").read_text()
    assert 'model="|".join(names.MODELS)' in common
    assert 'objective="|".join(names.OBJECTIVES)' in common
