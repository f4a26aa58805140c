"""Plain-text rendering of a `DiffReport`: breaking first, grouped by operation, with impact."""

from __future__ import annotations

from itertools import groupby

from drift.core.diff.change import Change
from drift.core.diff.impact import CALLS_IT, ChangeImpact, ConsumerHit
from drift.core.diff.kinds import CATEGORIES
from drift.core.diff.report import DiffReport
from drift.core.render.document import iso

__all__ = ["hit_phrase", "render_diff_text", "summary_phrase", "where_phrase"]

MAX_CONSUMERS = 10
MAX_WARNINGS = 10


def summary_phrase(report: DiffReport) -> str:
    counts = report.summary["by_category"]
    total = report.summary["total"]
    if not total:
        return "no changes"
    parts = ", ".join(f"{counts[c]} {c}" for c in CATEGORIES)
    return f"{total} change{'s' if total != 1 else ''}: {parts}"


def hit_phrase(hit: ConsumerHit, found: ChangeImpact) -> str:
    """'billing (12,400 calls, last 2026-11-20T10:11:32Z), reads `/discount` 12,400 times'."""
    last = f", last {iso(hit.last_seen)}" if hit.last_seen is not None else ""
    text = f"{hit.consumer} ({_times(hit.calls, 'call', 'calls')}{last}), {found.usage}"
    return text if found.usage == CALLS_IT else f"{text} {_times(hit.uses, 'time', 'times')}"


def _times(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def where_phrase(change: Change) -> str:
    parts = [change.status or "", change.location, change.media_type or "", change.pointer]
    return " ".join(p for p in parts if p)


def _impact_lines(report: DiffReport, change: Change) -> list[str]:
    found = report.impact_of(change)
    if found is None:
        return []
    if not found.consumers:
        return ["no observed consumer affected"] if change.category != "non-breaking" else []
    lines = [f"hits {hit_phrase(hit, found)}" for hit in found.consumers[:MAX_CONSUMERS]]
    hidden = len(found.consumers) - MAX_CONSUMERS
    if hidden > 0:
        lines.append(f"… and {hidden} more consumers")
    return lines


def render_diff_text(report: DiffReport) -> str:
    old, new = report.old, report.new
    lines = [
        f"drift diff {old.service}: {old.source} → {new.source}",
        summary_phrase(report),
    ]
    if report.impacts is not None:
        source = report.observed.get("store", "observations")
        window = report.observed.get("window") or {}
        span = f" ({window.get('start') or '…'} → {window.get('end') or '…'})" if window else ""
        lines.append(f"consumer impact from {source}{span}")
    for category in CATEGORIES:
        changes = [c for c in report.changes if c.category == category]
        if not changes:
            continue
        lines += ["", f"{category.upper()} ({len(changes)})"]
        for (method, path), group in groupby(changes, key=lambda c: (c.method, c.path)):
            lines.append(f"  {method} {path}")
            for change in group:
                where = where_phrase(change)
                lines.append(f"    {change.kind}" + (f"  {where}" if where else ""))
                lines.append(f"      {change.message}")
                lines += [f"      {line}" for line in _impact_lines(report, change)]
    if report.warnings:
        lines += ["", f"contract warnings ({len(report.warnings)}):"]
        lines += [f"  {w}" for w in report.warnings[:MAX_WARNINGS]]
        if len(report.warnings) > MAX_WARNINGS:
            lines.append(f"  … and {len(report.warnings) - MAX_WARNINGS} more")
    return "\n".join(lines) + "\n"
