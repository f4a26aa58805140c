"""Schema rules: walk the old and new schema side by side and classify each difference.

Both sides are flattened with `SchemaIndex.alternatives` (allOf combined, oneOf / anyOf kept as
branches, `nullable` folded into the types) and each level is compared as one *view*: the union
of what the branches allow, the properties any branch declares, the properties every branch
requires. The same rules serve requests and responses; the direction decides which way a
difference breaks (a narrower request breaks consumers, a wider response does).

Recursive schemas are safe, and shared ones cheap: see `SchemaDiffer`.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from drift.core.contract.model import SchemaRef
from drift.core.contract.schema import ANY, Alternative, SchemaIndex, type_allows
from drift.core.pointer import join
from drift.core.shape import WILDCARD

__all__ = ["MAX_DEPTH", "MAX_SITES", "Delta", "SchemaDiffer", "enum_key"]

MAX_DEPTH = 32
MAX_SITES = 4  # shortest pointers at which one change is reported, per body
MAX_DELTAS = 5_000  # per body; a bound, not a budget anyone should reach
MAX_ORIGINS = 512  # distinct changes tracked below one pair; past it, the walk goes on blindly
_PairKey = tuple[tuple[int, ...], tuple[int, ...]]
Origin = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Delta:
    """One schema difference, at a pointer relative to where the walk started."""

    kind: str
    pointer: str
    old: Any
    new: Any
    message: str
    # what changed, independent of where it is reached from: the same origin met through
    # many paths (a shared component) is reported at its MAX_SITES shortest pointers only
    origin: Origin = ()

    def under(self, segment: str) -> Delta:
        return self.at(join("", segment))

    def at(self, pointer: str) -> Delta:
        """This delta re-rooted below `pointer`."""
        return Delta(
            self.kind, pointer + self.pointer, self.old, self.new, self.message, self.origin
        )


@dataclass(frozen=True, slots=True)
class _View:
    types: frozenset[str] | None  # without "null"; None = any type
    nullable: bool | None  # None when any type is allowed
    props: dict[str, list[SchemaRef]]
    required: frozenset[str]
    deprecated: frozenset[str]
    enum: list[Any] | None  # without null; None = unrestricted
    formats: frozenset[str]
    items: list[SchemaRef]
    additional: list[SchemaRef]
    objects: list[Alternative]
    unresolved: bool
    closed: bool  # `additionalProperties: false` (or unevaluatedProperties) applies everywhere

    def allows(self, json_type: str) -> bool:
        return self.types is None or type_allows(self.types, json_type)

    def rejects_key(self, key: str) -> bool:
        """Whether an object carrying `key` fails every branch (a closed schema)."""
        return (
            self.closed
            and bool(self.objects)
            and all(a.child_schemas(key) is None for a in self.objects)
        )


def _effective_types(alt: Alternative) -> frozenset[str] | None:
    """Declared types; a schema without `type` but with properties / items reads as one."""
    if alt.types is not None:
        return alt.types
    if alt.properties or alt.constrains_keys:
        return frozenset({"object"})
    if alt.items:
        return frozenset({"array"})
    return None


def enum_key(value: Any) -> str:
    """Enum values compared as JSON (so `1` and `true` differ, and dicts are comparable)."""
    return json.dumps(value, sort_keys=True, default=str)


def _unique(refs: list[SchemaRef]) -> list[SchemaRef]:
    """Refs without repeats: branches of one schema often share a property's schema."""
    seen: dict[int, SchemaRef] = {}
    for ref in refs:
        seen.setdefault(ref.key, ref)
    return list(seen.values())


