"""Markdown rendering of a `DiffReport` (CommonMark + GFM tables), for pull requests."""

from __future__ import annotations

import re

from drift.core.diff.change import Change
from drift.core.diff.kinds import CATEGORIES
from drift.core.diff.report import DiffReport
from drift.core.diff.text import MAX_CONSUMERS, hit_phrase, summary_phrase, where_phrase

__all__ = ["render_diff_markdown"]

_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~&#])")
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_TITLES = {
    "breaking": "Breaking changes",
    "deprecation": "Deprecations",
    "non-breaking": "Non-breaking changes",
}


def _code(value: str) -> str:
    """A code span safe inside a table cell (backticks in `value` get a longer fence)."""
    value = " ".join(value.split())
    if not value:
        return ""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", value)), default=0) + 1)
    padded = value[0] in "` " or value[-1] in "` "
    span = f"{fence} {value} {fence}" if padded else f"{fence}{value}{fence}"
    return span.replace("|", r"\|")


def _prose(value: str) -> str:
    """Text with Markdown punctuation escaped; `backticked` words stay code spans."""
    pieces = _CODE_SPAN.split(" ".join(value.split()))
    return "".join(
        _code(piece[1:-1]) if i % 2 else _PUNCTUATION.sub(r"\\\1", piece)
        for i, piece in enumerate(pieces)
    )


def _consumers(report: DiffReport, change: Change) -> str:
    found = report.impact_of(change)
    if found is None:
        return "—"
    if not found.consumers:
        return "none observed"
    shown = [_prose(hit_phrase(hit, found)) for hit in found.consumers[:MAX_CONSUMERS]]
    hidden = len(found.consumers) - MAX_CONSUMERS
    return "<br>".join(shown + ([f"… and {hidden} more"] if hidden > 0 else []))


def render_diff_markdown(report: DiffReport) -> str:
    old, new = report.old, report.new
    lines = [
        f"# drift diff: {_prose(old.service)}",
        "",
        f"{_code(old.source)} → {_code(new.source)}: {_prose(summary_phrase(report))}",
    ]
    if report.impacts is not None:
        source = str(report.observed.get("store", "observations"))
        lines += ["", f"Consumer impact from {_code(source)}."]
    for category in CATEGORIES:
        changes = [c for c in report.changes if c.category == category]
        if not changes:
            continue
        lines += [
            "",
            f"## {_TITLES[category]} ({len(changes)})",
            "",
            "| Operation | Kind | Where | Change | Consumers hit |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c in changes:
            cells = [
                _code(f"{c.method} {c.path}"),
                _code(c.kind),
                _code(where_phrase(c)),
                _prose(c.message),
                _consumers(report, c),
            ]
            lines.append("| " + " | ".join(cell or "—" for cell in cells) + " |")
    if report.warnings:
        lines += ["", "<details><summary>Contract warnings</summary>", ""]
        lines += [f"- {_prose(w)}" for w in report.warnings]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
