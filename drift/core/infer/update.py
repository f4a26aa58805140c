"""`update_document`: an existing contract with only its undocumented parts added.

What is "undocumented" is decided by `compare` itself (its `*.undocumented*` findings, and the
observations of undeclared operations), so `drift check` against the updated contract no
longer reports those — and still reports every other drift (enum violations, deprecated calls).
Each addition carries `x-stability: incidental` (observed, not promised) and `x-drift-evidence`,
and is written in the contract's own dialect (3.0 `nullable`, 3.1 type lists). Declared parts
are never rewritten: the text is edited by insertion only (`text.py`). Parts that live in other
files (external `$ref`s) are not edited; they are listed as skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from drift.core.compare import compare
from drift.core.compare.media import match_media
from drift.core.compare.policy import Policy
from drift.core.contract.model import Contract, Operation, Response
from drift.core.contract.openapi import METHODS, normalise_media_type
from drift.core.findings import Finding
from drift.core.infer.document import group_operations
from drift.core.infer.navigate import descend
from drift.core.infer.operations import (
    Entry,
    build_operation,
    iso,
    merged,
    parameters,
    response_key,
    responses,
)
from drift.core.infer.paths import operation_id
from drift.core.infer.schema import SchemaRules, node_schema, presence
from drift.core.infer.text import TextDocument
from drift.core.observation import MessageStats, Observation, ObservationKey
from drift.core.pointer import split
from drift.core.shape import WILDCARD
from drift.core.shape import Node as Shape
from drift.errors import ContractError

__all__ = ["INCIDENTAL", "UpdateResult", "update_contract", "update_document"]

INCIDENTAL = {"x-stability": "incidental"}
_FIELD_KINDS = ("request.body.undocumented-field", "response.body.undocumented-field")


@dataclass(frozen=True, slots=True)
class UpdateResult:
    text: str
    added: tuple[str, ...]  # what was added, e.g. "GET /orders: query parameter 'include'"
    skipped: tuple[str, ...]  # undocumented parts that could not be placed in this file


def update_document(
    original_text: str,
    observations: Mapping[ObservationKey, Observation],
    contract: Contract,
    *,
    required_threshold: float = 1.0,
    ignore_headers: frozenset[str] = frozenset(),
) -> str:
    """`original_text` (the contract `contract` was built from) plus its undocumented parts."""
    return update_contract(
        original_text,
        observations,
        contract,
        required_threshold=required_threshold,
        ignore_headers=ignore_headers,
    ).text


def update_contract(
    original_text: str,
    observations: Mapping[ObservationKey, Observation],
    contract: Contract,
    *,
    required_threshold: float = 1.0,
    ignore_headers: frozenset[str] = frozenset(),
) -> UpdateResult:
    """Like `update_document`, also saying what was added and what could not be."""
    try:
        doc = TextDocument(original_text)
    except yaml.YAMLError as exc:
        raise ContractError(f"cannot edit the contract: {exc}", file=contract.source) from None
    if doc.get(doc.root, "swagger") is not None:
        raise ContractError(
            "--update edits OpenAPI 3 documents; this is Swagger 2.0",
            file=contract.source,
            hint="convert it to OpenAPI 3 first (e.g. with swagger2openapi), then update that",
        )
    policy = Policy(ignore_headers=ignore_headers)
    ours = {k: o for k, o in observations.items() if k.service == contract.service}
    rules = SchemaRules(required_threshold, dialect=contract.dialect)
    updater = _Updater(doc, contract, rules, policy)
    updater.index(ours)
    updater.operations()
    updater.findings(compare(contract, ours, policy))
    return UpdateResult(doc.render(), tuple(updater.added), tuple(updater.skipped))


def _evidence(findings: Iterable[Finding]) -> dict[str, Any]:
    found = list(findings)
    consumers: dict[str, int] = {}
    for f in found:
        for c in f.evidence.consumers:
            consumers[c.name] = consumers.get(c.name, 0) + c.count
    firsts = [f.evidence.first_seen for f in found if f.evidence.first_seen is not None]
    lasts = [f.evidence.last_seen for f in found if f.evidence.last_seen is not None]
    return {
        "count": sum(f.evidence.count for f in found),
        "total": sum(f.evidence.total for f in found),
        "first_seen": iso(min(firsts, default=None)),
        "last_seen": iso(max(lasts, default=None)),
        "consumers": dict(sorted(consumers.items())),
    }


def _incidental(part: dict[str, Any], evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    """Mark an added part `x-stability: incidental`, its evidence (new or its own) last."""
    own = part.pop("x-drift-evidence", None)
    part.update(INCIDENTAL)
    if evidence is not None or own is not None:
        part["x-drift-evidence"] = evidence if evidence is not None else own
    return part


def _status_key(raw: str) -> str:
    upper = raw.upper()
    return "default" if upper == "DEFAULT" else upper


@dataclass(slots=True)
class _Field:
    """One property (or `*` for map values) to add to one declared schema."""

    container: MappingNode
    key: str
    shape: Shape = field(default_factory=Shape)
    present: int = 0
    objects: int = 0
    findings: list[Finding] = field(default_factory=list)


class _Updater:
    def __init__(
        self, doc: TextDocument, contract: Contract, rules: SchemaRules, policy: Policy
    ) -> None:
        self.doc = doc
        self.contract = contract
        self.rules = rules
        self.policy = policy
        self.declared = {(op.method, op.path): op for op in contract.operations}
        self.entries: dict[int, list[Entry]] = {}  # id(operation) -> its observations
        self.undeclared: dict[ObservationKey, Observation] = {}
        self.added: list[str] = []
        self.skipped: list[str] = []

    def lookup(self, method: str, path: str) -> Operation | None:
        op = self.declared.get((method, path))
        if op is None and method == "HEAD":
            op = self.declared.get(("GET", path))
        return op

    def index(self, observations: Mapping[ObservationKey, Observation]) -> None:
        for key, obs in sorted(observations.items()):
            op = self.lookup(key.method, key.path) if key.declared else None
            if op is None:
                self.undeclared[key] = obs
            else:
                self.entries.setdefault(id(op), []).append((key, obs))

    def _op_node(self, op: Operation) -> Node | None:
        return self.doc.deref(self.doc.at(op.pointer))

    def _note(self, ok: bool, what: str) -> None:
        (self.added if ok else self.skipped).append(what)

    # -- undeclared operations ---------------------------------------------------------------

    def operations(self) -> None:
        if not self.undeclared:
            return
        doc = self.doc
        ops, path_params = group_operations(
            self.undeclared, {op.path for op in self.contract.operations}
        )
        taken = {op.operation_id for op in self.contract.operations if op.operation_id}
        paths = doc.deref(doc.get(doc.root, "paths"))
        new_items: dict[str, dict[str, Any]] = {}
        for path in sorted({p for p, _ in ops}):
            item = doc.deref(doc.get(paths, path))
            for method in METHODS:
                entries = ops.get((path, method))
                if entries is None:
                    continue
                what = f"{method.upper()} {path}"
                needed: list[dict[str, Any]] = []
                if item is not None:
                    covered = self._path_level_names(item)
                    needed = [p for p in path_params[path] if p["name"] not in covered]
                op = build_operation(
                    entries, self.rules, self.policy, operation_id(method, path, taken), needed
                )
                _incidental(op)
                if item is None:
                    fresh = new_items.setdefault(path, {})
                    if path_params[path] and not fresh:
                        fresh["parameters"] = path_params[path]
                    fresh[method] = op
                    continue
                ok = doc.get(item, method) is None and doc.add_member(item, method, op)
                self._note(ok, what)
        for path, fresh in new_items.items():
            ok = doc.add_member(paths, path, fresh)
            for method in METHODS:
                if method in fresh:
                    self._note(ok, f"{method.upper()} {path}")

    def _path_level_names(self, item: Node) -> set[str]:
        doc = self.doc
        names: set[str] = set()
        params = doc.deref(doc.get(item, "parameters"))
        for param in params.value if isinstance(params, SequenceNode) else []:
            param = doc.deref(param)
            if doc.scalar(doc.get(param, "in")) == "path":
                names.add(doc.scalar(doc.get(param, "name")) or "")
        return names

    # -- findings on declared operations -------------------------------------------------------

    def findings(self, findings: list[Finding]) -> None:
        statuses: dict[int, dict[str, list[Finding]]] = {}
        media: dict[int, dict[str, list[Finding]]] = {}
        params: dict[int, dict[tuple[str, str], list[Finding]]] = {}
        fields: dict[tuple[int, str, str | None, str], list[Finding]] = {}
        ops: dict[int, Operation] = {}
        for f in findings:
            op = self.lookup(f.operation.method, f.operation.path) if f.operation.declared else None
            if op is None:
                continue
            ops[id(op)] = op
            if f.kind == "response.status.undocumented" and f.status is not None:
                statuses.setdefault(id(op), {}).setdefault(f.status, []).append(f)
            elif f.kind == "response.content-type.undocumented" and f.status is not None:
                media.setdefault(id(op), {}).setdefault(f.status, []).append(f)
            elif f.kind == "request.parameter.undocumented":
                location = f.location.partition(".")[2]
                name = str(f.extra.get("parameter") or split(f.pointer)[-1])
                params.setdefault(id(op), {}).setdefault((location, name), []).append(f)
            elif f.kind in _FIELD_KINDS and f.pointer:
                direction = f.kind.partition(".")[0]
                key = (id(op), direction, f.status, f.pointer)
                fields.setdefault(key, []).append(f)
        for op_id, by_status in statuses.items():
            self._responses(ops[op_id], by_status)
        for op_id, by_status in media.items():
            self._media(ops[op_id], by_status)
        for op_id, wanted in params.items():
            self._parameters(ops[op_id], wanted)
        self._fields(fields, ops)

    def _with_status(self, op: Operation, statuses: Iterable[str]) -> list[Entry]:
        wanted = set(statuses)
        return [(k, o) for k, o in self.entries.get(id(op), []) if str(k.status) in wanted]

    def _responses(self, op: Operation, by_status: dict[str, list[Finding]]) -> None:
        doc = self.doc
        node = doc.deref(doc.get(self._op_node(op), "responses"))
        built = responses(self._with_status(op, by_status), self.rules)
        for key, response in built.items():
            found = [f for s, fs in by_status.items() if response_key(int(s)) == key for f in fs]
            _incidental(response, _evidence(found))
            ok = doc.add_member(node, key, response)
            self._note(ok, f"{op.method} {op.path}: response {key}")

    def _response_node(self, op: Operation, response: Response) -> Node | None:
        doc = self.doc
        node = doc.deref(doc.get(self._op_node(op), "responses"))
        for key, value in doc.items(node):
            if _status_key(key) == response.status:
                return doc.deref(value)
        return None

    def _media(self, op: Operation, by_status: dict[str, list[Finding]]) -> None:
        doc = self.doc
        targets: dict[str, tuple[Response, dict[str, list[Finding]]]] = {}
        for status, found in sorted(by_status.items()):
            response = op.response_for(int(status))
            if response is None:
                continue
            per_media = targets.setdefault(response.status, (response, {}))[1]
            for f in found:
                for media_type in f.observed or {}:
                    per_media.setdefault(str(media_type), []).append(f)
        for key, (response, per_media) in sorted(targets.items()):
            statuses = {f.status or "" for fs in per_media.values() for f in fs}
            stats = merged(o for _, o in self._with_status(op, statuses)).response
            entries: dict[str, Any] = {}
            for media_type, found in sorted(per_media.items()):
                entry = self._media_entry(stats, media_type)
                entries[media_type] = _incidental(entry, _evidence(found))
            node = self._response_node(op, response)
            content = doc.deref(doc.get(node, "content"))
            what = f"{op.method} {op.path}: response {key} media type"
            if isinstance(content, MappingNode):
                for media_type, entry in entries.items():
                    self._note(doc.add_member(content, media_type, entry), f"{what} {media_type}")
            else:
                ok = doc.get(node, "content") is None and doc.add_member(node, "content", entries)
                for media_type in entries:
                    self._note(ok, f"{what} {media_type}")

    def _media_entry(self, stats: MessageStats, media_type: str) -> dict[str, Any]:
        body = stats.bodies.get(media_type)
        entry: dict[str, Any] = {}
        if body is not None and body.root.count:
            entry["schema"] = node_schema(body.root, self.rules)
        return entry

    def _parameters(self, op: Operation, wanted: dict[tuple[str, str], list[Finding]]) -> None:
        doc = self.doc
        declared = {
            (p.location, p.name.lower() if p.location == "header" else p.name)
            for p in op.parameters
        }
        stats = merged(o for _, o in self.entries.get(id(op), [])).request
        new: list[dict[str, Any]] = []
        for plan in parameters(stats, self.policy):
            location, name = plan.parameter["in"], plan.parameter["name"]
            found = [f for n in sorted(plan.names) for f in wanted.get((location, n), [])]
            if not found:
                continue
            what = f"{op.method} {op.path}: {location} parameter {name!r}"
            if (location, name) in declared:
                self._note(False, what + " (declared with another shape)")
                continue
            new.append(_incidental(dict(plan.parameter), _evidence(found)))
        if not new:
            return
        node = self._op_node(op)
        existing = doc.deref(doc.get(node, "parameters"))
        whats = [f"{op.method} {op.path}: {p['in']} parameter {p['name']!r}" for p in new]
        if isinstance(existing, SequenceNode):
            for param, what in zip(new, whats, strict=True):
                self._note(doc.append_item(existing, param), what)
        else:
            ok = doc.get(node, "parameters") is None and doc.add_member(node, "parameters", new)
            for what in whats:
                self._note(ok, what)

    # -- body properties -------------------------------------------------------------------

    def _fields(
        self,
        groups: dict[tuple[int, str, str | None, str], list[Finding]],
        ops: dict[int, Operation],
    ) -> None:
        slots: dict[tuple[int, str], _Field] = {}
        for (op_id, direction, status, pointer), found in groups.items():
            op = ops[op_id]
            segments = split(pointer)
            where = f"{op.method} {op.path}: {direction} body {pointer}"
            placed = False
            for schema, shape in self._bodies(op, direction, status):
                reached = descend(self.doc, schema, shape, segments[:-1])
                if reached is None:
                    continue
                container, parent = reached
                key = segments[-1]
                child = parent.extra if key == WILDCARD else parent.props.get(key)
                if child is None:
                    continue
                slot = slots.get((id(container), key))
                if slot is None:
                    slot = slots[(id(container), key)] = _Field(container, key)
                slot.shape = slot.shape.merge(child)
                slot.present += child.count
                slot.objects += parent.objects
                slot.findings.extend(f for f in found if f not in slot.findings)
                placed = True
            if not placed:
                self._note(False, where)
        by_container: dict[int, list[_Field]] = {}
        for slot in slots.values():
            by_container.setdefault(id(slot.container), []).append(slot)
        for group in by_container.values():
            self._write_fields(group)

    def _bodies(
        self, op: Operation, direction: str, status: str | None
    ) -> list[tuple[Node | None, Shape]]:
        """(declared schema node, observed shape) per observed media type of the message."""
        doc = self.doc
        out: list[tuple[Node | None, Shape]] = []
        if direction == "response":
            response = op.response_for(int(status or 0))
            if response is None:
                return out
            stats = merged(o for _, o in self._with_status(op, [status or ""])).response
            declared, node = response.content, self._response_node(op, response)
        else:
            if op.request_body is None:
                return out
            stats = merged(o for _, o in self.entries.get(id(op), [])).request
            declared = op.request_body.content
            node = doc.deref(doc.get(self._op_node(op), "requestBody"))
        content = doc.deref(doc.get(node, "content"))
        for media_type, body in sorted(stats.bodies.items()):
            match = match_media(media_type, declared)
            if match is None or match.schema is None:
                continue
            for key, value in doc.items(content):
                if normalise_media_type(key) == match.media_type:
                    out.append((doc.get(doc.deref(value), "schema"), body.root))
                    break
        return out

    def _write_fields(self, group: list[_Field]) -> None:
        doc = self.doc
        container = group[0].container
        properties: dict[str, Any] = {}
        for slot in sorted(group, key=lambda s: s.key):
            schema = node_schema(slot.shape, self.rules)
            if slot.present < slot.objects:
                schema["x-drift-presence"] = presence(slot.present, slot.objects)
            _incidental(schema, _evidence(slot.findings))
            first = slot.findings[0]
            what = (
                f"{first.operation.method} {first.operation.path}: {first.location} {first.pointer}"
            )
            if slot.key == WILDCARD:
                ok = doc.get(container, "additionalProperties") is None and doc.add_member(
                    container, "additionalProperties", schema
                )
                self._note(ok, what)
            else:
                properties[slot.key] = (schema, what)
        if not properties:
            return
        existing = doc.get(container, "properties")
        if isinstance(existing, MappingNode):
            for key, (schema, what) in properties.items():
                self._note(doc.add_member(existing, key, schema), what)
            return
        ok = existing is None and doc.add_member(
            container, "properties", {k: s for k, (s, _) in properties.items()}
        )
        for _, what in properties.values():
            self._note(ok, what)
