"""The canonical JSON document of a `Report`: plain dicts, lists, strings and numbers only.

Every other output format (and the JSON Schema in drift/schemas/) follows this document.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any

from drift.core.findings import Evidence, Finding, OperationRef
from drift.core.kinds import KINDS, Severity
from drift.core.report import Report, Window

__all__ = ["advice_for", "finding_to_dict", "iso", "iso_or_none", "jsonable", "report_to_dict"]


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z` suffix; a naive datetime is taken to be UTC already."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat().replace("+00:00", "Z")


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def advice_for(kind: str) -> str:
    """The advice for a kind; empty for a kind drift does not know (the schema rejects those)."""
    known = KINDS.get(kind)
    return known.advice if known is not None else ""


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of `value`: tuples and sets become lists, datetimes ISO strings."""
    if isinstance(value, Severity):
        return value.label
    if isinstance(value, Enum):
        return jsonable(value.value)
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        items = [jsonable(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return str(value)


def _operation(op: OperationRef) -> dict[str, Any]:
    return {"method": op.method, "path": op.path, "declared": op.declared}


def _evidence(evidence: Evidence) -> dict[str, Any]:
    return {
        "count": evidence.count,
        "total": evidence.total,
        "first_seen": iso_or_none(evidence.first_seen),
        "last_seen": iso_or_none(evidence.last_seen),
        "consumers": [{"name": c.name, "count": c.count} for c in evidence.consumers],
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding, most useful keys first (id, kind, severity)."""
    doc: dict[str, Any] = {
        "id": finding.id,
        "kind": finding.kind,
        "severity": finding.severity.label,
        "service": finding.service,
        "operation": _operation(finding.operation),
        "status": finding.status,
        "location": finding.location,
        "pointer": finding.pointer,
        "consumer": finding.consumer,
        "owner": finding.owner,
        "declared": jsonable(finding.declared),
        "observed": jsonable(finding.observed),
        "evidence": _evidence(finding.evidence),
        "message": finding.message,
        "advice": advice_for(finding.kind),
    }
    if finding.extra:
        doc["extra"] = jsonable(finding.extra)
    return doc


def _window(window: Window) -> dict[str, str | None]:
    return {"start": iso_or_none(window.start), "end": iso_or_none(window.end)}


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as the JSON document described by drift/schemas/report.schema.json."""
    return {
        "schema_version": report.schema_version,
        "generated_at": iso(report.generated_at),
        "window": _window(report.window),
        "summary": jsonable(report.summary),
        "services": list(report.services),
        "sources": jsonable(report.sources),
        "stats": jsonable(report.stats),
        "warnings": list(report.warnings),
        "findings": [finding_to_dict(f) for f in report.findings],
    }
