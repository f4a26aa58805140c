"""The JSON document of a `DiffReport` (plain dicts, lists, strings and numbers)."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from drift.core.diff.change import Change
from drift.core.diff.impact import ChangeImpact
from drift.core.diff.report import DiffReport
from drift.core.render.document import iso_or_none, jsonable

__all__ = ["diff_to_dict", "render_diff_json"]


def _impact(found: ChangeImpact | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "usage": found.usage,
        "calls": found.calls,
        "consumers": [
            {
                "name": hit.consumer,
                "calls": hit.calls,
                "uses": hit.uses,
                "first_seen": iso_or_none(hit.first_seen),
                "last_seen": iso_or_none(hit.last_seen),
            }
            for hit in found.consumers
        ],
    }


def change_to_dict(change: Change, report: DiffReport) -> dict[str, Any]:
    return {
        "id": change.id,
        "kind": change.kind,
        "category": change.category,
        "direction": change.direction,
        "operation": {"method": change.method, "path": change.path},
        "status": change.status,
        "location": change.location,
        "media_type": change.media_type,
        "pointer": change.pointer,
        "old": jsonable(change.old),
        "new": jsonable(change.new),
        "message": change.message,
        # null: no observations consulted, or no exposure rule for this kind of change
        "impact": _impact(report.impact_of(change)),
    }


def diff_to_dict(report: DiffReport) -> dict[str, Any]:
    return {
        "schema_version": report.schema_version,
        "old": jsonable(dataclasses.asdict(report.old)),
        "new": jsonable(dataclasses.asdict(report.new)),
        "observed": jsonable(report.observed) if report.impacts is not None else None,
        "summary": report.summary,
        "changes": [change_to_dict(c, report) for c in report.changes],
        "warnings": list(report.warnings),
    }


def render_diff_json(report: DiffReport) -> str:
    return orjson.dumps(diff_to_dict(report), option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
