"""Fingerprints of the library code a workflow script executes (code-aware reruns).

Snakemake reruns a job when its script changes, but not when the ``lsib`` code the script
calls changes. :func:`code_fingerprint` closes that gap: the workflow passes it as a rule
``params`` entry, so an edit to that code changes the parameter and Snakemake reruns the
rule's jobs (``snakemake -n`` gives the reason, ``--summary`` marks the stale files).

Tracking is per top-level definition (function level), not per module. Each module of the
package is split into *symbols*: the names bound by its top-level statements (functions,
classes, assignments, imports). A symbol's code is the serialised syntax tree
(:func:`normalised`) of the statements that bind it, after removing docstrings, so comments,
docstrings, blank lines and formatting never count. A symbol depends on

* every name of its own module that its statements mention (``OBJECTIVES``, ``styled``),
* ``lsib`` symbols it imports or reaches by attribute (``from lsib import plots`` then
  ``plots.set_style`` is the symbol ``set_style`` of ``lsib.plots``), also inside functions,
* the whole of an ``lsib`` module that it uses as a value (``module`` rather than
  ``module.name``), and
* the module's top-level statements that bind no name (``matplotlib.use("Agg")``), which
  run whenever the module is imported.

A name bound by a top-level import of the tracked package (``from lsib.plots.frontier import
plot_ib_vs_ls, plot_objective_paths``) has no code of its own and depends only on its own
target, so ``plots.plot_objective_paths`` does not reach ``plot_ib_vs_ls``; a renaming import
(``import g as f``) records the imported name ``g`` as its code. Imports of other packages
(numpy, torch) keep the statement as their code.

The fingerprint of a script is the SHA-256 of the sorted *set* of ``(symbol, code)`` pairs of
everything its top-level statements reach, transitively; symbols without code (whole modules,
``lsib`` imports, modules with no unnamed statements) add nothing but their dependencies. The
module a symbol lives in is not hashed, so moving a function unchanged to another module (and
updating the ``lsib`` imports that reach it) changes no fingerprint, nor does the Python
version (the serialisation does not depend on it). Consequences:

* Mentioning a name only over-approximates (a local variable that shares a module-level name
  pulls that name in), so an edit may rerun a job it could not affect.
* A move does change the fingerprint when it changes the code that runs: the function's names
  now resolve in its new module (a different ``SCALE``), an import *inside* a function is
  part of that function's code, and the new module's unnamed statements now run.
* Ambiguity: neither the module nor which definition an ``lsib`` import binds (an edge, not
  code) is hashed, so two reached definitions of the same name in different modules are told
  apart only by their code: exchanging their bodies, or pointing an ``lsib`` import from one
  to the other, changes no fingerprint (Snakemake still sees edits to the script itself; a
  renaming import records the imported name, so pointing it at another name is seen).
* Identical ``(symbol, code)`` pairs of two modules (each module's ``import numpy as np``)
  count once, so a move that leaves one of them unreached costs nothing either.

Code of other packages (numpy, torch) is not tracked. Nothing here imports torch.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: The package whose code is tracked.
PACKAGE = "lsib"
#: Symbol name that stands for a whole module.
WHOLE_MODULE = "*"

Node = tuple[str, str]  # (module, symbol)


def strip_docstrings(tree: ast.AST) -> ast.AST:
    """Remove the docstring (a leading string constant) of every module, class and function body."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


#: Fields never serialised: the expression context (``Load``/``Store``/``Del``) follows from
#: where the node sits in the tree.
SKIPPED_FIELDS = frozenset({"ctx"})
#: Fields whose ``None`` is a value (``None`` the constant), written as ``NoneType:None``.
VALUE_FIELDS = frozenset({("Constant", "value"), ("MatchSingleton", "value")})


def _serialise(value: object) -> str:
    if isinstance(value, ast.AST):
        parts = []
        for name in sorted(value._fields):
            item = getattr(value, name, None)
            if (type(value).__name__, name) in VALUE_FIELDS:
                parts.append(f"{name}={type(item).__name__}:{item!r}")
            elif not (name in SKIPPED_FIELDS or item is None or (isinstance(item, list) and not item)):
                parts.append(f"{name}={_serialise(item)}")
        return f"{type(value).__name__}({','.join(parts)})"
    if isinstance(value, list):
        return "[" + ",".join(_serialise(item) for item in value) + "]"
    if value is None:  # a hole in a list (``Dict.keys`` of ``{**mapping}``)
        return "None"
    return f"{type(value).__name__}:{value!r}"


