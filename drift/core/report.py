"""`Report`: the document every renderer draws from (JSON Schema in drift/schemas/)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from drift.core.findings import Finding
from drift.core.kinds import Severity

__all__ = ["SCHEMA_VERSION", "Report", "Window", "build_report", "window_start"]

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    window: Window
    findings: tuple[Finding, ...]
    services: tuple[str, ...] = ()
    # Where the data came from: contract files, HAR files, store URL (credentials stripped).
    sources: dict[str, Any] = field(default_factory=dict)
    # Input statistics: exchanges read, skipped (and why), operations seen, …
    stats: dict[str, Any] = field(default_factory=dict)
    # Problems found while loading inputs that did not stop the run (contract warnings, …).
    warnings: tuple[str, ...] = ()
    schema_version: str = SCHEMA_VERSION

    @property
    def summary(self) -> dict[str, Any]:
        by_severity = Counter(f.severity.label for f in self.findings)
        by_kind = Counter(f.kind for f in self.findings)
        return {
            "total": len(self.findings),
            "by_severity": {s.label: by_severity.get(s.label, 0) for s in reversed(Severity)},
            "by_kind": dict(sorted(by_kind.items())),
        }

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


def _sort_key(f: Finding) -> tuple[Any, ...]:
    return (
        -f.severity,
        f.service,
        f.operation.path,
        f.operation.method,
        f.kind,
        f.status or "",
        f.location,
        f.pointer,
        f.consumer or "",
    )


def build_report(
    findings: list[Finding],
    *,
    generated_at: datetime,
    window: Window,
    sources: dict[str, Any] | None = None,
    stats: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> Report:
    """Sort findings (worst first, then by place) so reports are stable and diffable."""
    ordered = tuple(sorted(findings, key=_sort_key))
    return Report(
        generated_at=generated_at,
        window=window,
        findings=ordered,
        services=tuple(sorted({f.service for f in ordered})),
        sources=dict(sources or {}),
        stats=dict(stats or {}),
        warnings=tuple(warnings or ()),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(now: datetime, length: timedelta) -> datetime:
    """The start of the fixed window of `length` that holds `now` (windows count from 1970)."""
    if length <= timedelta(0):
        raise ValueError(f"a window must be longer than zero, not {length!r}")
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return _EPOCH + ((moment - _EPOCH) // length) * length
