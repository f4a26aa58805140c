"""Body rules: walk observed shapes along the declared schema (request and response alike).

Only pointers that traffic reached are visited, so cost grows with what was observed, not with
the size of the contract. A field is declared if any `allOf` member declares it, or if the
`oneOf`/`anyOf` branch that best fits the observed object declares it.
"""

from __future__ import annotations

import json
from typing import Any

from drift.core.compare.issue import Issue
from drift.core.contract.model import SchemaRef
from drift.core.contract.schema import Alternative, SchemaIndex, type_allows
from drift.core.pointer import join
from drift.core.shape import WILDCARD, Node
from drift.core.valueclass import FORMAT_CLASSES

__all__ = ["BodyWalker"]

_TOKEN_TYPES = {"s": "string", "i": "integer", "b": "boolean"}


def _decode_token(token: str) -> tuple[str, Any]:
    kind, _, raw = token.partition(":")
    if kind == "i":
        return "integer", int(raw)
    if kind == "b":
        return "boolean", raw == "true"
    return "string", raw


def _typed(value: Any) -> tuple[str, Any]:
    if value is True or value is False:
        return ("boolean", value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ("integer", int(value)) if float(value).is_integer() else ("number", value)
    return ("string" if isinstance(value, str) else "other", value)


class BodyWalker:
    def __init__(self, index: SchemaIndex, direction: str) -> None:
        self.index = index
        self.direction = direction  # "request" or "response"
        self.prefix = f"{direction}.body"

    def walk(self, ref: SchemaRef, root: Node) -> list[Issue]:
        out: list[Issue] = []
        self._node([ref], root, "", out)
        return out

    def _issue(
        self, rule: str, pointer: str, count: int, total: int, declared: Any, observed: Any
    ) -> Issue:
        return Issue(
            f"{self.prefix}.{rule}", self.prefix, pointer, count, total, declared, observed
        )

    def _node(self, refs: list[SchemaRef], node: Node, pointer: str, out: list[Issue]) -> None:
        alts = self.index.alternatives_of(refs)
        if not alts or any(a.unresolved for a in alts):
            return
        self._types(alts, node, pointer, out)
        if node.types.get("string"):
            self._formats([a for a in alts if a.allows("string")], node, pointer, out)
        if node.values:
            self._enum(alts, node, pointer, out)
        if node.objects:
            objects = [a for a in alts if a.allows("object")]
            if objects:
                self._object(objects, node, pointer, out)
        if node.items is not None and node.types.get("array"):
            arrays = [a for a in alts if a.allows("array")]
            if arrays and all(a.items for a in arrays):
                self._node(
                    [r for a in arrays for r in a.items], node.items, join(pointer, WILDCARD), out
                )

    def _types(self, alts: list[Alternative], node: Node, pointer: str, out: list[Issue]) -> None:
        if any(a.types is None for a in alts):
            return
        allowed = frozenset().union(*(a.types or () for a in alts))
        bad = {t: c for t, c in node.types.items() if not type_allows(allowed, t)}
        if bad:
            out.append(
                self._issue(
                    "type-mismatch",
                    pointer,
                    sum(bad.values()),
                    node.count,
                    sorted(allowed),
                    dict(sorted(node.types.items())),
                )
            )

    def _formats(self, alts: list[Alternative], node: Node, pointer: str, out: list[Issue]) -> None:
        checked = [a.formats & FORMAT_CLASSES.keys() for a in alts]
        if not alts or not all(checked):
            return
        accepted = frozenset().union(*(FORMAT_CLASSES[f] for fs in checked for f in fs))
        bad = {c: n for c, n in node.formats.items() if c not in accepted}
        if bad:
            declared = sorted(set().union(*checked))
            out.append(
                self._issue(
                    "format-mismatch",
                    pointer,
                    sum(bad.values()),
                    node.types["string"],
                    declared[0] if len(declared) == 1 else declared,
                    dict(sorted(node.formats.items())),
                )
            )

    def _enum(self, alts: list[Alternative], node: Node, pointer: str, out: list[Issue]) -> None:
        assert node.values is not None
        bad: dict[str, int] = {}
        declared: list[Any] = []
        for token, count in node.values.items():
            json_type, value = _decode_token(token)
            fitting = [a for a in alts if a.allows(json_type)]
            if not fitting or any(a.enum is None for a in fitting):
                continue
            allowed = {_typed(v) for a in fitting for v in a.enum or ()}
            if _typed(value) not in allowed:
                bad[str(value) if json_type == "string" else token.partition(":")[2]] = count
                declared = sorted(
                    {
                        v if isinstance(v, str) else json.dumps(v)
                        for a in fitting
                        for v in a.enum or ()
                        if v is not None
                    }
                )
        if bad:
            out.append(
                self._issue(
                    "enum-violation",
                    pointer,
                    sum(bad.values()),
                    node.count,
                    declared[:50],
                    dict(sorted(bad.items())),
                )
            )

    # -- objects ----------------------------------------------------------------------------

    def _declares(self, alt: Alternative, key: str) -> bool:
        if key == WILDCARD:
            return bool(
                alt.additional
                or alt.additional_free
                or alt.pattern_properties
                or not alt.constrains_keys
                or alt.unresolved
            )
        if not alt.declares_key(key):
            return False
        wrong_way = alt.read_only if self.direction == "request" else alt.write_only
        return key not in wrong_way

    def _required(self, alt: Alternative) -> set[str]:
        return alt.required - (alt.read_only if self.direction == "request" else alt.write_only)

    def _fit(self, alt: Alternative, keys: tuple[str, ...]) -> tuple[list[str], list[str]]:
        undeclared = [k for k in keys if not self._declares(alt, k)]
        missing = sorted(self._required(alt).difference(keys))
        return undeclared, missing

    def _object(self, alts: list[Alternative], node: Node, pointer: str, out: list[Issue]) -> None:
        undeclared: dict[str, int] = {}
        missing: dict[str, int] = {}
        chosen: dict[str, list[Alternative]] = {}
        if node.keysets is not None:
            for keys, count in node.keysets.items():
                fits = [(self._fit(a, keys), a) for a in alts]
                (und, miss), best = min(fits, key=lambda f: (len(f[0][0]), len(f[0][1])))
                for k in und:
                    undeclared[k] = undeclared.get(k, 0) + count
                for k in miss:
                    missing[k] = missing.get(k, 0) + count
                for k in keys:
                    bucket = chosen.setdefault(k, [])
                    if not any(b is best for b in bucket):
                        bucket.append(best)
        else:  # too many distinct key sets were seen: judge against all branches at once
            for k in [*node.props, *([WILDCARD] if node.extra else [])]:
                chosen[k] = alts
                if not any(self._declares(a, k) for a in alts):
                    undeclared[k] = (
                        node.extra.count if k == WILDCARD and node.extra else node.present(k)
                    )
            required = set.intersection(*(self._required(a) for a in alts))
            for k in required:
                if node.objects - node.present(k) > 0:
                    missing[k] = node.objects - node.present(k)
        for k, count in sorted(undeclared.items()):
            child = node.extra if k == WILDCARD else node.props.get(k)
            observed = dict(sorted(child.types.items())) if child is not None else None
            out.append(
                self._issue(
                    "undocumented-field", join(pointer, k), count, node.objects, None, observed
                )
            )
        for k, count in sorted(missing.items()):
            out.append(
                self._issue(
                    "missing-required", join(pointer, k), count, node.objects, "required", None
                )
            )
        self._children(chosen, node, pointer, out)

    def _children(
        self, chosen: dict[str, list[Alternative]], node: Node, pointer: str, out: list[Issue]
    ) -> None:
        for key, alts in chosen.items():
            child = node.extra if key == WILDCARD else node.props.get(key)
            if child is None:
                continue
            refs: list[SchemaRef] = []
            for alt in alts:
                if key == WILDCARD:
                    schemas: list[SchemaRef] | None = alt.additional or None
                else:
                    schemas = alt.child_schemas(key) if self._declares(alt, key) else None
                if schemas == [] or (
                    key == WILDCARD and schemas is None and self._declares(alt, key)
                ):
                    refs = []
                    break  # declared without constraint in one branch: nothing to check below
                refs.extend(schemas or [])
            else:
                if refs:
                    self._node(refs, child, join(pointer, key), out)