def normalised(statement: ast.AST) -> str:
    """A statement's syntax tree as text that depends neither on positions nor on the Python version.

    Format: a node is ``Type(field=value,...)``, its type name and its fields sorted by name;
    a list is ``[item,...]``; any other value (a constant, an identifier, an import level) is
    ``<type name>:<repr>``, e.g. ``int:1``, ``str:'x'``; the constant ``None`` is
    ``NoneType:None`` (:data:`VALUE_FIELDS`) and a ``None`` inside a list is ``None``. Left
    out: every other field that is ``None`` or an empty list, or that the node lacks (3.13
    fills omitted optional fields, ``ast.dump`` leaves them out; 3.12 added ``type_params``,
    3.13 ``TypeVar.default_value``), ``ctx`` (:data:`SKIPPED_FIELDS`) and positions (which
    are attributes, not fields). So ``x = 1`` is
    ``Assign(targets=[Name(id=str:'x')],value=Constant(value=int:1))``. A version that
    restructures a node (a new node type, a renamed field) still changes the text.
    """
    return _serialise(statement)


@dataclass
class Module:
    """One parsed module: the statements binding each top-level name and those binding none."""

    name: str
    is_package: bool
    bindings: dict[str, list[ast.stmt]] = field(default_factory=dict)
    unnamed: list[ast.stmt] = field(default_factory=list)


def _bound_names(statement: ast.stmt) -> Iterator[str]:
    """Names a top-level statement binds in its module (descending into if/try/with/for, not defs)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield statement.name
    elif isinstance(statement, (ast.Import, ast.ImportFrom)):
        for alias in statement.names:
            if alias.name != "*":
                yield alias.asname or alias.name.split(".")[0]
    elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            yield from (n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    else:
        for child in ast.iter_child_nodes(statement):
            if isinstance(child, ast.stmt):
                yield from _bound_names(child)
            elif isinstance(child, ast.excepthandler):
                for inner in child.body:
                    yield from _bound_names(inner)


class CodeIndex:
    """Parsed modules of one package source tree, and the dependency closure of their symbols."""

    def __init__(self, src: str | os.PathLike[str]) -> None:
        self.src = Path(src)
        self._modules: dict[str, Module] = {}
        self._import_maps: dict[str, dict[str, Node]] = {}
        self._code: dict[Node, tuple[list[str], set[Node]]] = {}

    def module_file(self, module: str) -> Path | None:
        """The file of ``module`` (``lsib.x`` → ``src/lsib/x.py`` or ``src/lsib/x/__init__.py``)."""
        base = self.src.joinpath(*module.split("."))
        for path in (base.with_suffix(".py"), base / "__init__.py"):
            if path.is_file():
                return path
        return None

    def module(self, name: str) -> Module:
        """Parse ``name`` once; raise FileNotFoundError naming it if it is not in the tree."""
        if name not in self._modules:
            path = self.module_file(name)
            if path is None:
                raise FileNotFoundError(f"module {name} not found under {self.src}")
            self._modules[name] = parse_module(name, path.read_text(), path.name == "__init__.py")
        return self._modules[name]

    def is_module(self, name: str) -> bool:
        """Whether ``name`` is a module of the tracked package."""
        return (name == PACKAGE or name.startswith(PACKAGE + ".")) and self.module_file(name) is not None

    def _resolve_import(self, module: Module, statement: ast.ImportFrom | ast.Import) -> dict[str, Node]:
        """Local name → node for the tracked-package names an import binds."""
        out: dict[str, Node] = {}
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if self.is_module(alias.name):
                    # ``import lsib.x as x`` binds the module; ``import lsib.x`` binds ``lsib``
                    out[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else PACKAGE,
                        WHOLE_MODULE,
                    )
            return out
        source = statement.module or ""
        if statement.level:  # relative import
            parts = module.name.split(".")
            anchor = parts if module.is_package else parts[:-1]
            anchor = anchor[: len(anchor) - statement.level + 1]
            source = ".".join(anchor + ([source] if source else []))
        if not self.is_module(source):
            return out
        for alias in statement.names:
            if alias.name == "*":
                out["*" + source] = (source, WHOLE_MODULE)
            elif self.is_module(f"{source}.{alias.name}"):
                out[alias.asname or alias.name] = (f"{source}.{alias.name}", WHOLE_MODULE)
            else:
                out[alias.asname or alias.name] = (source, alias.name)
        return out

    def _imports(self, module: Module) -> dict[str, Node]:
        """Top-level import bindings of ``module`` that point into the tracked package."""
        if module.name in self._import_maps:
            return self._import_maps[module.name]
        out: dict[str, Node] = {}
        for statements in module.bindings.values():
            for statement in statements:
                if isinstance(statement, (ast.Import, ast.ImportFrom)):
                    out |= self._resolve_import(module, statement)
        if module.name in self._modules:  # scripts are not cached: they are parsed afresh
            self._import_maps[module.name] = out
        return out

    def dependencies(self, module: Module, statements: Iterable[ast.stmt]) -> set[Node]:
        """Nodes that ``statements`` (of ``module``) mention; see the module docstring."""
        imports = self._imports(module)
        deps: set[Node] = set()
        for statement in statements:
            local = dict(imports)
            for node in ast.walk(statement):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and node is not statement:
                    nested = self._resolve_import(module, node)
                    local |= nested
                    deps |= {target for name, target in nested.items() if name.startswith("*")}
            used_as_base: set[int] = set()
            for node in ast.walk(statement):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    target = local.get(node.value.id)
                    if target is not None and target[1] == WHOLE_MODULE:
                        used_as_base.add(id(node.value))
                        sub = f"{target[0]}.{node.attr}"
                        deps.add((sub, WHOLE_MODULE) if self.is_module(sub) else (target[0], node.attr))
            for node in ast.walk(statement):
                if isinstance(node, ast.Name) and id(node) not in used_as_base:
                    if node.id in local:
                        deps.add(local[node.id])
                    elif node.id in module.bindings:
                        deps.add((module.name, node.id))
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                # a re-exported name depends on its definition; a bound module only when used (above)
                resolved = self._resolve_import(module, statement)
                deps |= {t for n, t in resolved.items() if t[1] != WHOLE_MODULE or n.startswith("*")}
        return deps

    def code(self, node: Node) -> tuple[list[str], set[Node]]:
        """The normalised statements of ``node`` and the nodes it depends on (computed once)."""
        if node not in self._code:
            self._code[node] = self._compute_code(node)
        return self._code[node]

    def _compute_code(self, node: Node) -> tuple[list[str], set[Node]]:
        module_name, symbol = node
        module = self.module(module_name)
        if symbol == WHOLE_MODULE:
            deps = {(module_name, name) for name in module.bindings} | {(module_name, "")}
            return [], deps
        if symbol == "":  # statements that bind no name: run on import
            return [normalised(s) for s in module.unnamed], self.dependencies(module, module.unnamed)
        statements = module.bindings.get(symbol)
        if statements is None:  # a name the module does not define (e.g. removed): the whole module
            return [], {(module_name, WHOLE_MODULE)}
        code: list[str] = []
        deps: set[Node] = {(module_name, "")}
        for statement in statements:
            target = None
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                target = self._resolve_import(module, statement).get(symbol)
            if target is None:
                code.append(normalised(statement))
                deps |= self.dependencies(module, [statement])
                continue
            # an lsib import binding: the edge to its target is its meaning, no code of its own
            deps.add(target)
            if target[1] not in (WHOLE_MODULE, symbol):  # ``from lsib.x import g as f``
                code.append(f"import {target[1]}")
        return code, deps

    def closure(self, roots: Iterable[Node]) -> dict[Node, list[str]]:
        """Every node reachable from ``roots``, with its normalised code."""
        seen: dict[Node, list[str]] = {}
        todo = list(roots)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            code, deps = self.code(node)
            seen[node] = code
            todo.extend(deps - seen.keys())
        return seen


def parse_module(name: str, text: str, is_package: bool = False) -> Module:
    """Split a module's source into the statements binding each top-level name."""
    tree = strip_docstrings(ast.parse(text))
    module = Module(name, is_package)
    for statement in tree.body:
        names = list(dict.fromkeys(_bound_names(statement)))
        if not names:
            module.unnamed.append(statement)
        for bound in names:
            module.bindings.setdefault(bound, []).append(statement)
    return module


