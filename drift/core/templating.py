"""Infer path templates for undeclared traffic: value-like segments and high-cardinality positions.

Pure and stdlib-only; memory is bounded by a cap on trie nodes.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from drift.core.routing import split_path

__all__ = ["PathTemplater", "classify_segment"]

_INTEGER = re.compile(r"-?\d+")
_DATE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-f]{16,}", re.IGNORECASE)
_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s/]+@[^@\s/]+\.[^@\s/]+")
_TOKEN = re.compile(r"[A-Za-z0-9_.~=+-]{24,}")
_WORD_SEPARATORS = re.compile(r"[-_.~]")

_MAX_DEPTH = 128  # segments recorded per path; keeps merges well inside the recursion limit


def classify_segment(segment: str) -> str | None:
    """The parameter name for a value-like raw segment (`id`, `uuid`, …), or None for a word."""
    text = unquote(segment) if "%" in segment else segment
    if _INTEGER.fullmatch(text):
        return "id"
    if _DATE.fullmatch(text):
        return "date"
    if _UUID.fullmatch(text):
        return "uuid"
    if _HEX.fullmatch(text) and _has_digit(text):
        return "hex"
    if _ULID.fullmatch(text):
        return "ulid"
    if "@" in text and _EMAIL.fullmatch(text):
        return "email"
    if _is_token(text):
        return "token"
    return None


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _is_token(text: str) -> bool:
    """Long opaque ids mixing letters and digits; hyphenated slugs of plain words are not."""
    if not _TOKEN.fullmatch(text) or not _has_digit(text):
        return False
    if not any(c.isalpha() for c in text):
        return False
    parts = _WORD_SEPARATORS.split(text)
    is_slug = len(parts) > 1 and all(p.isalpha() or p.isdigit() or not p for p in parts)
    return not is_slug


class _Node:
    """Trie position; `literals` is None once the position collapsed into `param`."""

    __slots__ = ("literals", "param", "values")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] | None = {}
        self.values: dict[str, _Node] = {}  # children by value class name
        self.param: _Node | None = None  # collapsed literals; never None once `literals` is None


class PathTemplater:
    """Learns templates for concrete undeclared paths.

    Value-like segments become `{id}`, `{uuid}`, … at once. A position that has seen more than
    `max_literals` distinct words becomes `{param}` for every path, its subtrees merged. Once the
    trie reached `max_nodes`, segments it has not seen template as `{param}` from then on.
    `template()` reads the current state, so call it after the last `add()` to group paths.
    """

    def __init__(self, *, max_literals: int = 20, max_nodes: int = 10_000) -> None:
        if max_literals < 1 or max_nodes < 1:
            raise ValueError("max_literals and max_nodes must be at least 1")
        self._max_literals = max_literals
        self._max_nodes = max_nodes
        self._root = _Node()
        self._nodes = 1
        self._saturated = False

    @property
    def node_count(self) -> int:
        """Live trie nodes (bounded by `max_nodes`)."""
        return self._nodes

    @property
    def saturated(self) -> bool:
        """True once the node cap was reached; unseen words then template as `{param}`."""
        return self._saturated

    def add(self, path: str) -> None:
        """Learn from one concrete undeclared path."""
        node: _Node | None = self._root
        for segment in split_path(path)[:_MAX_DEPTH]:
            assert node is not None
            node = self._step(node, segment)
            if node is None:
                return

    def template(self, path: str) -> str:
        """The inferred template for a concrete path (whether or not it was added)."""
        node: _Node | None = self._root
        parts: list[str] = []
        counts: dict[str, int] = {}
        for segment in split_path(path):
            name, node = self._follow(node, segment)
            parts.append(segment if name is None else _placeholder(name, counts))
        return "/" + "/".join(parts)

    def _follow(self, node: _Node | None, segment: str) -> tuple[str | None, _Node | None]:
        """(parameter name or None for a literal, next node) without changing the trie."""
        name = classify_segment(segment)
        if name is not None:
            return name, node.values.get(name) if node is not None else None
        if node is None:
            return ("param" if self._saturated else None), None
        if node.literals is None:
            return "param", node.param
        child = node.literals.get(segment)
        if child is None and self._saturated:
            return "param", None
        return None, child

    def _step(self, node: _Node, segment: str) -> _Node | None:
        """The child for `segment`, created (and the position collapsed) as needed."""
        name = classify_segment(segment)
        if name is not None:
            return node.values.get(name) or self._new(node.values, name)
        if node.literals is None:
            return node.param
        child = node.literals.get(segment) or self._new(node.literals, segment)
        if child is not None and len(node.literals) > self._max_literals:
            self._collapse(node)
            return node.param
        return child

    def _new(self, children: dict[str, _Node], key: str) -> _Node | None:
        if self._nodes >= self._max_nodes:
            self._saturated = True
            return None
        self._nodes += 1
        child = children[key] = _Node()
        return child

    def _collapse(self, node: _Node) -> None:
        """Turn `node`'s literal children into its single `param` child."""
        assert node.literals is not None
        children = list(node.literals.values())
        node.literals = None
        if node.param is None:
            node.param = children.pop()
        for child in children:
            self._merge(node.param, child)

    def _merge(self, into: _Node, src: _Node) -> None:
        """Fold the detached subtree `src` into `into` (which may collapse as a result)."""
        self._nodes -= 1
        for name, child in src.values.items():
            if name in into.values:
                self._merge(into.values[name], child)
            else:
                into.values[name] = child
        if src.param is not None:
            if into.param is None:
                into.param = src.param
            else:
                self._merge(into.param, src.param)
        if src.literals is None:
            if into.literals is not None:
                self._collapse(into)
            return
        for segment, child in src.literals.items():
            self._put_literal(into, segment, child)

    def _put_literal(self, into: _Node, segment: str, child: _Node) -> None:
        if into.literals is None:
            assert into.param is not None
            self._merge(into.param, child)
        elif segment in into.literals:
            self._merge(into.literals[segment], child)
        else:
            into.literals[segment] = child
            if len(into.literals) > self._max_literals:
                self._collapse(into)


def _placeholder(name: str, counts: dict[str, int]) -> str:
    """`{name}`, then `{name2}`, `{name3}`, … for repeats within one template."""
    counts[name] = counts.get(name, 0) + 1
    return "{" + name + ("" if counts[name] == 1 else str(counts[name])) + "}"
