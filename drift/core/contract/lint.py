"""Schema keyword misuse that drift works around but the owner should fix.

Real-world contracts are often not valid (3.0 keywords in 3.1 documents, duplicate `required`
entries…). drift loads them anyway, honouring the evident intent, and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from drift.core.contract.dialects import Dialect
from drift.core.pointer import join

__all__ = ["PER_RULE", "lint_schemas"]

PER_RULE = 10


def _check(node: dict[str, Any], pointer: str, dialect: Dialect) -> list[tuple[str, str, str]]:
    """(rule, pointer, message) for each misuse in one schema object."""
    found: list[tuple[str, str, str]] = []
    required = node.get("required")
    if isinstance(required, list):
        seen: set[str] = set()
        for name in required:
            if not isinstance(name, str):
                continue
            if name in seen:
                found.append(
                    (
                        "duplicate-required",
                        join(pointer, "required"),
                        f"{name!r} is listed twice in 'required'",
                    )
                )
            seen.add(name)
    if dialect.nullable_keyword is None and "nullable" in node and "type" in node:
        found.append(
            (
                "nullable-in-3.1",
                join(pointer, "nullable"),
                "'nullable' is not an OpenAPI 3.1 keyword; drift honours it, but write "
                "type: [..., 'null'] instead",
            )
        )
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if not dialect.boolean_exclusive_bounds and isinstance(node.get(key), bool):
            found.append(
                (
                    "boolean-bound-in-3.1",
                    join(pointer, key),
                    f"boolean {key!r} is OpenAPI 3.0 style; in 3.1 it is a number",
                )
            )
    if dialect.boolean_exclusive_bounds and isinstance(node.get("type"), list):
        found.append(
            (
                "type-list-in-3.0",
                join(pointer, "type"),
                "a list of types is OpenAPI 3.1 style; in 3.0 use one type plus nullable",
            )
        )
    return found


def _walk(doc: Any) -> Iterator[tuple[dict[str, Any], str]]:
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, dict):
            yield node, pointer
            for key, value in node.items():
                if isinstance(value, dict | list) and key not in ("example", "examples"):
                    stack.append((value, join(pointer, key)))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append((value, join(pointer, i)))


def lint_schemas(doc: Any, dialect: Dialect) -> list[tuple[str, str]]:
    """(pointer, message) for each misuse: at most PER_RULE of each rule, plus a count line."""
    by_rule: dict[str, list[tuple[str, str]]] = {}
    for node, pointer in _walk(doc):
        if "properties" in node or "type" in node or "required" in node:
            for rule, where, message in _check(node, pointer, dialect):
                by_rule.setdefault(rule, []).append((where, message))
    out: list[tuple[str, str]] = []
    for _rule, found in sorted(by_rule.items()):
        found.sort()
        out.extend(found[:PER_RULE])
        if len(found) > PER_RULE:
            out.append(("", f"… and {len(found) - PER_RULE} more like {found[0][1]!r}"))
    return out