def script_dependencies(index: CodeIndex, script: str | os.PathLike[str]) -> dict[Node, list[str]]:
    """The ``lsib`` code a script reaches: the closure of everything its statements mention."""
    script_module = parse_module("__script__", Path(script).read_text())
    statements = [s for group in script_module.bindings.values() for s in group] + script_module.unnamed
    roots = {node for node in index.dependencies(script_module, statements) if node[0] != script_module.name}
    return index.closure(roots)


def fingerprint(nodes: dict[Node, list[str]]) -> str:
    """SHA-256 over the sorted set of (symbol, code) pairs with code; no module names (module docstring)."""
    digest = hashlib.sha256()
    for symbol, code in sorted({(symbol, tuple(code)) for (_, symbol), code in nodes.items() if code}):
        digest.update(f"{symbol}\0".encode())
        for statement in code:
            digest.update(statement.encode() + b"\0")
        digest.update(b"\1")
    return digest.hexdigest()


@functools.cache
def _index(src: str) -> CodeIndex:
    return CodeIndex(src)


def code_fingerprint(script: str | os.PathLike[str], src: str | os.PathLike[str]) -> str:
    """Fingerprint of the ``lsib`` code under ``src`` that ``script`` executes (16 hex digits).

    Stable under comments, docstrings and formatting; changes when the body of any function,
    class or constant the script reaches changes (see the module docstring).
    """
    return fingerprint(script_dependencies(_index(str(Path(src).resolve())), script))[:16]
