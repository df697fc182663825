"""lsib.pipeline.provenance: fingerprints change with the code a script reaches, and with nothing else."""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lsib.pipeline.provenance import (
    WHOLE_MODULE,
    CodeIndex,
    code_fingerprint,
    fingerprint,
    normalised,
    script_dependencies,
)

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
    "lsib/sub/__init__.py": "from .inner import other, thing\n",
    "lsib/sub/inner.py": "def thing():\n    return 3\n\n\ndef other():\n    return 5\n",
}

SCRIPTS = {
    "uses_f.py": "from lsib import alpha\n\nalpha.f(1)\n",
    "uses_g.py": "from lsib.alpha import g\n\ng(4)\n",
    "uses_lazy.py": "import lsib.beta as beta\n\nbeta.lazy()\n",
    "uses_module.py": "from lsib import gamma\n\nprint(gamma)\n",
    "uses_sub.py": "from lsib.sub import thing\n\nthing()\n",
    "uses_other.py": "from lsib import sub\n\nsub.other()\n",
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
        ("lsib/sub/inner.py", "return 5", "return 6", {"uses_other.py"}),  # other name of the same import
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


def test_an_lsib_import_binding_has_no_code_and_depends_only_on_its_own_target(tree: Path) -> None:
    index = CodeIndex(tree)
    assert index.code(("lsib.sub", "thing")) == ([], {("lsib.sub.inner", "thing"), ("lsib.sub", "")})
    assert index.code(("lsib.alpha", "helper")) == ([], {("lsib.beta", "helper"), ("lsib.alpha", "")})
    code, deps = index.code(("lsib.alpha", "math"))  # another package's import keeps its statement
    assert code == [normalised(ast.parse("import math").body[0])] and deps == {("lsib.alpha", "")}
    (tree / "lsib/delta.py").write_text("from lsib.beta import helper as h\nfrom lsib import gamma\n")
    index = CodeIndex(tree)
    assert index.code(("lsib.delta", "h")) == (["import helper"], {("lsib.beta", "helper"), ("lsib.delta", "")})
    assert index.code(("lsib.delta", "gamma")) == ([], {("lsib.gamma", WHOLE_MODULE), ("lsib.delta", "")})


HELPER = "def helper(x):\n    return x + 1\n"
G = "def g(x):\n    return math.sqrt(x)\n"

#: Moves of a function between modules, as (path, old, new) edits; old None appends new.
MOVES = {
    "helper to an existing module": [
        ("lsib/beta.py", HELPER + "\n\n", ""),
        ("lsib/sub/inner.py", None, "\n\n" + HELPER),
        ("lsib/alpha.py", "from lsib.beta import helper", "from lsib.sub.inner import helper"),
    ],
    "helper to a new module": [
        ("lsib/beta.py", HELPER + "\n\n", ""),
        ("lsib/delta.py", None, HELPER),
        ("lsib/alpha.py", "from lsib.beta import helper", "from lsib.delta import helper"),
    ],
    "g and the import it needs, script updated": [
        ("lsib/alpha.py", "\n\n" + G, ""),
        ("lsib/beta.py", None, "\n\nimport math\n\n\n" + G),
        ("scripts/uses_g.py", "from lsib.alpha import g", "from lsib.beta import g"),
    ],
}


def apply(tree: Path, edits: list[tuple[str, str | None, str]]) -> None:
    for path, old, new in edits:
        file = tree / path
        text = file.read_text() if file.exists() else ""
        if old is None:
            file.write_text(text + new)
        else:
            assert text.count(old) == 1, (path, old)
            file.write_text(text.replace(old, new))


@pytest.mark.parametrize("move", MOVES)
def test_moving_a_function_unchanged_to_another_module_changes_no_fingerprint(tree: Path, move: str) -> None:
    before = prints(tree)
    apply(tree, MOVES[move])
    assert prints(tree) == before


def test_moving_a_function_with_a_body_change_changes_its_users_fingerprints(tree: Path) -> None:
    before = prints(tree)
    edits = MOVES["helper to an existing module"]
    apply(tree, [*edits[:1], ("lsib/sub/inner.py", None, "\n\n" + HELPER.replace("x + 1", "x + 2")), *edits[2:]])
    assert {name for name, value in prints(tree).items() if value != before[name]} == {"uses_f.py"}


def test_moving_a_function_into_a_module_used_whole_changes_that_users_fingerprint(tree: Path) -> None:
    """``print(gamma)`` may reach anything in gamma, so a function moved there is reached too."""
    before = prints(tree)
    apply(
        tree,
        [
            ("lsib/beta.py", HELPER + "\n\n", ""),
            ("lsib/gamma.py", None, "\n\n" + HELPER),
            ("lsib/alpha.py", "from lsib.beta import helper", "from lsib.gamma import helper"),
        ],
    )
    assert {name for name, value in prints(tree).items() if value != before[name]} == {"uses_module.py"}


#: A small package whose fingerprint is pinned: any change to the serialisation or the hash shows.
PINNED_PACKAGE = {
    "lsib/__init__.py": "",
    "lsib/core.py": '''
        import math

        from lsib.util import clip

        RATE = 0.5


        def step(x: float, *, scale=None) -> float:
            """Doc."""
            if scale is None:
                return clip(math.exp(-RATE * x))
            return {**{}, "k": [scale, b"b", ..., True][0]}["k"]
    ''',
    "lsib/util.py": """
        def clip(v, lo=0.0, hi=1.0):
            return max(lo, min(hi, v))
    """,
    "script.py": "from lsib import core\n\ncore.step(1.0)\n",
}
PINNED = "3096f69338c96ac3"


def old_ast_dump_fingerprint(index: CodeIndex, nodes: dict) -> str:
    """The previous scheme: (module, symbol, ``ast.dump`` code) triples, import statements as code."""
    digest = hashlib.sha256()
    for module_name, symbol in sorted(nodes):
        module = index.module(module_name)
        statements = module.unnamed if symbol == "" else module.bindings.get(symbol, [])
        digest.update(f"{module_name}\0{symbol}\0".encode())
        for statement in statements:  # none for a whole module: "*" binds nothing
            digest.update(ast.dump(statement, annotate_fields=False, include_attributes=False).encode() + b"\0")
        digest.update(b"\1")
    return digest.hexdigest()


def test_a_fingerprint_is_pinned_and_not_made_of_ast_dump(tmp_path: Path) -> None:
    for name, text in PINNED_PACKAGE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip())
    assert code_fingerprint(tmp_path / "script.py", tmp_path) == PINNED
    index = CodeIndex(tmp_path)
    nodes = script_dependencies(index, tmp_path / "script.py")
    assert {("lsib.core", "step"), ("lsib.core", "RATE"), ("lsib.core", "math"), ("lsib.util", "clip")} <= nodes.keys()
    assert fingerprint(nodes)[:16] == PINNED
    assert old_ast_dump_fingerprint(index, nodes)[:16] != PINNED


