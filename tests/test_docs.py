"""The README and docs/ stay true: links resolve, the README stays short, its code map names only
what exists, and the example of docs/python.md runs.

- every relative link and image of README.md and docs/*.md names an existing file (http(s) and
  mailto links and pure ``#anchors`` aside), and every ``#fragment`` into a Markdown page names
  one of its headings;
- README.md has at most :data:`README_MAX_LINES` lines;
- the ``python`` blocks of docs/python.md run in a fresh interpreter, in an empty folder, and
  their own ``assert`` statements hold;
- every entry of README's code map (the ``text`` block under "Where things live") exists, every
  name after the colon of a ``src/lsib`` entry is an attribute of that module, and every
  subpackage and top-level module of ``lsib`` has an entry;
- every ``lsib.xxx`` name and every backticked repository path (``src/…``, ``tests/…``,
  ``workflow/…``, …) of README.md and docs/*.md exists.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200
CODE_MAP_HEADING = "## Where things live"

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
MD_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:img|a|source)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
EXTERNAL = ("http://", "https://", "mailto:")

#: Backticked paths starting with one of these are repository paths that must exist.
REPO_PREFIXES = ("src/", "tests/", "workflow/", "presets/", "profiles/", "envs/", "benchmarks/", "docs/", ".ci/")
BACKTICKED_PATH = re.compile(r"`([\w.*/-]+)`")
#: ``lsib.a.b`` names (not ``envs/lsib.yaml`` and the like); a trailing ``*`` is a glob.
DOTTED = re.compile(r"(?<![\w/.-])lsib(?:\.[A-Za-z_][\w*]*)+")
FILE_SUFFIXES = {"yaml", "yml", "py", "md", "smk", "rst", "pt", "csv", "toml"}

TREE_LINE = re.compile(r"^(?P<indent>(?:│   |    )*)(?:├── |└── )(?P<entry>\S+)(?:\s{2,}(?P<note>.*))?$")
IDENTIFIER = re.compile(r"^[A-Za-z_*][\w*]*$")


# ---------------------------------------------------------------- helpers


def prose(text: str) -> str:
    """``text`` without fenced blocks and inline code: what Markdown renders as links and headings."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def link_targets(text: str) -> list[str]:
    """Every link and image target of a Markdown page (Markdown and HTML syntax), in order."""
    body = prose(text)
    return MD_LINK.findall(body) + HTML_LINK.findall(body)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings (a repeated heading gets ``-1``, ``-2``, … as on GitHub)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links and images of ``page`` that name no existing file, or no heading of it."""
    problems = []
    for target in link_targets(page.read_text()):
        if target.startswith(EXTERNAL):
            continue
        path, _, fragment = target.partition("#")
        if not path:  # a pure #anchor into this page
            if fragment not in anchors(page):
                problems.append(f"{target} (no such heading in {page.name})")
            continue
        if path.startswith("/"):
            problems.append(f"{target} (absolute; use a path relative to {page.name})")
            continue
        resolved = (page.parent / path).resolve()
        if not resolved.exists():
            shown = resolved.relative_to(ROOT) if ROOT in resolved.parents else resolved
            problems.append(f"{target} (no file {shown})")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            problems.append(f"{target} (no heading #{fragment} in {path})")
    return problems


def resolve(dotted: str) -> object:
    """The object a dotted ``lsib`` name names: its longest importable module, then attributes.

    A ``*`` in the last part is a glob that must match at least one attribute. Raises
    ``ImportError`` or ``AttributeError`` naming what is missing.
    """
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        name = ".".join(parts[:i])
        if "*" in name:
            continue
        try:
            obj: object = importlib.import_module(name)
            break
        except ModuleNotFoundError as error:
            if error.name != name:  # the module exists but something it imports does not
                raise
    else:
        raise ImportError(f"no module {parts[0]!r}")
    for part in parts[i:]:
        if "*" in part:
            matches = fnmatch.filter(dir(obj), part)
            if not matches:
                raise AttributeError(f"{dotted}: nothing in {getattr(obj, '__name__', obj)} matches {part!r}")
            return matches
        obj = getattr(obj, part)
    return obj


def code_map(text: str) -> list[tuple[str, str]]:
    """(repository path, note) of every entry of the ``text`` tree under :data:`CODE_MAP_HEADING`."""
    section = text.split(CODE_MAP_HEADING, 1)[1]
    block = re.search(r"^```text\n(.*?)^```", section, re.S | re.M)
    assert block, f"README's {CODE_MAP_HEADING!r} section has no ```text tree"
    lines = block.group(1).splitlines()
    assert lines[0].strip() == ".", "the code map's first line is the repository root, '.'"
    parents: list[str] = [""]
    entries = []
    for line in lines[1:]:
        match = TREE_LINE.match(line)
        assert match, f"code map line is not a tree entry: {line!r}"
        depth = len(match["indent"]) // 4 + 1
        assert depth <= len(parents), f"code map line is indented past its parent: {line!r}"
        path = parents[depth - 1] + match["entry"]
        del parents[depth:]
        parents.append(path if path.endswith("/") else path + "/")
        entries.append((path, match["note"] or ""))
    return entries


def module_of(path: str) -> str:
    """``src/lsib/info/optima.py`` → ``lsib.info.optima``; ``src/lsib/info/`` → ``lsib.info``."""
    name = path.removeprefix("src/").removesuffix("/").removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONOPTIMIZE", None)  # the example's asserts must run
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


# ---------------------------------------------------------------- the checker itself


def test_link_checker_finds_broken_links_and_ignores_external_ones(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## A section\n")
    (tmp_path / "fig.png").write_bytes(b"")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        '[ok](other.md) [ok](other.md#a-section) [ok](#page) ![ok](fig.png) <img src="fig.png">\n'
        "[web](https://example.org/x.md) [mail](mailto:a@b.c) `[code](missing.md)`\n"
        "```\n[in a block](missing.md)\n```\n"
        '[gone](missing.md) ![gone](quick/none.png) <img src="none.png" width=3> '
        "[bad anchor](other.md#no-such) [bad self](#nowhere) [abs](/etc/passwd)\n"
    )
    problems = broken_links(page)
    assert [p.split(" ")[0] for p in problems] == [
        "missing.md",
        "quick/none.png",
        "other.md#no-such",
        "#nowhere",
        "/etc/passwd",
        "none.png",
    ]


def test_slugs_follow_github() -> None:
    assert slug("The quick preset: what it shows") == "the-quick-preset-what-it-shows"
    assert slug("The paper's recipes on offline data: `presets/scale.yaml`") == (
        "the-papers-recipes-on-offline-data-presetsscaleyaml"
    )
    assert slug("E3 and E4 at the largest scale a 2-core CPU affords") == (
        "e3-and-e4-at-the-largest-scale-a-2-core-cpu-affords"
    )


def test_name_resolution_rejects_what_does_not_exist() -> None:
    assert resolve("lsib.info.optima.ls_optimum_path") is importlib.import_module("lsib.info.optima").ls_optimum_path
    assert "plot_ib_vs_ls" in resolve("lsib.plot_*")
    with pytest.raises(AttributeError):
        resolve("lsib.info.optima.no_such_function")
    with pytest.raises(AttributeError):
        resolve("lsib.trainer")  # an old module name, gone since the package has subpackages


# ---------------------------------------------------------------- the pages


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_images_resolve(page: Path) -> None:
    assert not broken_links(page), f"{page.relative_to(ROOT)}: broken links: {broken_links(page)}"


def test_readme_is_short_and_links_every_docs_page() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= README_MAX_LINES, f"README.md has {len(text.splitlines())} lines"
    linked = {target.partition("#")[0] for target in link_targets(text)}
    for page in PAGES[1:]:
        assert f"docs/{page.name}" in linked, f"README.md does not link docs/{page.name}"


def test_python_example_runs(tmp_path: Path) -> None:
    """docs/python.md's example runs on a CPU, needs no files, writes none and checks itself."""
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / "docs/python.md").read_text(), re.S | re.M)
    assert blocks, "docs/python.md has no ```python block"
    code = "\n".join(blocks)
    assert len(re.findall(r"^\s*assert ", code, re.M)) >= 3, "the example should check what it shows"
    result = run_python(code, tmp_path)
    assert result.returncode == 0, f"docs/python.md's example failed:\n{result.stderr[-3000:]}"
    assert not list(tmp_path.iterdir()), "the example wrote files"


