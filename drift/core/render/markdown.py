"""Markdown renderer (CommonMark + GFM tables) for pull requests, issues and wikis."""

from __future__ import annotations

import re
from collections.abc import Iterable

from drift.core.findings import Finding, OperationRef
from drift.core.render.document import advice_for, iso
from drift.core.render.text import (
    Group,
    change_parts,
    consumer_parts,
    group_findings,
    operation_label,
    owners,
    seen_parts,
    stats_sentence,
    summary_sentence,
    window_phrase,
)
from drift.core.report import Report

__all__ = ["render_markdown"]

_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~&])")
_BLOCK_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_CODE_WORD = re.compile(r"(`[^`\r\n]+`)")
_COLUMNS = (
    "Severity",
    "Kind",
    "Status",
    "Where",
    "Observed vs declared",
    "Evidence",
    "Consumers",
    "Message",
)


def _text(value: str) -> str:
    """Inline text with Markdown punctuation escaped; newlines become `<br>`."""
    lines = [
        _BLOCK_START.sub(r"\\\1", _PUNCTUATION.sub(r"\\\1", line))
        for line in _NEWLINES.split(value)
    ]
    return "<br>".join(lines)


def _prose(value: str, *, cell: bool = True) -> str:
    """Like `_text`, but `backticked` words in messages stay code spans."""
    pieces = _CODE_WORD.split(value)
    return "".join(
        _code(piece[1:-1], cell=cell) if index % 2 else _text(piece)
        for index, piece in enumerate(pieces)
    )


def _code(value: str, *, cell: bool = True) -> str:
    """A code span that survives backticks in `value` (and `|` when inside a table cell)."""
    value = _NEWLINES.sub(" ", value)
    if not value:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    padded = value[0] in "` " or value[-1] in "` "
    span = f"{fence} {value} {fence}" if padded else f"{fence}{value}{fence}"
    return span.replace("|", r"\|") if cell else span


def _table(header: Iterable[str], rows: Iterable[Iterable[str]], numeric: int = 0) -> list[str]:
    """A GFM table; the last `numeric` columns are right-aligned."""
    names = list(header)
    aligns = ["---"] * (len(names) - numeric) + ["---:"] * numeric
    lines = [f"| {' | '.join(names)} |", f"| {' | '.join(aligns)} |"]
    lines += [f"| {' | '.join(cell or '—' for cell in row)} |" for row in rows]
    return lines


def _percent(count: int, total: int) -> str:
    if total <= 0:
        return ""
    share = count / total
    return " (<0.1%)" if 0 < share < 0.001 else f" ({share:.1%})"


def _where(finding: Finding) -> str:
    return " ".join(part for part in (_code(finding.location), _code(finding.pointer)) if part)


def _change(finding: Finding) -> str:
    declared, observed = change_parts(finding)
    shown = "" if observed is None else _code(observed)
    if declared is not None:
        shown += f" (declared {_code(declared)})" if shown else f"declared {_code(declared)}"
    return shown


def _evidence(finding: Finding) -> str:
    evidence = finding.evidence
    counts = f"{evidence.count}/{evidence.total}{_percent(evidence.count, evidence.total)}"
    return "<br>".join([_text(counts), *(_text(part) for part in seen_parts(evidence))])


def _row(finding: Finding) -> list[str]:
    return [
        finding.severity.label,
        _code(finding.kind),
        _text(finding.status or ""),
        _where(finding),
        _change(finding),
        _evidence(finding),
        "<br>".join(_text(part) for part in consumer_parts(finding)),
        _prose(finding.message),
    ]


def _operation_section(op: OperationRef, findings: list[Finding]) -> list[str]:
    mark = "" if op.declared else " (undocumented)"
    title = f"### {_code(operation_label(op), cell=False)}{mark}"
    return ["", title, "", *_table(_COLUMNS, (_row(f) for f in findings))]


def _service_section(group: Group) -> list[str]:
    service, operations = group
    lines = ["", f"## Service: {_text(service)}"]
    owner = owners(f for _, found in operations for f in found)
    if owner:
        lines += ["", f"Owner: {_text(owner)}"]
    for op, found in operations:
        lines += _operation_section(op, found)
    return lines


def _header(report: Report) -> list[str]:
    facts = [
        f"- **Generated:** {iso(report.generated_at)}",
        f"- **Window:** {window_phrase(report.window)}",
    ]
    if report.services:
        facts.append(f"- **Services:** {_text(', '.join(report.services))}")
    facts.append(f"- **Inputs:** {_text(stats_sentence(report.stats) or '(no statistics)')}")
    return ["# drift report", "", *facts]


def _summary(report: Report) -> list[str]:
    summary = report.summary
    severities = [(label, str(n)) for label, n in summary["by_severity"].items()]
    kinds = [(_code(kind), str(n)) for kind, n in summary["by_kind"].items()]
    return [
        "",
        "## Summary",
        "",
        _text(summary_sentence(report)),
        "",
        *_table(("Severity", "Findings"), severities, numeric=1),
        "",
        *_table(("Kind", "Findings"), kinds, numeric=1),
    ]


def _advice(report: Report) -> list[str]:
    kinds = sorted({f.kind for f in report.findings})
    items = [
        f"- {_code(kind, cell=False)}: {_prose(advice_for(kind), cell=False)}" for kind in kinds
    ]
    return ["", "## What to do", "", *items]


def _warnings(report: Report) -> list[str]:
    if not report.warnings:
        return []
    return ["", "## Input warnings", "", *(f"- {_prose(w, cell=False)}" for w in report.warnings)]


def render_markdown(report: Report) -> str:
    """The report as a Markdown document."""
    lines = _header(report)
    if not report.findings:
        lines += ["", "No drift found."]
    else:
        lines += _summary(report)
        for group in group_findings(report.findings):
            lines += _service_section(group)
        lines += _advice(report)
    return "\n".join([*lines, *_warnings(report)]) + "\n"
