"""Walking a declared schema (as YAML nodes) and an observed shape down a finding's pointer.

A finding's pointer (`/items/*/discount`) names where a value sits in the *data*; the schema to
edit is found by following the same steps through the declared schema: `properties` (here or
in an `allOf` / `anyOf` / `oneOf` member, through local `$ref`s), `patternProperties`,
`additionalProperties`, and `items` for `*` in arrays.
"""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, SequenceNode

from drift.core.infer.text import TextDocument
from drift.core.shape import WILDCARD
from drift.core.shape import Node as Shape

__all__ = ["descend"]

_MAX_DEPTH = 16
_COMBINATORS = ("allOf", "anyOf", "oneOf")


def descend(
    doc: TextDocument, schema: Node | None, shape: Shape, segments: list[str]
) -> tuple[MappingNode, Shape] | None:
    """The declared schema and the observed shape at `segments` below them, if both exist."""
    current: Shape | None = shape
    for segment in segments:
        assert current is not None
        node = doc.deref(schema)
        if segment == WILDCARD and current.items is not None and current.types.get("array"):
            schema, current = _find(doc, node, "items", None), current.items
        elif segment == WILDCARD:
            schema, current = _find(doc, node, "additionalProperties", None), current.extra
        else:
            schema, current = _property(doc, node, segment), current.props.get(segment)
        if schema is None or current is None:
            return None
    container = doc.deref(schema)
    if not isinstance(container, MappingNode) or current is None:
        return None
    return container, current


def _find(
    doc: TextDocument, schema: Node | None, keyword: str, key: str | None, depth: int = 0
) -> Node | None:
    """The subschema under `keyword` (and `key`) here or in an allOf/anyOf/oneOf member."""
    if not isinstance(schema, MappingNode) or depth > _MAX_DEPTH:
        return None
    own = doc.get(schema, keyword)
    if key is not None:
        own = doc.get(own, key)
    if isinstance(own, MappingNode):
        return own
    for combinator in _COMBINATORS:
        members = doc.get(schema, combinator)
        for member in members.value if isinstance(members, SequenceNode) else []:
            found = _find(doc, doc.deref(member), keyword, key, depth + 1)
            if found is not None:
                return found
    return None


def _property(doc: TextDocument, schema: Node | None, key: str) -> Node | None:
    declared = _find(doc, schema, "properties", key)
    if declared is not None:
        return declared
    for pattern, sub in doc.items(doc.get(schema, "patternProperties")):
        try:
            if re.search(pattern, key):
                return sub
        except re.error:
            continue
    return _find(doc, schema, "additionalProperties", None)
