"""The conda environment (envs/lsib.yaml) and pyproject.toml ask for the same packages, and lint is clean."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: conda-forge/pytorch names of PyPI distributions, where they differ.
CONDA_NAMES = {"torch": "pytorch"}
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$")


def parse(requirement: str) -> tuple[str, str]:
    name, spec = REQUIREMENT.match(requirement).groups()
    return name.lower(), spec.replace(" ", "")


def test_conda_env_matches_pyproject_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {CONDA_NAMES.get(name, name): spec for name, spec in map(parse, project["dependencies"])}
    env = yaml.safe_load((ROOT / "envs/lsib.yaml").read_text())["dependencies"]
    listed: dict[str, str] = {}
    for entry in env:
        for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
            name, spec = parse(requirement)
            listed[name] = spec
    listed.pop("python")
    listed.pop("pip")
    assert listed == wanted


@pytest.mark.parametrize("preset", [(), ("--configfile", "config.yaml", "presets/quick.yaml")])
def test_snakemake_lint_is_clean(preset: tuple[str, ...]) -> None:
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint", *preset], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr
