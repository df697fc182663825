"""The configuration reference, generated from the workflow's JSON schema (torch-free).

``python -m lsib.pipeline.schema_doc [SCHEMA]`` prints a Markdown table with one row per key of
``workflow/schemas/config.schema.yaml``: its dotted path (``<name>`` for a free key, ``[]``
for a list entry), its type and bounds, and its ``description``. docs/config.md, the
configuration reference, is this output between its ``config-reference`` markers
(``tests/pipeline/test_config.py`` checks that they agree).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

#: The schema, relative to the repository root.
SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


class SchemaDocError(ValueError):
    """The schema lacks something the reference needs (the message names the key)."""


def resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` (to ``#/$defs/…``) and ``allOf`` merged in; the node's own keys win."""
    merged: dict[str, Any] = {}
    if "$ref" in node:
        merged |= resolve(defs[node["$ref"].removeprefix("#/$defs/")], defs)
    for part in node.get("allOf", []):
        merged |= resolve(part, defs)
    return merged | {k: v for k, v in node.items() if k not in ("$ref", "allOf")}


def bounds_text(node: Mapping[str, Any]) -> str:
    """``in [0, 1]``, ``in (0, 1]``, ``≥ 0``, ``> 0``, ``≤ 1`` or ``""``; an exclusive bound wins."""
    low = ("(", ">", node["exclusiveMinimum"]) if "exclusiveMinimum" in node else ("[", "≥", node.get("minimum"))
    high = (")", "<", node["exclusiveMaximum"]) if "exclusiveMaximum" in node else ("]", "≤", node.get("maximum"))
    if low[2] is not None and high[2] is not None:
        return f"in {low[0]}{low[2]:g}, {high[2]:g}{high[0]}"
    return next((f"{sign} {value:g}" for _, sign, value in (low, high) if value is not None), "")


def type_text(node: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    """A short type: ``one of `a`, `b` ``, ``integer ≥ 0``, ``list of number ≥ 0``, ``string or null``."""
    node = resolve(node, defs)
    if "enum" in node:
        return "one of " + ", ".join(f"`{value}`" for value in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kinds = node.get("type", "object")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if kinds == ["array"]:
        items = resolve(node.get("items", {}), defs)
        text = "list of " + ("mappings" if items.get("type") == "object" else type_text(items, defs))
        if node.get("minItems") == node.get("maxItems") and "minItems" in node:
            text += f" ({node['minItems']} items)"
        return text
    return f"{' or '.join(kinds)} {bounds_text(node)}".strip()


def rows(node: Mapping[str, Any], defs: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, str, str]]:
    """(path, type, description) of every key under ``node``, depth first in schema order."""
    node = resolve(node, defs)
    children: list[tuple[str, Mapping[str, Any]]] = []
    if node.get("type", "object") == "object":
        children += [(f"{path}.{key}" if path else key, child) for key, child in node.get("properties", {}).items()]
        if isinstance(node.get("additionalProperties"), Mapping):
            children.append((f"{path}.<name>", node["additionalProperties"]))
    elif node.get("type") == "array" and resolve(node.get("items", {}), defs).get("type") == "object":
        children.append((f"{path}[]", node["items"]))
    for child_path, child in children:
        child = resolve(child, defs)
        if "description" not in child and not child_path.endswith("[]"):
            raise SchemaDocError(f"{child_path}: no description in the schema")
        kind = resolve(child, defs)
        is_container = kind.get("type", "object") == "object" and "enum" not in kind and "const" not in kind
        if not child_path.endswith("[]"):
            yield child_path, "mapping" if is_container else type_text(child, defs), child["description"]
        yield from rows(child, defs, child_path)


def reference(schema: Mapping[str, Any]) -> str:
    """The Markdown table of every key of ``schema``."""
    lines = ["| key | type | meaning |", "|---|---|---|"]
    for path, kind, description in rows(schema, schema.get("$defs", {})):
        lines.append(f"| `{path}` | {kind} | {description.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    """Print the reference of the schema at ``argv[0]`` (default :data:`SCHEMA`), as docs/config.md holds it."""
    path = Path(argv[0]) if argv else SCHEMA
    sys.stdout.write(reference(yaml.safe_load(path.read_text())))


if __name__ == "__main__":
    main(sys.argv[1:])
