"""JSON Schema of observed values, built from `shape.Node` statistics (not from genson).

Every rule is chosen so that `drift check` finds nothing when it compares the same traffic with
the schema (the round trip): a keyword is written only when *all* observed values satisfy it.

- `type`: the JSON types seen; `number` absorbs `integer`; `null` joins the list (3.1) or sets
  `nullable` (3.0).
- `format`: only when every string at the pointer has the same value class (uuid, date-time…).
- `enum`: only for string fields whose small-enum set is complete and looks closed: at most
  `enum_max_values` distinct values, at least `enum_min_total` strings seen and every value seen
  at least `enum_min_each` times (a value seen once suggests the set is not exhausted yet).
- `required`: properties present in at least `required_threshold` of the objects (1.0: always).
- `additionalProperties`: the values seen under data-like keys (maps keyed by ids, emails…).
- `items`: only when some array had items (an always-empty array says nothing about them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drift.core.contract.dialects import OAS31, Dialect
from drift.core.shape import Node
from drift.core.valueclass import FORMAT_CLASSES

__all__ = ["SchemaRules", "node_schema", "presence"]

_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class SchemaRules:
    """The thresholds of inference and the OpenAPI dialect schemas are written in."""

    required_threshold: float = 1.0
    enum_max_values: int = 10
    enum_min_total: int = 20
    enum_min_each: int = 2
    dialect: Dialect = OAS31

    def __post_init__(self) -> None:
        if not 0 < self.required_threshold <= 1:
            raise ValueError(
                f"required_threshold must be in (0, 1], not {self.required_threshold!r}"
            )

    @property
    def type_lists(self) -> bool:
        """3.1 writes `type: [string, "null"]`; 3.0 has one type plus `nullable`."""
        return self.dialect.nullable_keyword is None


def presence(present: int, total: int) -> float:
    """Share of `total` that had a field, to four places, never rounded to 0 or 1."""
    share = round(present / total, 4) if total else 0.0
    if present < total:
        share = min(share, 0.9999)
    return max(share, 0.0001) if present else 0.0


def node_schema(node: Node, rules: SchemaRules) -> dict[str, Any]:
    """The schema every value summarised by `node` satisfies."""
    schema: dict[str, Any] = {}
    _type(node, rules, schema)
    if node.types.get("string"):
        fmt = _format(node)
        if fmt is not None:
            schema["format"] = fmt
        enum = _enum(node, rules)
        if enum is not None:
            schema["enum"] = enum
    if node.objects:
        _object(node, rules, schema)
    if node.types.get("array"):
        if node.items is not None and node.items.count:
            schema["items"] = node_schema(node.items, rules)
        elif not rules.type_lists:
            schema["items"] = {}  # 3.0 requires `items` beside `type: array`
    return schema


def _type(node: Node, rules: SchemaRules, schema: dict[str, Any]) -> None:
    types = {t for t, n in node.types.items() if n}
    if "number" in types:
        types.discard("integer")
    nullable = "null" in types
    if rules.type_lists:
        ordered = sorted(types)
        if ordered:
            schema["type"] = ordered[0] if len(ordered) == 1 else ordered
        return
    types.discard("null")
    if len(types) == 1:
        schema["type"] = types.pop()
    if nullable and rules.dialect.nullable_keyword:
        schema[rules.dialect.nullable_keyword] = True


def _format(node: Node) -> str | None:
    strings = node.types.get("string", 0)
    seen = {cls: n for cls, n in node.formats.items() if n}
    if len(seen) != 1:
        return None
    cls, count = next(iter(seen.items()))
    return cls if cls in FORMAT_CLASSES and count == strings else None


def _enum(node: Node, rules: SchemaRules) -> list[Any] | None:
    values = node.values
    if not values or set(node.types) - {"string", "null"}:
        return None
    strings = {token[2:]: n for token, n in values.items() if token.startswith("s:")}
    total = node.types.get("string", 0)
    if (
        len(strings) != len(values)
        or sum(strings.values()) != total
        or len(strings) > rules.enum_max_values
        or total < rules.enum_min_total
        or min(strings.values()) < rules.enum_min_each
    ):
        return None
    enum: list[Any] = sorted(strings)
    if node.types.get("null"):
        enum.append(None)
    return enum


def _object(node: Node, rules: SchemaRules, schema: dict[str, Any]) -> None:
    objects = node.objects
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key in sorted(node.props):
        child = node.props[key]
        sub = node_schema(child, rules)
        if child.count < objects:
            sub["x-drift-presence"] = presence(child.count, objects)
        if child.count and child.count >= rules.required_threshold * objects - _EPSILON:
            required.append(key)
        properties[key] = sub
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    if node.extra is not None and node.extra.count:
        schema["additionalProperties"] = node_schema(node.extra, rules)
