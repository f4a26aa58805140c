"""`Finding`: one disagreement between contract and traffic, with its evidence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drift.core.kinds import KINDS, Severity

__all__ = ["ConsumerCount", "Evidence", "Finding", "OperationRef", "fingerprint"]


@dataclass(frozen=True, slots=True, order=True)
class OperationRef:
    method: str
    path: str  # declared template, or inferred template for undeclared operations
    declared: bool = True


@dataclass(frozen=True, slots=True)
class ConsumerCount:
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Evidence:
    count: int  # occurrences that show the drift
    total: int  # occurrences where it could have shown
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    consumers: tuple[ConsumerCount, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    severity: Severity
    service: str
    operation: OperationRef
    location: str  # request.query, request.header, request.cookie, request.body, response.body, response.status, …
    pointer: str  # RFC 6901 pointer into the body ('' for the whole body); '*' = every array item
    message: str
    evidence: Evidence
    status: str | None = None  # response status ('404', '2XX') for response kinds
    consumer: str | None = None
    owner: str | None = None
    declared: Any = None
    observed: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return fingerprint(
            self.kind,
            self.service,
            self.operation.method,
            self.operation.path,
            self.location,
            self.status or "",
            self.pointer,
            self.consumer or "",
        )

    @property
    def advice(self) -> str:
        return KINDS[self.kind].advice


def fingerprint(*parts: str) -> str:
    """A short, stable id: the same drift gets the same id across runs, hosts and versions."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]
