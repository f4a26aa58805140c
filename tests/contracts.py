"""Test helpers: build contracts from inline YAML and run exchanges through observe + compare.

Everything stays in memory: documents are parsed with `yaml.safe_load` and handed to
`build_contract` as `{uri: document}`, exchanges go through a real `Observer`, and `compare` gets
an explicit `now`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from drift.core.compare import Policy, compare
from drift.core.contract.model import Contract
from drift.core.contract.openapi import build_contract
from drift.core.exchange import Body, BodyState, Exchange
from drift.core.findings import Finding
from drift.core.observation import Observation, ObservationKey
from drift.core.observe import Observer

__all__ = [
    "NOW",
    "NO_BODY",
    "T0",
    "Facts",
    "at",
    "contract_of",
    "exchange",
    "facts",
    "find",
    "observe",
    "only",
    "run",
]

ROOT_URI = "mem:/c.yaml"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # first exchange of a test
NOW = datetime(2024, 6, 1, tzinfo=UTC)  # the comparison time


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()  # "no body bytes" (distinct from a JSON `null` body)


def at(minutes: int) -> datetime:
    """A timestamp `minutes` after T0."""
    return T0 + timedelta(minutes=minutes)


def contract_of(spec: str | dict[str, Any], service: str = "svc") -> Contract:
    document = yaml.safe_load(spec) if isinstance(spec, str) else spec
    return build_contract({ROOT_URI: document}, ROOT_URI, source="c.yaml", service=service)


def _body(value: Any, media_type: str | None) -> Body:
    if value is NO_BODY:
        return Body(None, BodyState.EMPTY)
    return Body(media_type, BodyState.JSON, value)


def exchange(
    method: str,
    path: str,
    status: int = 200,
    response: Any = NO_BODY,
    request: Any = NO_BODY,
    *,
    query: Iterable[str] = (),
    headers: Iterable[str] = (),
    cookies: Iterable[str] = (),
    consumer: str | None = None,
    when: datetime | None = T0,
    response_type: str | None = "application/json",
    request_type: str | None = "application/json",
) -> Exchange:
    """One exchange; `response` / `request` are decoded JSON values (NO_BODY = empty body)."""
    return Exchange(
        method=method,
        path=path,
        status=status,
        request=_body(request, request_type),
        response=_body(response, response_type),
        query=tuple(query),
        request_headers=tuple(headers),
        cookies=tuple(cookies),
        consumer=consumer,
        timestamp=when,
    )


def observe(contract: Contract, exchanges: Iterable[Exchange]) -> dict[ObservationKey, Observation]:
    observer = Observer(contract)
    for ex in exchanges:
        observer.add(ex)
    return observer.snapshot()


def run(
    spec: str | dict[str, Any] | Contract,
    exchanges: Iterable[Exchange],
    policy: Policy | None = None,
    now: datetime = NOW,
) -> list[Finding]:
    """Findings for `exchanges` against `spec` (inline YAML, a parsed document or a Contract)."""
    contract = spec if isinstance(spec, Contract) else contract_of(spec)
    return compare(contract, observe(contract, exchanges), policy or Policy(), now=now)


def find(findings: Iterable[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def only(findings: Iterable[Finding], kind: str) -> Finding:
    """The single finding of `kind`; fails with the full list when there is not exactly one."""
    findings = list(findings)
    matching = find(findings, kind)
    assert 1 == len(matching), f"expected one {kind}, got {matching or findings}"
    return matching[0]


@dataclass(frozen=True, slots=True)
class Facts:
    """What a finding is about and how often: the fields rule tests pin down exactly."""

    kind: str
    method: str
    path: str
    status: str | None
    location: str
    pointer: str
    consumer: str | None
    count: int
    total: int


def facts(finding: Finding) -> Facts:
    return Facts(
        finding.kind,
        finding.operation.method,
        finding.operation.path,
        finding.status,
        finding.location,
        finding.pointer,
        finding.consumer,
        finding.evidence.count,
        finding.evidence.total,
    )
