"""lsib.pipeline.provenance: fingerprints change with the code a script reaches, and with nothing else."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lsib.pipeline.provenance import CodeIndex, code_fingerprint, fingerprint, script_dependencies

ROOT = Path(__file__).resolve().parents[2]

PACKAGE = {
    "lsib/__init__.py": "",
    "lsib/alpha.py": '''
        """Alpha."""
        import math

        from lsib.beta import helper

        SCALE = 2.0


        def f(x):
            """Doc of f."""
            return helper(x) * SCALE  # a comment


        def g(x):
            return math.sqrt(x)
    ''',
    "lsib/beta.py": """
        def helper(x):
            return x + 1


        def unused(x):
            return x - 1


        def lazy():
            from lsib.gamma import deep

            return deep()
    """,
    "lsib/gamma.py": """
        REGISTRY = {}
        REGISTRY["k"] = 1


        def deep():
            return REGISTRY
    """,
    "lsib/sub/__init__.py": "from .inner import thing\n",
    "lsib/sub/inner.py": "def thing():\n    return 3\n",
}

SCRIPTS = {
    "uses_f.py": "from lsib import alpha\n\nalpha.f(1)\n",
    "uses_g.py": "from lsib.alpha import g\n\ng(4)\n",
    "uses_lazy.py": "import lsib.beta as beta\n\nbeta.lazy()\n",
    "uses_module.py": "from lsib import gamma\n\nprint(gamma)\n",
    "uses_sub.py": "from lsib.sub import thing\n\nthing()\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, text in {**PACKAGE, **{f"scripts/{k}": v for k, v in SCRIPTS.items()}}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return tmp_path


def prints(tree: Path) -> dict[str, str]:
    """Fingerprint of every script, from a fresh index (no cache between edits)."""
    index = CodeIndex(tree)
    return {name: fingerprint(script_dependencies(index, tree / "scripts" / name)) for name in SCRIPTS}


def changed(tree: Path, path: str, old: str, new: str) -> set[str]:
    before = prints(tree)
    file = tree / path
    assert old in file.read_text()
    file.write_text(file.read_text().replace(old, new))
    after = prints(tree)
    return {name for name in SCRIPTS if before[name] != after[name]}


def test_closure_follows_calls_across_modules_and_stops_at_unused_code(tree: Path) -> None:
    nodes = script_dependencies(CodeIndex(tree), tree / "scripts/uses_f.py")
    assert {("lsib.alpha", "f"), ("lsib.alpha", "SCALE"), ("lsib.beta", "helper")} <= nodes.keys()
    assert ("lsib.beta", "unused") not in nodes
    assert ("lsib.alpha", "g") not in nodes


@pytest.mark.parametrize(
    ("path", "old", "new", "expected"),
    [
        ("lsib/alpha.py", '"""Doc of f."""', '"""Another doc."""', set()),
        ("lsib/alpha.py", "# a comment", "# other words", set()),
        ("lsib/alpha.py", "return helper(x) * SCALE", "return helper(x)*SCALE", set()),
        ("lsib/alpha.py", "\n\ndef g", "\n\n\n# spacing\ndef g", set()),
        ("lsib/beta.py", "return x - 1", "return x - 2", set()),  # nobody reaches unused()
        ("lsib/alpha.py", "return helper(x) * SCALE", "return helper(x) * SCALE * 1", {"uses_f.py"}),
        ("lsib/alpha.py", "SCALE = 2.0", "SCALE = 3.0", {"uses_f.py"}),
        ("lsib/beta.py", "return x + 1", "return x + 2", {"uses_f.py"}),  # transitive, other module
        ("lsib/alpha.py", "math.sqrt(x)", "math.sqrt(x + 0)", {"uses_g.py"}),
        ("lsib/gamma.py", 'REGISTRY["k"] = 1', 'REGISTRY["k"] = 2', {"uses_lazy.py", "uses_module.py"}),  # lazy import
        ("lsib/sub/inner.py", "return 3", "return 4", {"uses_sub.py"}),  # package re-export, relative import
    ],
)
def test_only_code_changes_along_the_closure_change_a_fingerprint(
    tree: Path, path: str, old: str, new: str, expected: set[str]
) -> None:
    assert changed(tree, path, old, new) == expected


def test_module_side_effect_statements_count_for_every_user(tree: Path) -> None:
    assert changed(tree, "lsib/alpha.py", "SCALE = 2.0\n", "SCALE = 2.0\nprint('imported')\n") == {
        "uses_f.py",
        "uses_g.py",
    }


def test_workflow_scripts_fingerprint_and_missing_module_is_named(tmp_path: Path) -> None:
    value = code_fingerprint(ROOT / "workflow/scripts/e2_fig4.py", ROOT / "src")
    assert len(value) == 16 and int(value, 16) >= 0
    assert value != code_fingerprint(ROOT / "workflow/scripts/e1_fig3.py", ROOT / "src")
    script = tmp_path / "s.py"
    script.write_text("from lsib.nowhere import x\n")
    assert script_dependencies(CodeIndex(ROOT / "src"), script) == {}  # not in the tree: not lsib code


@pytest.mark.parametrize(
    "module",
    [
        "lsib.names",
        "lsib.pipeline.provenance",
        "lsib.pipeline.plan",
        "lsib.pipeline.schema_doc",
        "lsib.pipeline.joblog",
    ],
)
def test_light_modules_do_not_import_torch(module: str) -> None:
    """Modules the workflow imports at parse time (and light jobs could use) load no torch."""
    code = f"import sys, {module}; assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)"
    result = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(ROOT / "src")}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