def _closed(index: SchemaIndex, ref: SchemaRef, depth: int = 0) -> bool:
    """Whether `ref` forbids undeclared properties: `additionalProperties: false` (or
    `unevaluatedProperties: false`) here or in an allOf member, or in every oneOf/anyOf branch.

    Read from the document because `Alternative.constrains_keys` also holds for schemas that
    merely declare properties, which JSON Schema leaves open.
    """
    if depth > MAX_DEPTH:
        return False
    target, siblings = index.deref(ref)
    schema = target.contents
    if not isinstance(schema, dict):
        return False
    merged = {**schema, **siblings}
    if merged.get("additionalProperties") is False or merged.get("unevaluatedProperties") is False:
        return True
    members = merged.get("allOf")
    if isinstance(members, list) and any(
        _closed(index, target.child(m), depth + 1) for m in members
    ):
        return True
    for keyword in ("oneOf", "anyOf"):
        branches = merged.get(keyword)
        if isinstance(branches, list) and branches:
            return all(_closed(index, target.child(b), depth + 1) for b in branches)
    return False


def _view(alts: list[Alternative], direction: str, closed: bool = False) -> _View:
    alts = alts or [ANY]
    typed = [_effective_types(a) for a in alts]
    types: frozenset[str] | None = None
    nullable: bool | None = None
    if all(t is not None for t in typed):
        union = frozenset().union(*(t for t in typed if t is not None))
        types, nullable = union - {"null"}, "null" in union
    objects = [a for a, t in zip(alts, typed, strict=True) if t is None or type_allows(t, "object")]
    props: dict[str, list[SchemaRef]] = {}
    required: set[str] | None = None
    for alt in objects:
        hidden = alt.read_only if direction == "request" else alt.write_only
        for name, refs in alt.properties.items():
            if name not in hidden:
                props.setdefault(name, []).extend(refs)
        own = alt.required - hidden
        required = own if required is None else required & own
    enum: list[Any] | None = None
    if all(a.enum is not None for a in alts):
        seen: dict[str, Any] = {}
        for alt in alts:
            for value in alt.enum or ():
                if value is not None:
                    seen.setdefault(enum_key(value), value)
        enum = list(seen.values())
    return _View(
        types=types,
        nullable=nullable,
        props={name: _unique(refs) for name, refs in props.items()},
        required=frozenset(required or ()),
        deprecated=frozenset().union(*(a.deprecated for a in objects)),
        enum=enum,
        formats=frozenset().union(*(a.formats for a in alts)),
        items=_unique(
            [
                r
                for a, t in zip(alts, typed, strict=True)
                if t is None or "array" in t
                for r in a.items
            ]
        ),
        additional=_unique([r for a in objects for r in a.additional]),
        objects=objects,
        unresolved=any(a.unresolved for a in alts),
        closed=closed,
    )


def _types_text(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types)) or "nothing"


def _types_value(types: frozenset[str] | None) -> list[str] | None:
    return None if types is None else sorted(types)


MAX_VALUES_SHOWN = 10


def _values_text(values: list[Any]) -> str:
    shown = ", ".join(json.dumps(v, default=str) for v in values[:MAX_VALUES_SHOWN])
    hidden = len(values) - MAX_VALUES_SHOWN
    return shown + (f", … (+{hidden} more)" if hidden > 0 else "")


class SchemaDiffer:
    """Compares schemas of one direction ("request" or "response") of two contracts.

    The (old, new) schema pairs form a graph (children: properties present on both sides,
    array items, additionalProperties), cyclic where schemas are recursive. Each pair is
    compared once (`_expand`, memoised); which changes lie below each pair is computed once per
    strongly connected component (`_origins_below`). `diff` then walks breadth-first from its
    root, only towards changes not yet reported `MAX_SITES` times, never into a pair that is
    its own ancestor (recursion), at most `MAX_SITES` times per pair and `MAX_DEPTH` levels
    deep: so a change in a shared component is reported at its shortest pointers under each
    body, not once per path (Stripe reaches `customer` through thousands of paths).
    """

    def __init__(self, old: SchemaIndex, new: SchemaIndex, direction: str) -> None:
        self.old = old
        self.new = new
        self.direction = direction
        self._refs: dict[_PairKey, tuple[list[SchemaRef], list[SchemaRef]]] = {}
        self._expanded: dict[_PairKey, tuple[list[Delta], list[tuple[str, _PairKey]]]] = {}
        self._below: dict[_PairKey, frozenset[Origin] | None] = {}
        self._walked: dict[_PairKey, list[Delta]] = {}  # root pair -> its changes

    def diff(self, old: list[SchemaRef], new: list[SchemaRef]) -> list[Delta]:
        root = self._pair(old, new)
        found = self._walked.get(root)
        if found is None:
            found = self._walked[root] = self._walk(root)
        return list(found)

    def _walk(self, root: _PairKey) -> list[Delta]:
        reported: dict[Origin, int] = {}
        done: set[_PairKey] = set()
        if self._exhausted(root, reported, done):
            return []  # nothing changed below the root
        out: list[Delta] = []
        expansions: dict[_PairKey, int] = {}
        queue: deque[tuple[_PairKey, str, int, frozenset[_PairKey]]] = deque()
        queue.append((root, "", 0, frozenset()))
        while queue and len(out) < MAX_DELTAS:
            key, pointer, depth, ancestors = queue.popleft()
            if expansions.get(key, 0) >= MAX_SITES or self._exhausted(key, reported, done):
                continue
            expansions[key] = expansions.get(key, 0) + 1
            local, children = self._expand(key)
            for delta in local:
                seen = reported.get(delta.origin, 0)
                if seen < MAX_SITES:
                    reported[delta.origin] = seen + 1
                    out.append(delta.at(pointer))
            if depth >= MAX_DEPTH:
                continue
            inner: frozenset[_PairKey] | None = None
            for segment, child in children:
                if (
                    child == key
                    or child in ancestors  # a recursive schema: already compared further up
                    or expansions.get(child, 0) >= MAX_SITES
                    or self._exhausted(child, reported, done)
                ):
                    continue
                inner = inner if inner is not None else ancestors | {key}
                queue.append((child, join(pointer, segment), depth + 1, inner))
        return out[:MAX_DELTAS]

    def _exhausted(self, key: _PairKey, reported: dict[Origin, int], done: set[_PairKey]) -> bool:
        """Whether every change below `key` was already reported MAX_SITES times (or there is
        none); once true it stays true for the walk, so it is remembered in `done`."""
        if key in done:
            return True
        origins = self._origins_below(key)
        if origins is None or any(reported.get(o, 0) < MAX_SITES for o in origins):
            return False
        done.add(key)
        return True

    # -- the pair graph ---------------------------------------------------------------------

    def _pair(self, old: list[SchemaRef], new: list[SchemaRef]) -> _PairKey:
        old, new = _unique(old), _unique(new)
        key = (self._key(self.old, old), self._key(self.new, new))
        self._refs.setdefault(key, (old, new))
        return key

    @staticmethod
    def _key(index: SchemaIndex, refs: list[SchemaRef]) -> tuple[int, ...]:
        """Identity of what `refs` point at: a `$ref` is keyed by its target, so a recursive
        schema is recognised wherever it refers to itself (unless keywords sit beside the
        `$ref`, which make that site a schema of its own)."""
        keys = set()
        for ref in refs:
            target, siblings = index.deref(ref)
            keys.add(ref.key if siblings else target.key)
        return tuple(sorted(keys))

    def _expand(self, key: _PairKey) -> tuple[list[Delta], list[tuple[str, _PairKey]]]:
        """This pair's own changes (pointers relative to it) and its child pairs."""
        found = self._expanded.get(key)
        if found is None:
            old, new = self._refs[key]
            before = _view(self.old.alternatives_of(old), self.direction)
            closed = bool(new) and all(_closed(self.new, r) for r in new)
            after = _view(self.new.alternatives_of(new), self.direction, closed)
            local: list[Delta] = []
            children: list[tuple[str, _PairKey]] = []
            self._compare(before, after, local, children)
            local = [d if d.origin else replace(d, origin=(d.kind, key)) for d in local]
            found = self._expanded[key] = (local, children)
        return found

    def _origins_below(self, root: _PairKey) -> frozenset[Origin] | None:
        """The changes at or below `root` (None: more than MAX_ORIGINS, not tracked).

        A fixpoint over a cyclic graph: Tarjan's strongly connected components, iteratively;
        every pair of one component reaches the same changes.
        """
        if root in self._below:
            return self._below[root]
        index: dict[_PairKey, int] = {}
        low: dict[_PairKey, int] = {}
        found: dict[_PairKey, set[Origin] | None] = {}
        stack: list[_PairKey] = []
        on_stack: set[_PairKey] = set()

        def add(v: _PairKey, more: Iterable[Origin] | None) -> None:
            mine = found[v]
            if mine is None:
                return
            if more is None:
                found[v] = None
                return
            mine.update(more)
            if len(mine) > MAX_ORIGINS:
                found[v] = None

        def enter(v: _PairKey) -> Iterator[_PairKey]:
            index[v] = low[v] = len(index)
            stack.append(v)
            on_stack.add(v)
            local, children = self._expand(v)
            found[v] = set()
            add(v, (d.origin for d in local))
            return iter([child for _, child in children])

        work: list[tuple[_PairKey, Iterator[_PairKey]]] = [(root, enter(root))]
        while work:
            v, successors = work[-1]
            descended = False
            for w in successors:
                if w in self._below:
                    add(v, self._below[w])
                elif w not in index:
                    work.append((w, enter(w)))
                    descended = True
                    break
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if descended:
                continue
            work.pop()
            if low[v] == index[v]:
                component: list[_PairKey] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                union: set[Origin] | None = set()
                for w in component:
                    part = found[w]
                    if union is None or part is None:
                        union = None
                    else:
                        union |= part
                shared = (
                    frozenset(union) if union is not None and len(union) <= MAX_ORIGINS else None
                )
                for w in component:
                    self._below[w] = shared
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
                if v in self._below:
                    add(parent, self._below[v])
        return self._below[root]

    def _compare(
        self,
        old: _View,
        new: _View,
        out: list[Delta],
        children: list[tuple[str, _PairKey]],
    ) -> None:
        if old.unresolved or new.unresolved:
            return  # an unresolvable $ref on either side: nothing sound to say
        type_changed = self._types(old, new, out)
        self._nullable(old, new, out)
        if not type_changed:
            self._formats(old, new, out)
            self._enum(old, new, out)
        if old.allows("object") and new.allows("object"):
            self._properties(old, new, out, children)
        if old.allows("array") and new.allows("array") and (old.items or new.items):
            children.append((WILDCARD, self._pair(old.items, new.items)))
        if old.additional and new.additional:
            children.append((WILDCARD, self._pair(old.additional, new.additional)))

    def _delta(self, rule: str, old: Any, new: Any, message: str, origin: Origin = ()) -> Delta:
        full = f"{self.direction}.{rule}"
        return Delta(full, "", old, new, message, (full, *origin) if origin else ())

    # -- rules ------------------------------------------------------------------------------

    def _types(self, old: _View, new: _View, out: list[Delta]) -> bool:
        """Types lost (no longer allowed) and gained; returns whether anything changed."""
        if old.types is None:
            lost, gained = new.types is not None, False
        elif new.types is None:
            lost, gained = False, True
        else:
            lost = any(not type_allows(new.types, t) for t in old.types)
            gained = any(not type_allows(old.types, t) for t in new.types)
        if not (lost or gained):
            return False
        breaking = lost if self.direction == "request" else gained
        if self.direction == "request":
            rule = "type.narrowed" if breaking else "type.widened"
        else:
            rule = "type.widened" if breaking else "type.narrowed"
        message = f"type changed from {_types_text(old.types)} to {_types_text(new.types)}"
        out.append(self._delta(rule, _types_value(old.types), _types_value(new.types), message))
        return True

    def _nullable(self, old: _View, new: _View, out: list[Delta]) -> None:
        if old.nullable is None or new.nullable is None or old.nullable == new.nullable:
            return
        if new.nullable:
            out.append(self._delta("nullable.added", False, True, "now nullable"))
        else:
            out.append(self._delta("nullable.removed", True, False, "no longer nullable"))

    def _formats(self, old: _View, new: _View, out: list[Delta]) -> None:
        if old.formats == new.formats:
            return
        # a format restricts values; several (one per branch) allow any of them; none: anything
        wider = not new.formats or bool(old.formats and old.formats <= new.formats)
        narrower = not old.formats or bool(new.formats and new.formats <= old.formats)
        if self.direction == "request":
            rule = "format.widened" if wider else "format.narrowed"
        else:
            rule = "format.narrowed" if narrower else "format.widened"
        before = ", ".join(sorted(old.formats)) or "none"
        after = ", ".join(sorted(new.formats)) or "none"
        out.append(
            self._delta(
                rule,
                sorted(old.formats) or None,
                sorted(new.formats) or None,
                f"format changed from {before} to {after}",
            )
        )

    def _enum(self, old: _View, new: _View, out: list[Delta]) -> None:
        if old.enum is None and new.enum is None:
            return
        if old.enum is None:
            assert new.enum is not None
            message = f"now restricted to enum [{_values_text(new.enum)}]"
            out.append(self._delta("enum.value-removed", None, new.enum, message))
            return
        if new.enum is None:
            message = f"no longer restricted to enum [{_values_text(old.enum)}]"
            out.append(self._delta("enum.value-added", old.enum, None, message))
            return
        old_keys = {enum_key(v) for v in old.enum}
        new_keys = {enum_key(v) for v in new.enum}
        removed = [v for v in old.enum if enum_key(v) not in new_keys]
        added = [v for v in new.enum if enum_key(v) not in old_keys]
        if removed:
            message = f"enum value{'s' if len(removed) > 1 else ''} {_values_text(removed)} removed"
            out.append(self._delta("enum.value-removed", old.enum, new.enum, message))
        if added:
            message = f"enum value{'s' if len(added) > 1 else ''} {_values_text(added)} added"
            out.append(self._delta("enum.value-added", old.enum, new.enum, message))

    def _properties(
        self,
        old: _View,
        new: _View,
        out: list[Delta],
        children: list[tuple[str, _PairKey]],
    ) -> None:
        request = self.direction == "request"
        old_names = set(old.props) | old.required
        new_names = set(new.props) | new.required
        for name in sorted(old_names | new_names):
            origin = (
                name,
                self._key(self.old, _unique(old.props.get(name, []))),
                self._key(self.new, _unique(new.props.get(name, []))),
            )
            was_required, is_required = name in old.required, name in new.required
            before = "required" if was_required else "optional"
            after = "required" if is_required else "optional"
            if name not in new_names:
                rule = "property.removed"
                if request and new.rejects_key(name):
                    rule = "property.rejected"
                message = f"property `{name}` removed"
                out.append(self._delta(rule, before, None, message, origin).under(name))
                continue
            if name not in old_names:
                if request:
                    rule = "property.required-added" if is_required else "property.optional-added"
                else:
                    rule = "property.added"
                message = f"{after} property `{name}` added"
                out.append(self._delta(rule, None, after, message, origin).under(name))
                continue
            if was_required != is_required:
                rule = "property.became-required" if is_required else "property.became-optional"
                message = f"property `{name}` became {after}"
                out.append(self._delta(rule, before, after, message, origin).under(name))
            if name in new.deprecated and name not in old.deprecated:
                message = f"property `{name}` deprecated"
                delta = self._delta("property.deprecated", False, True, message, origin)
                out.append(delta.under(name))
            children.append((name, self._pair(old.props.get(name, []), new.props.get(name, []))))
