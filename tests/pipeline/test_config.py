"""Configuration: the JSON schema stops bad configs before any job runs, and the run plan (SPEC §5)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_helpers import dry_run_rules

from lsib.pipeline import plan, schema_doc

ROOT = Path(__file__).resolve().parents[2]


def load_config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def dry_run(tmp_path: Path, override: str, *extra: str) -> subprocess.CompletedProcess:
    """Dry-run config.yaml merged with the YAML ``override`` (and ``extra`` options) in ``tmp_path``."""
    (tmp_path / "override.yaml").write_text(override)
    return dry_run_rules(tmp_path, *extra, configfiles=(tmp_path / "override.yaml",))


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("e3:\n  eps: [0.0, 1.5]\n", ["1.5 is greater than the maximum of 1", "['e3']['eps'][1]"]),
        (
            "e2:\n  ls_eps: {start: -0.1, stop: 1.0, num: 5}\n",
            ["-0.1 is less than the minimum of 0", "['e2']['ls_eps']['start']"],
        ),
        ("e1:\n  extra_key: 1\n", ["'extra_key' was unexpected", "['e1']"]),
        ("e4:\n  canvas: big\n", ["'big' is not of type 'integer'", "['e4']['canvas']"]),
        ("recipes:\n  resnet: {epochs: ten}\n", ["'ten' is not of type 'integer'", "['recipes']['resnet']['epochs']"]),
        ("device: gpu\n", ["'gpu' is not one of", "['device']"]),
        ("e3:\n  base: imagenet\n", ["e3.base: unknown data set 'imagenet'"]),
        ("e4:\n  recipe: fancy\n", ["e4.recipe: unknown recipe 'fancy'"]),
    ],
)
def test_bad_config_stops_before_any_job_with_the_key_named(tmp_path: Path, override: str, expected: list[str]) -> None:
    result = dry_run(tmp_path, override)
    assert result.returncode != 0
    for text in expected:
        assert text in result.stderr + result.stdout
    assert not (tmp_path / "results").exists()


def test_paper_config_dry_run_lists_the_full_sweep(tmp_path: Path) -> None:
    """`snakemake -n` on config.yaml schedules every run of E1 (93), E3 (18) and E4 (6); E6 measures
    the E1 and E3 runs again and trains nothing (the 117 runs are those of E1, E3 and E4)."""
    result = dry_run(tmp_path, "{}\n")
    assert result.returncode == 0, result.stderr
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in result.stdout.splitlines()
        if len(line.split()) == 2 and line.split()[1].isdigit()
    }
    assert counts["train"] == 117
    assert counts["run_outputs"] == counts["run_information"] == 93
    assert counts["run_features"] == counts["run_probes"] == 18
    assert counts["run_gradcam"] == 6
    assert counts["run_benefits"] == 93 and counts["run_compression"] == 18
    assert (
        counts["e6_benefits"] == counts["e6_matched"] == counts["e6_fig_benefits"] == counts["e6_fig_projection"] == 2
    )
    assert counts["e6_e3_compression"] == 1
    assert counts["data_download"] == 3  # cifar10, mnist, flowers102: one job per source
    assert counts["data_prepare"] == 3


def test_paper_plan_matches_spec() -> None:
    config = load_config()
    runs = plan.all_runs(config)
    e1 = plan.e1_runs(config)
    assert {(r.dataset, r.model) for r in e1} == {("cifar10", "resnet56"), ("flowers102", "cct_7_7x2")}
    assert {r.seed for r in runs} == {0, 1, 2}
    assert max(r.coef for r in e1 if r.objective == "ls") == 0.9
    assert len(set(r.path for r in runs)) == len(runs) == 117
    assert plan.recipe_of(config, "cifar10", "resnet56") == {}
    assert plan.recipe_of(config, "cluttered", "resnet20") == {"augment": "crop"}


def test_one_recipe_per_dataset_and_model() -> None:
    config = load_config()
    config["e1"]["runs"].append(copy.deepcopy(config["e1"]["runs"][0]) | {"recipe": "cct"})
    with pytest.raises(plan.ConfigError, match="two recipes"):
        plan.check(config)


def test_disabled_experiments_have_no_runs() -> None:
    config = load_config()
    for key in ("e1", "e3", "e4"):
        config[key]["enabled"] = False
    assert plan.all_runs(config) == []


@pytest.mark.parametrize(("coef", "label"), [(0.0, "0"), (0.1, "0.1"), (0.25, "0.25"), (1.0, "1"), (1e-5, "1e-05")])
def test_coef_label_round_trips(coef: float, label: str) -> None:
    assert plan.coef_label(coef) == label
    assert float(label) == coef


def test_grid_is_linspace() -> None:
    assert list(plan.grid({"start": 0.0, "stop": 1.0, "num": 5})) == [0.0, 0.25, 0.5, 0.75, 1.0]


# ---------------------------------------------------------------- the configuration reference


SCHEMA_PATH = ROOT / "workflow/schemas/config.schema.yaml"
#: The configuration reference page: the schema's table between the markers (lsib.pipeline.schema_doc).
CONFIG_DOC = "docs/config.md"
START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def property_names(node: object) -> list[str]:
    """Every key under a ``properties`` mapping anywhere in the schema."""
    if isinstance(node, dict):
        own = list(node.get("properties", {}))
        return own + [name for value in node.values() for name in property_names(value)]
    if isinstance(node, list):
        return [name for value in node for name in property_names(value)]
    return []


def test_every_schema_key_has_a_description_and_a_row() -> None:
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    table = schema_doc.reference(schema)
    for key in (
        "raw_dir",
        "datasets.<name>.source",
        "recipes.<name>.augment",
        "e1.runs[].objectives.ls",
        "resources.light.mem_mb",
    ):
        assert f"| `{key}` |" in table
    keys = {row.split("`")[1].split(".")[-1].removesuffix("[]") for row in table.splitlines()[2:]}
    assert keys >= set(property_names(schema))  # every property of the schema, $defs included, has a row
    del schema["properties"]["e4"]["properties"]["canvas"]["description"]
    with pytest.raises(schema_doc.SchemaDocError, match=r"e4\.canvas: no description"):
        schema_doc.reference(schema)


def test_reference_renders_types_and_bounds() -> None:
    schema = {
        "type": "object",
        "$defs": {"p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}},
        "properties": {
            "a": {"$ref": "#/$defs/p", "description": "A"},
            "b": {"type": "array", "items": {"enum": ["x", "y"]}, "description": "B"},
            "c": {"type": ["integer", "null"], "minimum": 2, "description": "C"},
        },
    }
    assert schema_doc.reference(schema).splitlines()[2:] == [
        "| `a` | number in (0, 1] | A |",
        "| `b` | list of one of `x`, `y` | B |",
        "| `c` | integer or null ≥ 2 | C |",
    ]


def test_docs_configuration_reference_is_the_schema() -> None:
    """docs/config.md between the config-reference markers is `python -m lsib.pipeline.schema_doc`'s output."""
    page = (ROOT / CONFIG_DOC).read_text()
    assert page.count(START) == 1 and page.count(END) == 1, f"{CONFIG_DOC} lacks the config-reference markers"
    section = page.split(START, 1)[1].split(END, 1)[0].strip()
    assert section == schema_doc.reference(yaml.safe_load(SCHEMA_PATH.read_text())).strip(), (
        f"{CONFIG_DOC} is stale: paste `python -m lsib.pipeline.schema_doc` between its markers"
    )


def test_module_cli_prints_the_reference() -> None:
    """`python -m lsib.pipeline.schema_doc` is the command the page names; it prints the same table."""
    result = subprocess.run(
        [sys.executable, "-m", "lsib.pipeline.schema_doc"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout == schema_doc.reference(yaml.safe_load(SCHEMA_PATH.read_text()))
    assert "python -m lsib.pipeline.schema_doc" in (ROOT / CONFIG_DOC).read_text()


def test_readme_links_the_configuration_reference() -> None:
    """The reference lives in docs/config.md only; README links to it instead of carrying a copy."""
    readme = (ROOT / "README.md").read_text()
    assert f"]({CONFIG_DOC})" in readme
    assert START not in readme and END not in readme


def test_data_sets_sharing_a_source_share_one_download(tmp_path: Path) -> None:
    result = dry_run(tmp_path, (ROOT / "presets/quick.yaml").read_text())
    assert result.returncode == 0, result.stderr
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in result.stdout.splitlines()
        if len(line.split()) == 2 and line.split()[1].isdigit()
    }
    assert counts["data_download"] == 1  # fashion_mnist, used by three data sets; mnist5k needs none
    assert counts["data_prepare"] == 4