def test_the_serialisation_format_is_fixed() -> None:
    assert normalised(ast.parse("x = 1").body[0]) == "Assign(targets=[Name(id=str:'x')],value=Constant(value=int:1))"
    assert normalised(ast.parse("f(None, {**d}, 1.5)").body[0]) == (
        "Expr(value=Call(args=[Constant(value=NoneType:None),Dict(keys=[None],values=[Name(id=str:'d')]),"
        "Constant(value=float:1.5)],func=Name(id=str:'f')))"
    )


def test_empty_list_and_none_fields_serialise_like_absent_fields() -> None:
    """3.13 fills omitted optional fields with None or [] and 3.12 added ``type_params``: no difference here."""
    parsed = ast.parse("def f(x):\n    return x\n").body[0]
    body = [ast.Return(value=ast.Name(id="x"))]
    bare = ast.FunctionDef(name="f", args=ast.arguments(args=[ast.arg(arg="x")]), body=body)
    for field in ("decorator_list", "returns", "type_comment", "type_params"):
        if field in vars(bare):  # filled in by 3.13's constructor
            delattr(bare, field)
    fields = tuple(dict.fromkeys((*ast.FunctionDef._fields, "type_params")))
    with_type_params = type("FunctionDef", (ast.FunctionDef,), {"_fields": fields})(
        name="f",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg="x")], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    assert normalised(parsed) == normalised(bare) == normalised(with_type_params)
    assert (
        normalised(parsed)
        == "FunctionDef(args=arguments(args=[arg(arg=str:'x')]),body=[Return(value=Name(id=str:'x'))],name=str:'f')"
    )


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
