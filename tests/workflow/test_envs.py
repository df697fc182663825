"""The conda environment (envs/lsib.yaml) pins the packages pyproject.toml asks for, in its bounds; lint is clean."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$")


def parse(requirement: str) -> tuple[str, str]:
    name, spec = REQUIREMENT.match(requirement).groups()
    return name.lower(), spec.replace(" ", "")


def env() -> dict:
    return yaml.safe_load((ROOT / "envs/lsib.yaml").read_text())


def pip_entries() -> list[str]:
    return next(entry["pip"] for entry in env()["dependencies"] if isinstance(entry, dict))


def pins() -> dict[str, str]:
    """Package → pinned version of envs/lsib.yaml (conda and pip entries, ``name==version``)."""
    listed: dict[str, str] = {}
    for entry in env()["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
            name, spec = parse(requirement)
            listed[name] = spec
    assert listed.pop("pip") == ""
    return listed


def test_conda_env_pins_every_pyproject_dependency_inside_its_bound() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {name: SpecifierSet(spec) for name, spec in map(parse, project["dependencies"])}
    listed = pins()
    python = listed.pop("python")
    assert python.startswith("==") and Version(python[2:]) in SpecifierSet(project["requires-python"])
    assert listed.keys() == wanted.keys()
    for name, spec in listed.items():
        assert spec.startswith("=="), f"{name} is not pinned: {spec!r}"
        assert Version(spec[2:]) in wanted[name], f"{name}{spec} is outside pyproject's {wanted[name]}"


def test_torch_comes_from_pypi_cuda_wheels() -> None:
    """PyPI's Linux torch wheels are CUDA builds; the ``pytorch`` conda channel stopped at 2.5.x and
    conda-forge may pick a CPU build on a submit node without a GPU."""
    assert {parse(r)[0] for r in pip_entries()} >= {"torch", "torchvision"}
    assert "pytorch" not in env()["channels"]


@pytest.mark.parametrize("preset", [(), ("--configfile", "config.yaml", "presets/quick.yaml")])
def test_snakemake_lint_is_clean(preset: tuple[str, ...]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", *preset], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr
