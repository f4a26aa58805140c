"""A lazy, flattened view of declared schemas, as compare needs it.

A schema is turned into *alternatives*: `allOf` members are combined into one, and every
`oneOf` / `anyOf` branch becomes its own alternative. Compare then asks simple questions of them
(which types, which properties, which enum) along the pointers that traffic actually reached.
OpenAPI 3.0 quirks (`nullable`, `$ref` siblings, `x-nullable`) are honoured here and only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from drift.core.contract.model import SchemaRef

__all__ = ["ANY", "Alternative", "SchemaIndex", "type_allows"]

MAX_ALTERNATIVES = 64
MAX_REF_DEPTH = 64
_UNRESOLVED: dict[str, Any] = {"x-drift": "unresolved $ref"}
_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})


@dataclass(slots=True)
class Alternative:
    """One way a value may look: the conjunction of everything that applies to it."""

    types: frozenset[str] | None = None  # None = any type
    properties: dict[str, list[SchemaRef]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    read_only: set[str] = field(default_factory=set)
    write_only: set[str] = field(default_factory=set)
    deprecated: set[str] = field(default_factory=set)
    incidental: set[str] = field(default_factory=set)
    pattern_properties: list[tuple[re.Pattern[str], SchemaRef]] = field(default_factory=list)
    additional: list[SchemaRef] = field(default_factory=list)
    additional_free: bool = False  # explicit `additionalProperties: true` / `{}`
    constrains_keys: bool = False  # declares properties, patterns or additionalProperties
    items: list[SchemaRef] = field(default_factory=list)
    enum: tuple[Any, ...] | None = None
    formats: set[str] = field(default_factory=set)
    unresolved: bool = False  # a $ref could not be followed: treat as "anything"

    def allows(self, json_type: str) -> bool:
        return type_allows(self.types, json_type)

    def declares_key(self, key: str) -> bool:
        return self.child_schemas(key) is not None

    def child_schemas(self, key: str) -> list[SchemaRef] | None:
        """Schemas that apply to property `key`; [] = declared but unconstrained; None = undeclared."""
        if key in self.properties:
            return self.properties[key]
        matched = [ref for pattern, ref in self.pattern_properties if pattern.search(key)]
        if matched:
            return matched
        if self.additional:
            return self.additional
        if self.additional_free or not self.constrains_keys or self.unresolved:
            return []
        return None


ANY = Alternative()


def type_allows(types: frozenset[str] | None, json_type: str) -> bool:
    if types is None:
        return True
    return json_type in types or (json_type == "integer" and "number" in types)


def _intersect_types(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    both = a & b
    if ("integer" in a and "number" in b) or ("number" in a and "integer" in b):
        both |= {"integer"}
    return both


def _combine(a: Alternative, b: Alternative) -> Alternative:
    """Both `a` and `b` apply (allOf): what either declares is declared."""
    props = {k: list(v) for k, v in a.properties.items()}
    for k, refs in b.properties.items():
        props.setdefault(k, []).extend(refs)
    if a.enum is not None and b.enum is not None:
        enum: tuple[Any, ...] | None = tuple(v for v in a.enum if v in b.enum)
    else:
        enum = a.enum if a.enum is not None else b.enum
    return Alternative(
        types=_intersect_types(a.types, b.types),
        properties=props,
        required=a.required | b.required,
        read_only=a.read_only | b.read_only,
        write_only=a.write_only | b.write_only,
        deprecated=a.deprecated | b.deprecated,
        incidental=a.incidental | b.incidental,
        pattern_properties=a.pattern_properties + b.pattern_properties,
        additional=a.additional + b.additional,
        additional_free=a.additional_free or b.additional_free,
        constrains_keys=a.constrains_keys or b.constrains_keys,
        items=a.items + b.items,
        enum=enum,
        formats=a.formats | b.formats,
        unresolved=a.unresolved or b.unresolved,
    )


def _union(alts: list[Alternative]) -> Alternative:
    """Too many branches to keep apart: one lenient alternative that declares what any does."""
    out = alts[0]
    for alt in alts[1:]:
        merged = _combine(out, alt)
        merged.types = None if out.types is None or alt.types is None else out.types | alt.types
        merged.required = out.required & alt.required
        merged.enum = None if out.enum is None or alt.enum is None else out.enum + alt.enum
        out = merged
    return out


class SchemaIndex:
    """Memoised alternatives per schema (keyed by identity) for one contract."""

    def __init__(self) -> None:
        self._memo: dict[int, list[Alternative]] = {}
        self.problems: list[str] = []

    def deref(self, ref: SchemaRef) -> tuple[SchemaRef, dict[str, Any]]:
        """Follow `$ref` chains; returns the target and the sibling keywords met on the way."""
        siblings: dict[str, Any] = {}
        seen: set[int] = set()
        for _ in range(MAX_REF_DEPTH):
            contents = ref.contents
            if not isinstance(contents, dict) or "$ref" not in contents:
                return ref, siblings
            if ref.key in seen:
                break
            seen.add(ref.key)
            target = contents["$ref"]
            siblings.update({k: v for k, v in contents.items() if k != "$ref"})
            if not isinstance(target, str):
                break
            try:
                resolved = ref.resolver.lookup(target)
            except Exception:  # referencing raises several Unresolvable subclasses
                self.problems.append(f"cannot resolve $ref {target!r} (from {ref.base_uri})")
                break
            ref = SchemaRef(resolved.contents, resolved.resolver, str(target))
        return SchemaRef(_UNRESOLVED, ref.resolver, ref.base_uri), siblings

    def alternatives(self, ref: SchemaRef) -> list[Alternative]:
        memo = self._memo.get(ref.key)
        if memo is None:
            self._memo[ref.key] = [ANY]  # recursion guard for self-referencing schemas
            memo = self._build(ref)
            self._memo[ref.key] = memo
        return memo

    def alternatives_of(self, refs: list[SchemaRef]) -> list[Alternative]:
        out: list[Alternative] = []
        for ref in refs:
            out.extend(self.alternatives(ref))
        return out if len(out) <= MAX_ALTERNATIVES else [_union(out)]

    def _build(self, ref: SchemaRef) -> list[Alternative]:
        target, siblings = self.deref(ref)
        schema = target.contents
        if schema is True or schema == {}:
            return [ANY]
        if schema is False:
            return [Alternative(types=frozenset())]
        if not isinstance(schema, dict):
            return [ANY]
        if schema is _UNRESOLVED:
            return [Alternative(unresolved=True)]
        if siblings:
            # 3.1 applies $ref siblings; many 3.0 documents rely on it too (`nullable` beside
            # `$ref`). Being lenient here avoids false drift.
            schema = {**schema, **{k: v for k, v in siblings.items() if k not in schema}}
            if siblings.get("nullable") is True:
                schema["nullable"] = True
        alts = [self._own(schema, target)]
        for member in _as_list(schema.get("allOf")):
            alts = self._cross(alts, self.alternatives(target.child(member)))
        for keyword in ("oneOf", "anyOf"):
            branches = _as_list(schema.get(keyword))
            if branches:
                alts = self._cross(alts, self.alternatives_of([target.child(b) for b in branches]))
        if _nullable(schema):
            # `nullable` on a wrapper without `type` (`{nullable: true, allOf: [$ref]}`) is the
            # common 3.0 idiom for a nullable reference: it applies to the combined result.
            for alt in alts:
                if alt.types is not None:
                    alt.types = alt.types | {"null"}
        return alts

    @staticmethod
    def _cross(left: list[Alternative], right: list[Alternative]) -> list[Alternative]:
        out = [_combine(a, b) for a in left for b in right]
        return out if len(out) <= MAX_ALTERNATIVES else [_union(out)]

    def _own(self, schema: dict[str, Any], ref: SchemaRef) -> Alternative:
        alt = Alternative(types=_types(schema))
        nullable = _nullable(schema)
        if nullable and alt.types is not None:
            alt.types = alt.types | {"null"}
        props = schema.get("properties")
        if isinstance(props, dict):
            alt.constrains_keys = True
            for name, sub in props.items():
                child = ref.child(sub)
                alt.properties[str(name)] = [child]
                self._flags(str(name), child, alt)
        required = schema.get("required")
        if isinstance(required, list):
            alt.required = {r for r in required if isinstance(r, str)}
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict):
            alt.constrains_keys = True
            for pattern, sub in patterns.items():
                try:
                    alt.pattern_properties.append((re.compile(str(pattern)), ref.child(sub)))
                except re.error:
                    alt.additional_free = True
        additional = schema.get("additionalProperties")
        if additional is True or additional == {}:
            alt.additional_free = True
        elif isinstance(additional, dict):
            alt.constrains_keys = True
            alt.additional.append(ref.child(additional))
        elif additional is False:
            alt.constrains_keys = True
        for keyword in ("items", "prefixItems"):
            items = schema.get(keyword)
            if isinstance(items, dict):
                alt.items.append(ref.child(items))
            elif isinstance(items, list):
                alt.items.extend(ref.child(i) for i in items)
        if "const" in schema:
            alt.enum = (schema["const"],)
        elif isinstance(schema.get("enum"), list):
            alt.enum = tuple(schema["enum"])
        if alt.enum is not None and nullable:
            alt.enum = (*alt.enum, None)
        fmt = schema.get("format")
        if isinstance(fmt, str):
            alt.formats.add(fmt)
        return alt

    def _flags(self, name: str, child: SchemaRef, alt: Alternative) -> None:
        target, siblings = self.deref(child)
        contents = target.contents if isinstance(target.contents, dict) else {}
        merged = {**contents, **siblings}
        if merged.get("readOnly") is True:
            alt.read_only.add(name)
        if merged.get("writeOnly") is True:
            alt.write_only.add(name)
        if merged.get("deprecated") is True:
            alt.deprecated.add(name)
        if merged.get("x-stability") == "incidental":
            alt.incidental.add(name)


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("nullable") is True or schema.get("x-nullable") is True


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared}) & _TYPES or None
    if isinstance(declared, list):
        return frozenset(t for t in declared if t in _TYPES) or None
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
