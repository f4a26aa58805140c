"""Schema keyword misuse that drift works around but the owner should fix.

Real-world contracts are often not valid (3.0 keywords in 3.1 documents, duplicate `required`
entries…). drift loads them anyway, honouring the evident intent, and says what is wrong.
"""

from __future__ import annotations

from typing import Any

from drift.core.contract.dialects import Dialect
from drift.core.pointer import join

__all__ = ["MAX_PROBLEMS", "lint_schemas"]

MAX_PROBLEMS = 50


def _check(node: dict[str, Any], pointer: str, dialect: Dialect) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    required = node.get("required")
    if isinstance(required, list):
        seen: set[str] = set()
        for name in required:
            if not isinstance(name, str):
                continue
            if name in seen:
                found.append((join(pointer, "required"), f"{name!r} is listed twice in 'required'"))
            seen.add(name)
    if dialect.nullable_keyword is None and "nullable" in node and "type" in node:
        found.append(
            (
                join(pointer, "nullable"),
                "'nullable' is not an OpenAPI 3.1 keyword; drift honours it, but write "
                "type: [..., 'null'] instead",
            )
        )
    if dialect.boolean_exclusive_bounds is False:
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(node.get(key), bool):
                found.append(
                    (
                        join(pointer, key),
                        f"boolean {key!r} is OpenAPI 3.0 style; in 3.1 it is a number",
                    )
                )
    if dialect.boolean_exclusive_bounds and isinstance(node.get("type"), list):
        found.append(
            (
                join(pointer, "type"),
                "a list of types is OpenAPI 3.1 style; in 3.0 use one type plus nullable",
            )
        )
    return found


def lint_schemas(doc: Any, dialect: Dialect) -> list[tuple[str, str]]:
    """(pointer, message) for each misuse found, at most MAX_PROBLEMS plus a summary line."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(doc, "")]
    total = 0
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, dict):
            if "properties" in node or "type" in node or "required" in node:
                issues = _check(node, pointer, dialect)
                total += len(issues)
                found.extend(issues[: max(0, MAX_PROBLEMS - len(found))])
            for key, value in node.items():
                if isinstance(value, dict | list) and key not in ("example", "examples"):
                    stack.append((value, join(pointer, key)))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append((value, join(pointer, i)))
    if total > len(found):
        found.append(("", f"… and {total - len(found)} more schema problems of the same kinds"))
    return sorted(found[:MAX_PROBLEMS]) + found[MAX_PROBLEMS:]
