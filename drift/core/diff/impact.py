"""`impact(changes, observations, old)`: which observed consumers each change would hit.

Observations are matched to the *old* contract's operations by method and template shape (the
observed template is the old contract's when traffic was captured with it; inferred templates
such as `/orders/{id}` match too). Then one small rule per change family says which calls are
exposed and how often the consumer used what changed:

- operation changes: every call;
- response changes: calls answered with that status (`2XX` / `default` resolved as the old
  contract does), and for body changes how often the field was present in what they received;
- request parameters: how often the consumer sent the parameter — or, for a parameter that
  became required, how often it did *not*;
- request bodies: how often the field was sent (for a type narrowed, values of the types no
  longer accepted; for an enum value removed, the removed values when the small enum is known)
  — or, for a property that became required, objects sent without it.

Only changes with such a rule get an impact (breaking and deprecation changes, and removed
request parameters / properties so their remaining senders show); a consumer is listed when it
used what changed at least once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from drift.core.compare.media import match_media
from drift.core.contract.model import Content, Contract, Operation
from drift.core.contract.schema import type_allows
from drift.core.diff.change import Change
from drift.core.diff.engine import operations_by_shape
from drift.core.diff.paths import template_shape
from drift.core.diff.schemas import enum_key
from drift.core.exchange import BodyState
from drift.core.observation import BodyStats, Observation, ObservationKey
from drift.core.pointer import join, split
from drift.core.shape import WILDCARD, Node

__all__ = ["CALLS_IT", "UNIDENTIFIED", "ChangeImpact", "ConsumerHit", "impact"]

UNIDENTIFIED = "(unidentified)"  # as compare names calls without a consumer identity
CALLS_IT = "calls it"


@dataclass(frozen=True, slots=True)
class ConsumerHit:
    consumer: str  # UNIDENTIFIED when calls carried no consumer identity
    calls: int  # its calls to the operation (at the affected status, for response changes)
    uses: int  # how often those calls used what changed (see ChangeImpact.usage)
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class ChangeImpact:
    change_id: str
    usage: str  # what the listed consumers do that the change affects: "reads `/total`"
    consumers: tuple[ConsumerHit, ...]  # most uses first

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.consumers)


# (change, old operation, observation key, observation) -> (calls, uses), None = not exposed
_Rule = Callable[[Change, Operation, ObservationKey, Observation], tuple[int, int] | None]

_OPERATION = {
    "operation.removed",
    "operation.deprecated",
    "operation.sunset-added",
    "operation.sunset-changed",
}
_RESPONSE_BODY = {
    "response.property.removed",
    "response.property.became-optional",
    "response.property.deprecated",
    "response.type.widened",
    "response.nullable.added",
    "response.enum.value-added",
    "response.format.widened",
}
_OMITTED = {"request.parameter.required-added", "request.parameter.became-required"}
_REQUEST_SCHEMA = {
    "request.property.removed",
    "request.property.rejected",
    "request.property.deprecated",
    "request.property.required-added",
    "request.property.became-required",
    "request.type.narrowed",
    "request.nullable.removed",
    "request.enum.value-removed",
    "request.format.narrowed",
}
_SENT_PARAMETER = {"request.parameter.removed", "request.parameter.deprecated"}


def _code(pointer: str) -> str:
    return f"`{pointer}`" if pointer else "the body"


def _name(change: Change) -> str:
    segments = split(change.pointer)
    return segments[0] if segments else ""


# -- navigation -------------------------------------------------------------------------------


def _node_at(root: Node, pointer: str) -> Node | None:
    node: Node | None = root
    for segment in split(pointer):
        if node is None:
            return None
        if segment == WILDCARD:
            node = node.items if node.items is not None else node.extra
        else:
            node = node.props.get(segment)
    return node


def _response_status(op: Operation, status: int) -> str | None:
    response = op.response_for(status)
    return response.status if response is not None else None


def _bodies(
    bodies: Mapping[str, BodyStats], declared: Iterable[Content], media_type: str | None
) -> list[Node]:
    """Observed body shapes whose media type the old contract files under `media_type`."""
    declared = tuple(declared)
    out = []
    for media, stats in bodies.items():
        content = match_media(media, declared)
        if content is not None and content.media_type == media_type:
            out.append(stats.root)
    return out


def _media_count(counts: Mapping[str, int], declared: Iterable[Content], media: str | None) -> int:
    declared = tuple(declared)
    total = 0
    for observed, n in counts.items():
        content = match_media(observed, declared) if observed else None
        if content is not None and content.media_type == media:
            total += n
    return total


def _sent(obs: Observation, location: str, name: str) -> int:
    if location == "header":
        name = name.lower()
    params = obs.request.params.get(location, {})
    return sum(
        n
        for sent, n in params.items()
        if sent in (name, name + "[]") or sent.startswith(name + "[")
    )


# -- rules ------------------------------------------------------------------------------------


def _every_call(
    _c: Change, _op: Operation, _k: ObservationKey, obs: Observation
) -> tuple[int, int]:
    return obs.count, obs.count


def _status_calls(
    change: Change, op: Operation, key: ObservationKey, obs: Observation
) -> tuple[int, int] | None:
    if _response_status(op, key.status) != change.status:
        return None
    return obs.count, obs.count


def _response_media(
    change: Change, op: Operation, key: ObservationKey, obs: Observation
) -> tuple[int, int] | None:
    response = op.response_for(key.status)
    if response is None or response.status != change.status:
        return None
    return obs.count, _media_count(obs.response.media, response.content, change.media_type)


def _response_body(
    change: Change, op: Operation, key: ObservationKey, obs: Observation
) -> tuple[int, int] | None:
    response = op.response_for(key.status)
    if response is None or response.status != change.status:
        return None
    uses = 0
    for root in _bodies(obs.response.bodies, response.content, change.media_type):
        node = _node_at(root, change.pointer)
        uses += node.count if node is not None else 0
    return obs.count, uses


def _parameter(
    change: Change, _op: Operation, _k: ObservationKey, obs: Observation
) -> tuple[int, int]:
    location = change.location.removeprefix("request.")
    if location == "path":
        return obs.count, obs.count  # every call carries its path variables
    sent = _sent(obs, location, _name(change))
    return obs.count, (obs.count - sent if change.kind in _OMITTED else sent)


def _body_required(
    _c: Change, _op: Operation, _k: ObservationKey, obs: Observation
) -> tuple[int, int]:
    return obs.count, obs.request.states.get(BodyState.EMPTY, 0)


def _request_media(
    change: Change, op: Operation, _k: ObservationKey, obs: Observation
) -> tuple[int, int]:
    declared = op.request_body.content if op.request_body is not None else ()
    return obs.count, _media_count(obs.request.media, declared, change.media_type)


def _enum_uses(change: Change, node: Node) -> int:
    present = node.count - node.types.get("null", 0)
    if node.values is None:
        return present  # values not kept: everyone who sent the field is exposed
    allowed = {enum_key(v) for v in change.new or ()}
    used = 0
    for token, n in node.values.items():
        kind, _, raw = token.partition(":")
        value: object = raw
        if kind == "i":
            value = int(raw)
        elif kind == "b":
            value = raw == "true"
        if enum_key(value) not in allowed:
            used += n
    return used


def _request_node_uses(change: Change, root: Node) -> int:
    if change.kind in ("request.property.required-added", "request.property.became-required"):
        segments = split(change.pointer)
        parent = _node_at(root, join("", *segments[:-1]))
        if parent is None or not segments:
            return 0
        return parent.objects - parent.present(segments[-1])
    node = _node_at(root, change.pointer)
    if node is None:
        return 0
    if change.kind == "request.type.narrowed":
        accepted = frozenset(change.new) if change.new is not None else None
        return sum(n for t, n in node.types.items() if t != "null" and not type_allows(accepted, t))
    if change.kind == "request.nullable.removed":
        return node.types.get("null", 0)
    if change.kind == "request.enum.value-removed":
        return _enum_uses(change, node)
    return node.count


def _request_schema(
    change: Change, op: Operation, key: ObservationKey, obs: Observation
) -> tuple[int, int]:
    if change.location != "request.body":
        return _parameter(change, op, key, obs)
    declared = op.request_body.content if op.request_body is not None else ()
    uses = sum(
        _request_node_uses(change, root)
        for root in _bodies(obs.request.bodies, declared, change.media_type)
    )
    return obs.count, uses


def _rule(change: Change) -> tuple[_Rule, str] | None:
    """The exposure rule for a change and the phrase for what its consumers do."""
    kind, pointer = change.kind, change.pointer
    if kind in _OPERATION:
        return _every_call, CALLS_IT
    if kind == "response.status.removed":
        return _status_calls, f"receives {change.status}"
    if kind == "response.media-type.removed":
        return _response_media, f"receives {change.media_type}"
    if kind in _RESPONSE_BODY:
        return _response_body, f"reads {_code(pointer)}"
    if kind in _OMITTED:
        return _parameter, f"does not send `{_name(change)}`"
    if kind in _SENT_PARAMETER:
        return _parameter, f"sends `{_name(change)}`"
    if kind == "request.body.became-required":
        return _body_required, "sends no body"
    if kind == "request.media-type.removed":
        return _request_media, f"sends {change.media_type}"
    if kind in _REQUEST_SCHEMA:
        if change.location != "request.body":
            if change.location == "request.path":
                return _request_schema, CALLS_IT
            return _request_schema, f"sends `{_name(change)}`"
        if kind in ("request.property.required-added", "request.property.became-required"):
            return _request_schema, f"omits {_code(pointer)}"
        return _request_schema, f"sends {_code(pointer)}"
    return None


@dataclass(slots=True)
class _Tally:
    calls: int = 0
    uses: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, calls: int, uses: int, obs: Observation) -> None:
        self.calls += calls
        self.uses += uses
        if obs.first_seen is not None and (self.first is None or obs.first_seen < self.first):
            self.first = obs.first_seen
        if obs.last_seen is not None and (self.last is None or obs.last_seen > self.last):
            self.last = obs.last_seen


def impact(
    changes: Iterable[Change],
    observations: Mapping[ObservationKey, Observation],
    old: Contract,
) -> list[ChangeImpact]:
    """Consumers exposed to each change that has an exposure rule, in the order given."""
    operations = operations_by_shape(old)
    by_operation: dict[tuple[str, str], list[tuple[ObservationKey, Observation]]] = {}
    for key, obs in sorted(observations.items(), key=lambda item: item[0]):
        shape = (key.method.upper(), template_shape(key.path))
        by_operation.setdefault(shape, []).append((key, obs))
    out: list[ChangeImpact] = []
    for change in changes:
        found = _rule(change)
        shape = (change.method.upper(), template_shape(change.path))
        op = operations.get(shape)
        if found is None or op is None:
            continue
        rule, usage = found
        tallies: dict[str, _Tally] = {}
        for key, obs in by_operation.get(shape, []):
            exposed = rule(change, op, key, obs)
            if exposed is not None:
                tallies.setdefault(key.consumer or UNIDENTIFIED, _Tally()).add(*exposed, obs)
        hits = [
            ConsumerHit(name, t.calls, t.uses, t.first, t.last)
            for name, t in tallies.items()
            if t.uses > 0
        ]
        hits.sort(key=lambda h: (-h.uses, -h.calls, h.consumer))
        out.append(ChangeImpact(change.id, usage, tuple(hits)))
    return out
