"""`Observation`: what one (service, operation, consumer, status) exchanged, as mergeable stats.

Request and response sides are kept in one record; each side has its media types, body states,
per-media-type body shapes (a genson schema plus `Node` statistics), a histogram of body sizes
and, for requests, parameter names with the number of requests that carried them. The record
also keeps a latency histogram and request counts per epoch minute (for peak rates). No raw
values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from genson import SchemaBuilder
from genson.schema.strategies import Object

from drift.core.shape import MAX_DEPTH, MAX_KEYS, Node, is_name_key
from drift.core.timing import Histogram

__all__ = ["BodyStats", "MessageStats", "Observation", "ObservationKey", "merge_all"]

UNKNOWN_CONSUMER = ""


@dataclass(frozen=True, slots=True, order=True)
class ObservationKey:
    service: str
    method: str
    path: str  # declared template, or inferred template for undeclared paths
    declared: bool  # whether `path` + `method` is a declared operation
    consumer: str  # "" when the consumer is not identified
    status: int


class _Object(Object):  # type: ignore[misc]
    """genson's object strategy, made sound to merge and safe to store.

    `required: []` is always written (genson drops it, and a later merge would then read "no
    information" and resurrect required keys); keys that look like data (ids, emails) and
    names past MAX_KEYS are left out (the shape stats keep them under `*`), so no value
    reaches the schema and the schema stays bounded.
    """

    def __init__(self, node_class: Any) -> None:
        super().__init__(node_class)
        self._include_empty_required = True

    def add_object(self, obj: dict[str, Any]) -> None:
        known = self._properties
        if all(k in known or (is_name_key(k) and len(known) < MAX_KEYS) for k in obj):
            super().add_object(obj)
            return
        safe: dict[str, Any] = {}
        for key, value in obj.items():
            if key in known or (is_name_key(key) and len(known) + len(safe) < MAX_KEYS):
                safe[key] = value
        super().add_object(safe)  # other keys stay out: JSON Schema lets unlisted keys through


class _Builder(SchemaBuilder):  # type: ignore[misc]
    EXTRA_STRATEGIES = (_Object,)


def _pruned(value: Any, depth: int = 0) -> Any:
    """A copy cut at MAX_DEPTH (genson recurses without a limit)."""
    if isinstance(value, dict):
        return {} if depth >= MAX_DEPTH else {k: _pruned(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [] if depth >= MAX_DEPTH else [_pruned(v, depth + 1) for v in value]
    return value


class BodyStats:
    """Shape of the JSON bodies of one media type: a genson schema plus per-pointer stats."""

    __slots__ = ("_builder", "root")

    def __init__(self) -> None:
        self.root = Node()
        self._builder = _Builder(schema_uri=None)

    @property
    def samples(self) -> int:
        return self.root.count

    def add(self, value: Any) -> None:
        truncated = self.root.add(value)
        self._builder.add_object(_pruned(value) if truncated else value)

    def schema(self) -> dict[str, Any]:
        return _canonical(self._builder.to_schema())  # type: ignore[no-any-return]

    def merge(self, other: BodyStats) -> BodyStats:
        out = BodyStats()
        out.root = self.root.merge(other.root)
        out._builder.add_schema(self.schema())
        out._builder.add_schema(other.schema())
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"shape": self.root.to_dict(), "schema": self.schema()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BodyStats:
        out = cls()
        out.root = Node.from_dict(data["shape"])
        out._builder.add_schema(data["schema"])
        return out


def _canonical(schema: Any) -> Any:
    """Order-independent form of a genson schema (type lists and anyOf sorted)."""
    if isinstance(schema, dict):
        out = {k: _canonical(v) for k, v in schema.items()}
        if isinstance(out.get("type"), list):
            out["type"] = sorted(out["type"])
        if isinstance(out.get("required"), list):
            out["required"] = sorted(out["required"])
        if isinstance(out.get("anyOf"), list):
            out["anyOf"] = sorted(out["anyOf"], key=repr)
        return out
    if isinstance(schema, list):
        return [_canonical(v) for v in schema]
    return schema


def _add_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


@dataclass(slots=True)
class MessageStats:
    count: int = 0
    media: dict[str, int] = field(default_factory=dict)  # media type ("" = none) -> messages
    states: dict[str, int] = field(default_factory=dict)  # BodyState -> messages
    bodies: dict[str, BodyStats] = field(default_factory=dict)  # JSON media type -> shapes
    params: dict[str, dict[str, int]] = field(default_factory=dict)  # location -> name -> messages
    with_body: dict[str, int] = field(default_factory=dict)  # media type -> messages with bytes
    sizes: Histogram = field(default_factory=Histogram)  # body bytes (0 for empty bodies)

    def merge(self, other: MessageStats) -> MessageStats:
        # `BodyStats.merge` builds a new object; one-sided entries are copied the same way so
        # the result never shares mutable state with either side.
        empty = BodyStats()
        bodies = {
            mt: self.bodies.get(mt, empty).merge(other.bodies.get(mt, empty))
            for mt in dict.fromkeys([*self.bodies, *other.bodies])
        }
        params = {loc: dict(names) for loc, names in self.params.items()}
        for loc, names in other.params.items():
            params[loc] = _add_counts(params.get(loc, {}), names)
        return MessageStats(
            count=self.count + other.count,
            media=_add_counts(self.media, other.media),
            states=_add_counts(self.states, other.states),
            bodies=bodies,
            params=params,
            with_body=_add_counts(self.with_body, other.with_body),
            sizes=self.sizes.merge(other.sizes),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "media": dict(sorted(self.media.items())),
            "states": dict(sorted(self.states.items())),
            "with_body": dict(sorted(self.with_body.items())),
            "params": {loc: dict(sorted(n.items())) for loc, n in sorted(self.params.items())},
            "bodies": {mt: b.to_dict() for mt, b in sorted(self.bodies.items())},
            "sizes": self.sizes.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MessageStats:
        return cls(
            count=int(data["count"]),
            media=dict(data.get("media", {})),
            states=dict(data.get("states", {})),
            with_body=dict(data.get("with_body", {})),
            params={loc: dict(n) for loc, n in data.get("params", {}).items()},
            bodies={mt: BodyStats.from_dict(b) for mt, b in data.get("bodies", {}).items()},
            sizes=Histogram.from_dict(data["sizes"]) if "sizes" in data else Histogram(),
        )


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass(slots=True)
class Observation:
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    request: MessageStats = field(default_factory=MessageStats)
    response: MessageStats = field(default_factory=MessageStats)
    latency: Histogram = field(default_factory=Histogram)  # response latency, milliseconds
    minutes: dict[int, int] = field(default_factory=dict)  # epoch minute -> requests

    def merge(self, other: Observation) -> Observation:
        minutes = dict(self.minutes)
        for minute, n in other.minutes.items():
            minutes[minute] = minutes.get(minute, 0) + n
        return Observation(
            count=self.count + other.count,
            first_seen=_min(self.first_seen, other.first_seen),
            last_seen=_max(self.last_seen, other.last_seen),
            request=self.request.merge(other.request),
            response=self.response.merge(other.response),
            latency=self.latency.merge(other.latency),
            minutes=minutes,
        )

    def seen(self, when: datetime | None) -> None:
        self.count += 1
        self.first_seen = _min(self.first_seen, when)
        self.last_seen = _max(self.last_seen, when)

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "request": self.request.to_dict(),
            "response": self.response.to_dict(),
            "latency": self.latency.to_dict(),
            "minutes": {str(m): n for m, n in sorted(self.minutes.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Observation:
        first, last = data.get("first_seen"), data.get("last_seen")
        return cls(
            count=int(data["count"]),
            first_seen=datetime.fromisoformat(first) if first else None,
            last_seen=datetime.fromisoformat(last) if last else None,
            request=MessageStats.from_dict(data["request"]),
            response=MessageStats.from_dict(data["response"]),
            latency=Histogram.from_dict(data["latency"]) if "latency" in data else Histogram(),
            minutes={int(m): int(n) for m, n in data.get("minutes", {}).items()},
        )


def merge_all(
    *groups: dict[ObservationKey, Observation],
) -> dict[ObservationKey, Observation]:
    out: dict[ObservationKey, Observation] = {}
    for group in groups:
        for key, obs in group.items():
            out[key] = out[key].merge(obs) if key in out else obs.merge(Observation())
    return out
