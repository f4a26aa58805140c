"""Plain-text renderer for terminals and logs (no colours), and the phrasing it shares with
the Markdown renderer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from drift.core.findings import Evidence, Finding, OperationRef
from drift.core.render.document import iso, iso_or_none, jsonable
from drift.core.report import Report, Window

__all__ = [
    "Group",
    "change_parts",
    "compact",
    "consumer_parts",
    "group_findings",
    "operation_label",
    "owners",
    "render_text",
    "seen_parts",
    "stats_sentence",
    "summary_sentence",
    "window_phrase",
]

Group = tuple[str, list[tuple[OperationRef, list[Finding]]]]

_MAX_VALUE = 40
_MAX_CONSUMERS = 5
_SEVERITY_WIDTH = len("WARNING")
_PLURALS = {"error": "errors", "warning": "warnings", "info": "info"}


def window_phrase(window: Window) -> str:
    start = iso_or_none(window.start) or "(unbounded)"
    end = iso_or_none(window.end) or "(unbounded)"
    return f"{start} → {end}"


def summary_sentence(report: Report) -> str:
    """'3 findings: 1 error, 2 warnings, 0 info'."""
    summary = report.summary
    total = summary["total"]
    parts = [_counted(n, label) for label, n in summary["by_severity"].items()]
    return f"{_counted(total, 'finding', 'findings')}: {', '.join(parts)}"


def _counted(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or _PLURALS.get(singular, singular + 's')}"


def stats_sentence(stats: Mapping[str, Any]) -> str:
    """'exchanges read 340, skipped 3 (not-json 2, no-route 1)'; empty when there are none."""
    # lists (per-operation tables) belong in richer formats, not in one sentence
    return ", ".join(_stat(k, v) for k, v in stats.items() if not isinstance(v, list | tuple))


def _stat(key: str, value: Any) -> str:
    name = key.replace("_", " ")
    if isinstance(value, Mapping):
        inner = ", ".join(_stat(k, v) for k, v in value.items())
        numbers = [v for v in value.values() if isinstance(v, int | float)]
        if value and len(numbers) == len(value) and not any(isinstance(v, bool) for v in numbers):
            return f"{name} {compact(sum(numbers))} ({inner})"
        return f"{name} ({inner})"
    return f"{name} {compact(value)}"


def compact(value: Any, limit: int = _MAX_VALUE) -> str:
    """A short one-line form of a JSON value: strings bare, everything else as compact JSON."""
    plain = jsonable(value)
    text = plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_parts(finding: Finding) -> tuple[str | None, str | None]:
    """(declared, observed) as short strings; None where the finding has no value."""
    declared = None if finding.declared is None else compact(finding.declared)
    observed = None if finding.observed is None else compact(finding.observed)
    return declared, observed


def _change(finding: Finding) -> str:
    declared, observed = change_parts(finding)
    if declared is not None and observed is not None:
        return f"{declared}→{observed}"
    if observed is not None:
        return f"observed {observed}"
    return "" if declared is None else f"declared {declared}"


def _consumer_counts(evidence: Evidence) -> str:
    ranked = sorted(evidence.consumers, key=lambda c: (-c.count, c.name))
    shown = ", ".join(f"{c.name} {c.count}" for c in ranked[:_MAX_CONSUMERS])
    hidden = len(ranked) - _MAX_CONSUMERS
    return shown + (f", +{hidden} more" if hidden > 0 else "")


def consumer_parts(finding: Finding) -> list[str]:
    """['consumer: web', 'consumers: billing 10, web 2'] — whichever apply."""
    parts = [] if finding.consumer is None else [f"consumer: {finding.consumer}"]
    names = [c.name for c in finding.evidence.consumers]
    if names and names != [finding.consumer]:
        parts.append(f"consumers: {_consumer_counts(finding.evidence)}")
    return parts


def seen_parts(evidence: Evidence) -> list[str]:
    parts = [] if evidence.first_seen is None else [f"first seen {iso(evidence.first_seen)}"]
    if evidence.last_seen is not None:
        parts.append(f"last seen {iso(evidence.last_seen)}")
    return parts


def operation_label(op: OperationRef) -> str:
    return f"{op.method} {op.path}"


def owners(findings: Iterable[Finding]) -> str:
    return ", ".join(sorted({f.owner for f in findings if f.owner}))


def group_findings(findings: Iterable[Finding]) -> list[Group]:
    """Findings by service, then operation, in order of first appearance.

    A built report lists the worst findings first, so the services and operations that need
    attention most come first too.
    """
    services: dict[str, dict[OperationRef, list[Finding]]] = {}
    for finding in findings:
        services.setdefault(finding.service, {}).setdefault(finding.operation, []).append(finding)
    return [(name, list(ops.items())) for name, ops in services.items()]


def _where(finding: Finding) -> str:
    implied = finding.kind == finding.location or finding.kind.startswith(finding.location + ".")
    location = "" if implied else finding.location
    return " ".join(part for part in (finding.status, location, finding.pointer) if part)


def _finding_lines(finding: Finding, kind_width: int) -> list[str]:
    evidence = finding.evidence
    detail = ", ".join([f"{evidence.count}/{evidence.total}", *consumer_parts(finding)])
    cells = [
        finding.severity.label.upper().ljust(_SEVERITY_WIDTH),
        finding.kind.ljust(kind_width),
        _where(finding),
        _change(finding),
        f"({detail})",
    ]
    indent = " " * (4 + _SEVERITY_WIDTH + 2)
    head = "    " + "  ".join(cell for cell in cells if cell.strip())
    tail = " · ".join([*seen_parts(evidence), f"id {finding.id}"])
    return [head.rstrip(), _indented(finding.message, indent), indent + tail]


def _indented(text: str, indent: str) -> str:
    return "\n".join((indent + line).rstrip() for line in (text.splitlines() or [""]))


def _bullet(text: str) -> str:
    return "  - " + _indented(text, "    ").removeprefix("    ")


def _service_lines(group: Group, kind_width: int) -> list[str]:
    service, operations = group
    owner = owners(f for _, found in operations for f in found)
    lines = [service + (f"  (owner: {owner})" if owner else "")]
    for op, found in operations:
        mark = "" if op.declared else "  (undocumented)"
        lines.append(f"  {operation_label(op)}{mark}")
        for finding in found:
            lines.extend(_finding_lines(finding, kind_width))
    return lines


def _header(report: Report) -> list[str]:
    lines = [
        f"drift report · generated {iso(report.generated_at)}"
        f" · window {window_phrase(report.window)}"
    ]
    if report.services:
        lines.append(f"services: {', '.join(report.services)}")
    return lines


def render_text(report: Report) -> str:
    """The report for a terminal or a log file."""
    lines = _header(report)
    stats = f"stats: {stats_sentence(report.stats) or '(none)'}"
    if not report.findings:
        lines += ["", "No drift found.", stats]
    else:
        lines += [summary_sentence(report), stats]
        kind_width = max(len(f.kind) for f in report.findings)
        for group in group_findings(report.findings):
            lines += ["", *_service_lines(group, kind_width)]
    if report.warnings:
        lines += ["", "Input warnings:", *(_bullet(w) for w in report.warnings)]
    return "\n".join(lines) + "\n"
