"""One OpenAPI operation from the observations routed to it: parameters, bodies, responses.

Request-side facts are judged over every request of the operation (all consumers, all
statuses), response-side facts per status across consumers, the way `compare` groups them, so
what is written here holds for each group `drift check` looks at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drift.core.compare.policy import Policy
from drift.core.exchange import BodyState
from drift.core.infer.schema import SchemaRules, node_schema
from drift.core.observation import MessageStats, Observation, ObservationKey
from drift.core.timing import Histogram

__all__ = [
    "INVALID_NAME",
    "Entry",
    "ParameterPlan",
    "build_operation",
    "content",
    "evidence",
    "iso",
    "merged",
    "parameters",
    "response_key",
    "responses",
]

Entry = tuple[ObservationKey, Observation]
INVALID_NAME = "(invalid name)"  # what `observe.py` records for names that look like values
UNIDENTIFIED = "(unidentified)"
_DEEP = re.compile(r"^([^\[\]]+)\[[^\]]*\]")  # filter[status], filter[a][b]
_LOCATIONS = ("query", "header", "cookie")
_STRING: dict[str, Any] = {"type": "string"}


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def merged(observations: Iterable[Observation]) -> Observation:
    out = Observation()
    for obs in observations:
        out = out.merge(obs)
    return out


def _sig(value: float) -> float:
    return float(f"{value:.4g}")


def evidence(entries: Sequence[Entry]) -> dict[str, Any]:
    """`x-drift-evidence` of an operation: calls, first/last seen, consumers, latency."""
    consumers: dict[str, int] = {}
    latency = Histogram()
    firsts = [o.first_seen for _, o in entries if o.first_seen is not None]
    lasts = [o.last_seen for _, o in entries if o.last_seen is not None]
    for key, obs in entries:
        name = key.consumer or UNIDENTIFIED
        consumers[name] = consumers.get(name, 0) + obs.count
        latency = latency.merge(obs.latency)
    out: dict[str, Any] = {
        "count": sum(o.count for _, o in entries),
        "first_seen": iso(min(firsts, default=None)),
        "last_seen": iso(max(lasts, default=None)),
        "consumers": dict(sorted(consumers.items())),
    }
    if latency.count:
        out["latency_ms"] = {
            name: _sig(value)
            for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            if (value := latency.quantile(q)) is not None
        }
    return out


# -- parameters ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParameterPlan:
    """A parameter object and the observed names it covers (`ids` covers `ids` and `ids[]`)."""

    parameter: dict[str, Any]
    names: frozenset[str]


def _parameter(
    name: str, location: str, required: bool, schema: dict[str, Any], count: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": location}
    if required:
        out["required"] = True
    out["schema"] = schema
    out["x-drift-evidence"] = {"count": count}
    return out


def _query(seen: Mapping[str, int], total: int) -> list[ParameterPlan]:
    groups: dict[str, dict[str, int]] = {}
    for name in seen:
        if name == INVALID_NAME:
            continue
        deep = _DEEP.match(name)
        base = name[:-2] if name.endswith("[]") else deep.group(1) if deep else name
        groups.setdefault(base, {})[name] = seen[name]
    out: list[ParameterPlan] = []
    for base, names in sorted(groups.items()):
        required = max(names.values()) >= total
        count = sum(names.values())
        if any(n != base and not n.endswith("[]") for n in names):  # deepObject: base[key]
            param = _parameter(base, "query", required, {"type": "object"}, count)
            param["style"], param["explode"] = "deepObject", True
        elif any(n.endswith("[]") for n in names):
            schema = {"type": "array", "items": dict(_STRING)}
            param = _parameter(base, "query", required, schema, count)
        else:
            param = _parameter(base, "query", required, dict(_STRING), count)
        out.append(ParameterPlan(param, frozenset(names)))
    if INVALID_NAME in seen:  # names that look like values: any name is accepted
        taken = {p.parameter["name"] for p in out}
        name = "other"
        while name in taken:
            name += "_"
        param = _parameter(
            name,
            "query",
            False,
            {"type": "object", "additionalProperties": dict(_STRING)},
            seen[INVALID_NAME],
        )
        param["style"], param["explode"] = "form", True
        param["description"] = "Query parameters whose names look like values (ids, tokens)."
        out.append(ParameterPlan(param, frozenset({INVALID_NAME})))
    return out


def parameters(stats: MessageStats, policy: Policy) -> list[ParameterPlan]:
    """Query, header and cookie parameters of the requests summarised by `stats`."""
    total = stats.count
    out = _query(stats.params.get("query", {}), total)
    headers = stats.params.get("header", {})
    for name, count in sorted(headers.items()):
        if name != INVALID_NAME and not policy.header_ignored(name):
            param = _parameter(name, "header", count >= total, dict(_STRING), count)
            out.append(ParameterPlan(param, frozenset({name})))
    cookies = stats.params.get("cookie", {})
    if INVALID_NAME not in cookies:  # else declare none: undeclared cookies go unchecked
        for name, count in sorted(cookies.items()):
            param = _parameter(name, "cookie", count >= total, dict(_STRING), count)
            out.append(ParameterPlan(param, frozenset({name})))
    return out


# -- bodies and responses ----------------------------------------------------------------------


def content(stats: MessageStats, rules: SchemaRules) -> dict[str, Any]:
    """Media type objects for the bodies seen; a schema where JSON bodies were parsed."""
    shaped = {m: b for m, b in stats.bodies.items() if b.root.count}
    media = {m for m, n in stats.with_body.items() if m and n} | set(shaped)
    out: dict[str, Any] = {}
    for media_type in sorted(media):
        body = shaped.get(media_type)
        out[media_type] = {"schema": node_schema(body.root, rules)} if body is not None else {}
    return out


def request_body(stats: MessageStats, rules: SchemaRules) -> dict[str, Any] | None:
    media = content(stats, rules)
    if not media:
        return None
    out: dict[str, Any] = {"content": media}
    if stats.count and not stats.states.get(BodyState.EMPTY, 0):
        out["required"] = True
    return out


def response_key(status: int) -> str:
    """The responses key for a status; codes OpenAPI cannot name fall under `default`."""
    return str(status) if 100 <= status <= 599 else "default"


def responses(entries: Sequence[Entry], rules: SchemaRules) -> dict[str, Any]:
    by_code: dict[str, list[Observation]] = {}
    for key, obs in entries:
        by_code.setdefault(response_key(key.status), []).append(obs)
    out: dict[str, Any] = {}
    for code in sorted(by_code, key=lambda c: (c == "default", c)):
        total = merged(by_code[code])
        which = "responses with other status codes" if code == "default" else f"{code} responses"
        response: dict[str, Any] = {"description": f"Observed {which}."}
        media = content(total.response, rules)
        if media:
            response["content"] = media
        response["x-drift-evidence"] = {"count": total.count}
        out[code] = response
    return out


def build_operation(
    entries: Sequence[Entry],
    rules: SchemaRules,
    policy: Policy,
    operation_id: str,
    path_parameters: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The operation object for `entries` (all observations of one method + path)."""
    total = merged(o for _, o in entries)
    op: dict[str, Any] = {"operationId": operation_id}
    params = [*path_parameters, *(p.parameter for p in parameters(total.request, policy))]
    if params:
        op["parameters"] = params
    body = request_body(total.request, rules)
    if body is not None:
        op["requestBody"] = body
    op["responses"] = responses(entries, rules)
    op["x-drift-evidence"] = evidence(entries)
    return op
