"""Every "SPEC §n" cited in the code resolves to a section of docs/spec.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"SPEC (§\d+(?:\s*[–,-]\s*§\d+)*)")


def cited_sections() -> set[int]:
    found: set[int] = set()
    for folder in ("src", "workflow", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".smk", ".rst", ".yaml") and path.is_file():
                for citation in CITATION.findall(path.read_text()):
                    numbers = [int(n) for n in re.findall(r"\d+", citation)]
                    found |= set(range(numbers[0], numbers[-1] + 1)) if "–" in citation else set(numbers)
    return found


def test_every_cited_section_exists() -> None:
    headings = {int(n) for n in re.findall(r"^## §(\d+) ", (ROOT / "docs/spec.md").read_text(), re.M)}
    assert headings == set(range(1, 8))
    cited = cited_sections()
    assert cited and cited <= headings, sorted(cited - headings)