def test_a_failing_example_assert_fails_the_run(tmp_path: Path) -> None:
    assert run_python("assert 1 + 1 == 3", tmp_path).returncode != 0


def test_code_map_entries_and_names_exist() -> None:
    entries = code_map(README.read_text())
    missing = [path for path, _ in entries if not (ROOT / path).exists()]
    assert not missing, f"README's code map names paths that do not exist: {missing}"
    not_dirs = [path for path, _ in entries if path.endswith("/") and not (ROOT / path).is_dir()]
    assert not not_dirs, f"README's code map marks files as folders: {not_dirs}"
    problems = []
    for path, note in entries:
        if not path.startswith("src/lsib/"):
            continue
        module = importlib.import_module(module_of(path))
        names = note.rsplit(": ", 1)[1].split(", ") if ": " in note else []
        if path.endswith(".py") and not path.endswith("__init__.py") and not names:
            problems.append(f"{path}: no entry points after a colon")
        for item in names:
            name = item.split(" ", 1)[0]
            if not IDENTIFIER.match(name):
                problems.append(f"{path}: {item!r} after the colon is not a name")
            elif not (fnmatch.filter(dir(module), name) if "*" in name else hasattr(module, name)):
                problems.append(f"{path}: {module.__name__} has no {name!r}")
    assert not problems, "README's code map is out of date:\n" + "\n".join(problems)


def test_code_map_covers_every_subpackage_and_top_level_module() -> None:
    mapped = {path for path, _ in code_map(README.read_text())}
    package = ROOT / "src/lsib"
    expected = {f"src/lsib/{p.parent.name}/" for p in package.glob("*/__init__.py")}
    expected |= {f"src/lsib/{p.name}" for p in package.glob("*.py") if p.name != "__init__.py"}
    assert expected <= mapped, f"README's code map lacks {sorted(expected - mapped)}"
    assert {"src/lsib/", "workflow/rules/", "workflow/scripts/", "tests/", ".ci/"} <= mapped


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_modules_and_paths_exist(page: Path) -> None:
    text = page.read_text()
    problems = []
    for dotted in sorted(set(DOTTED.findall(text))):
        if dotted.rsplit(".", 1)[1] in FILE_SUFFIXES:  # a file name such as lsib.yaml
            continue
        try:
            resolve(dotted)
        except (ImportError, AttributeError) as error:
            problems.append(f"{dotted}: {error}")
    for path in sorted(set(BACKTICKED_PATH.findall(text))):
        if path.startswith(REPO_PREFIXES) and not (list(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()):
            problems.append(f"{path}: no such file")
    assert not problems, f"{page.relative_to(ROOT)} names what does not exist:\n" + "\n".join(problems)
