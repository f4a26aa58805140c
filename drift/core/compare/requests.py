"""Request rules: parameters (query, header, cookie) and the request body."""

from __future__ import annotations

from drift.core.compare.body import BodyWalker
from drift.core.compare.issue import Issue
from drift.core.compare.media import match_media
from drift.core.compare.policy import Policy
from drift.core.contract.model import Operation
from drift.core.contract.schema import SchemaIndex
from drift.core.exchange import BodyState
from drift.core.observation import Observation
from drift.core.pointer import join

__all__ = ["request_issues"]


def _declared(op: Operation, location: str) -> tuple[set[str], list[str], bool]:
    """Declared names, deepObject prefixes, and whether any name is acceptable."""
    names: set[str] = set()
    prefixes: list[str] = []
    any_name = False
    for p in op.parameters:
        if p.location != location:
            continue
        names.add(p.name.lower() if location == "header" else p.name)
        if p.any_names and p.style == "deepObject":
            prefixes.append(p.name + "[")
        elif p.any_names:
            any_name = True
    names.update(n for loc, n in op.security_params if loc == location)
    return names, prefixes, any_name


def _base_name(name: str) -> str:
    return name[:-2] if name.endswith("[]") else name


def _parameters(op: Operation, obs: Observation, location: str, policy: Policy) -> list[Issue]:
    seen = obs.request.params.get(location, {})
    total = obs.request.count
    names, prefixes, any_name = _declared(op, location)
    out: list[Issue] = []
    check_unknown = location != "cookie" or any(p.location == "cookie" for p in op.parameters)
    for name, count in sorted(seen.items()):
        base = _base_name(name)
        if (
            not check_unknown
            or any_name
            or base in names
            or name in names
            or base.startswith(tuple(prefixes))
        ):
            continue
        if location == "header" and policy.header_ignored(name):
            continue
        out.append(
            Issue(
                "request.parameter.undocumented",
                f"request.{location}",
                join("", name),
                count,
                total,
                None,
                None,
                subject=name,
            )
        )
    for p in op.parameters:
        if p.location != location or not p.required:
            continue
        key = p.name.lower() if location == "header" else p.name
        present = sum(c for n, c in seen.items() if _base_name(n) == key or n.startswith(key + "["))
        if total - present > 0:
            out.append(
                Issue(
                    "request.parameter.missing-required",
                    f"request.{location}",
                    join("", p.name),
                    total - present,
                    total,
                    "required",
                    None,
                    subject=p.name,
                )
            )
    return out


def request_issues(
    op: Operation, obs: Observation, index: SchemaIndex, policy: Policy
) -> list[Issue]:
    out: list[Issue] = []
    for location in ("query", "header", "cookie"):
        out.extend(_parameters(op, obs, location, policy))
    body = op.request_body
    if body is None:
        return out
    empty = obs.request.states.get(BodyState.EMPTY, 0)
    if body.required and empty:
        out.append(
            Issue(
                "request.body.missing-required",
                "request.body",
                "",
                empty,
                obs.request.count,
                "required",
                None,
            )
        )
    walker = BodyWalker(index, "request")
    for media, shapes in sorted(obs.request.bodies.items()):
        content = match_media(media, body.content)
        if content is not None and content.schema is not None:
            out.extend(walker.walk(content.schema, shapes.root))
    return out
