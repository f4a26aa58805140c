"""Declared routing: map a concrete (method, path) onto a contract's path template.

Pure and stdlib-only; lookups walk a segment trie, so cost depends on path depth, not contract size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

__all__ = ["Route", "Router", "split_path"]

T = TypeVar("T")

_PARAM = re.compile(r"\{[^{}/]*\}")


def split_path(path: str) -> list[str]:
    """Raw segments of `path`: the leading `/` and trailing empty segments are dropped.

    Inner empty segments (from `//`) are kept as `""` so they never match a parameter.
    """
    segments = path.split("/")
    if segments[0] == "":
        del segments[0]
    while segments and segments[-1] == "":
        segments.pop()
    return segments


def _decode(segment: str) -> str:
    return unquote(segment) if "%" in segment else segment


@dataclass(frozen=True, slots=True)
class Route(Generic[T]):
    """The declared template a request matched.

    `method` is the upper-case request method when the template declares it (or `HEAD` served by
    the template's `GET`), else `None`; `target` is the registered value, `None` with the method.
    """

    template: str
    method: str | None
    target: T | None


class _Node(Generic[T]):
    """One trie position: children by segment kind, plus operations if a template ends here."""

    __slots__ = ("literals", "mixed", "ops", "param", "template")

    def __init__(self) -> None:
        self.literals: dict[str, _Node[T]] = {}
        self.mixed: list[_Mixed[T]] = []
        self.param: _Node[T] | None = None
        self.ops: dict[str, tuple[str, T]] = {}  # method -> (declared template, target)
        self.template: str | None = None  # first template declared for this path shape

    def child(self, segment: str) -> _Node[T]:
        """The child for a template segment, created on first use."""
        if _PARAM.fullmatch(segment):
            if self.param is None:
                self.param = _Node()
            return self.param
        if _PARAM.search(segment) is None:
            return self.literals.setdefault(segment, _Node())
        key = _PARAM.sub("{}", segment)
        for mixed in self.mixed:
            if mixed.key == key:
                return mixed.node
        mixed = _Mixed.compile(segment, key, _Node())
        self.mixed.append(mixed)
        self.mixed.sort(key=lambda m: -m.weight)  # stable: declaration order breaks ties
        return mixed.node

    def lookup(self, method: str) -> tuple[str, T] | None:
        found = self.ops.get(method)
        if found is None and method == "HEAD":
            found = self.ops.get("GET")
        return found


@dataclass(frozen=True, slots=True)
class _Mixed(Generic[T]):
    """A segment mixing literal text and parameters, e.g. `{id}.json` or `v{version}`."""

    key: str  # segment with parameter names erased, so `{a}.json` and `{b}.json` share a node
    pattern: re.Pattern[str]
    weight: int  # literal characters: more literal text is more specific
    node: _Node[T]

    @classmethod
    def compile(cls, segment: str, key: str, node: _Node[T]) -> _Mixed[T]:
        literals = _PARAM.split(segment)
        regex = "[^/]+?".join(re.escape(text) for text in literals)
        return cls(key, re.compile(regex), sum(map(len, literals)), node)


class Router(Generic[T]):
    """Routes concrete requests to declared operations.

    Preference at every depth is literal, then mixed segments (most literal characters first),
    then a whole `{param}`, with backtracking. Among all templates the path matches, the most
    specific one declaring the method wins; if none declares it, the most specific one is returned
    with `method=None, target=None` (an undocumented operation on a declared path).

    `HEAD` on a template that declares `GET` but not `HEAD` returns `method="HEAD"` with the GET
    target: the request really was a HEAD, and servers answer it with the GET handler. This is
    decided per template, in specificity order, like any other method.

    Base paths (the path part of the contract's servers) are optional in traffic: the path with the
    longest base path stripped (at a segment boundary) is tried first, then the path as it is.

    `node_visits` counts trie nodes visited by all lookups so far (a debugging/scaling aid).
    """

    def __init__(
        self, operations: Iterable[tuple[str, str, T]], base_paths: Iterable[str] = ()
    ) -> None:
        self._root: _Node[T] = _Node()
        for method, template, target in operations:
            self._add(method.upper(), template, target)
        bases = {tuple(split_path(base)) for base in base_paths}
        self._bases = sorted((base for base in bases if base), key=len, reverse=True)
        self.node_visits = 0

    def _add(self, method: str, template: str, target: T) -> None:
        node = self._root
        for segment in split_path(template):
            node = node.child(segment)
        if node.template is None:
            node.template = template
        node.ops.setdefault(method, (template, target))

    def match(self, method: str, path: str) -> Route[T] | None:
        """The route for a concrete request, or None when no declared template fits the path."""
        method = method.upper()
        best: _Node[T] | None = None
        segments = split_path(path)
        if "%" in path:
            segments = [_decode(segment) for segment in segments]
        for node in self._candidates(segments):
            found = node.lookup(method)
            if found is not None:
                return Route(found[0], method, found[1])
            if best is None:
                best = node
        if best is None or best.template is None:
            return None
        return Route(best.template, None, None)

    def _candidates(self, segments: list[str]) -> Iterator[_Node[T]]:
        """Terminal nodes matching `segments`, most specific first; stripped base path first."""
        prefix = self._base_prefix(segments)
        if prefix:
            yield from self._walk(self._root, segments, prefix)
        yield from self._walk(self._root, segments, 0)

    def _base_prefix(self, segments: list[str]) -> int:
        """Length of the longest base path `segments` starts with (0 if none)."""
        for base in self._bases:
            if len(base) <= len(segments) and all(
                _base_segment_matches(want, got) for want, got in zip(base, segments, strict=False)
            ):
                return len(base)
        return 0

    def _walk(self, node: _Node[T], segments: list[str], depth: int) -> Iterator[_Node[T]]:
        self.node_visits += 1
        if depth == len(segments):
            if node.template is not None:
                yield node
            return
        segment = segments[depth]
        child = node.literals.get(segment)
        if child is not None:
            yield from self._walk(child, segments, depth + 1)
        if not segment:  # `//`: an empty segment only matches an empty literal
            return
        for mixed in node.mixed:
            if mixed.pattern.fullmatch(segment):
                yield from self._walk(mixed.node, segments, depth + 1)
        if node.param is not None:
            yield from self._walk(node.param, segments, depth + 1)


def _base_segment_matches(declared: str, segment: str) -> bool:
    """A server-URL path segment: literal, or a `{variable}` matching any non-empty segment."""
    if _PARAM.fullmatch(declared):
        return bool(segment)
    return declared == segment
