"""Slack messages for drift's notifications: Block Kit builders and the generic webhook payload.

Pure functions: findings in, JSON-ready dicts out (no I/O, no clock). Slack's limits are kept
here, so no caller has to: at most 50 blocks, section text of at most 3000 characters, header of
at most 150, fallback `text` of at most 4000; lists that do not fit end in "…and N more".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift.core.findings import Finding
from drift.core.kinds import Severity
from drift.core.render.document import finding_to_dict, iso
from drift.core.render.text import (
    change_parts,
    compact,
    consumer_parts,
    operation_label,
    owners,
    seen_parts,
    summary_sentence,
    window_phrase,
)
from drift.core.report import SCHEMA_VERSION, Report

__all__ = [
    "MAX_BLOCKS",
    "MAX_HEADER",
    "MAX_SECTION",
    "MAX_TEXT",
    "Block",
    "SlackMessage",
    "alert_message",
    "digest_message",
    "escape",
    "report_block",
    "resolved_message",
    "webhook_payload",
]

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 4000

_MAX_MESSAGE = 600  # a finding's message inside an alert section
_MAX_LINE = 600  # one finding's line in a digest or resolved notice
_MAX_PLACE = 200  # an operation path or a pointer
_MAX_URL = 2000  # a report link
_MAX_SUMMARY_BLOCKS = 6  # per-service summary sections in a digest
_EMOJI = {Severity.ERROR: ":red_circle:", Severity.WARNING: ":large_yellow_circle:"}
_INFO_EMOJI = ":large_blue_circle:"
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A `chat.postMessage` body without the channel: fallback text and Block Kit blocks."""

    text: str
    blocks: tuple[Block, ...]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": list(self.blocks)}


def escape(text: str) -> str:
    """Slack's three control characters as entities (`&` first, so entities are not doubled)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with `…`, never inside an `&amp;`-style entity."""
    if len(text) <= limit:
        return text
    head = _ENTITY_TAIL.sub("", text[: limit - 1])
    return head + "…"


def _code(text: str) -> str:
    """An inline code span (backticks inside would end it early, so they become quotes)."""
    return "`" + escape(text.replace("`", "'")) + "`" if text else ""


def _more(hidden: int, noun: str = "") -> str:
    return f"…and {hidden} more{' ' + noun if noun else ''}"


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


# -- blocks ---------------------------------------------------------------------------------------


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(text, MAX_HEADER)}}


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(mrkdwn, MAX_SECTION)}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(mrkdwn, MAX_SECTION)}]}


_DIVIDER: Block = {"type": "divider"}


def report_block(location: str) -> Block:
    """Where the full report is: a link for an http(s) URL, else a path as code.

    A URL too long for one block cannot be a link (cutting it would break the markup and the
    URL), so it is shown cut, as code.
    """
    if location.startswith(("https://", "http://")):
        url = escape(location.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E"))
        if len(url) <= _MAX_URL:
            return _context(f":page_facing_up: <{url}|Full report>")
    return _context(f":page_facing_up: Full report: {_code(_clip(location, _MAX_URL))}")


def _pack(lines: Sequence[str], budget: int) -> tuple[list[Block], int]:
    """Lines packed into at most `budget` sections of ≤ 3000 characters; (blocks, lines used)."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for used, line in enumerate(lines):
        line = _clip(line, MAX_SECTION)
        if current and size + 1 + len(line) > MAX_SECTION:
            blocks.append(_section("\n".join(current)))
            current, size = [], 0
        if not current and len(blocks) == budget:
            return blocks, used
        current.append(line)
        size += len(line) + (1 if size else 0)
    if current:
        blocks.append(_section("\n".join(current)))
    return blocks, len(lines)


def _fallback(title: str, items: Iterable[str]) -> str:
    """The notification text: a title and as many items as fit in 4000 characters."""
    items = list(items)
    text = escape(title)
    for shown, item in enumerate(items):
        rest = len(items) - shown
        piece = ("; " if shown else ": ") + escape(item)
        tail = "" if rest == 1 else f"; {_more(rest - 1)}"
        if len(text) + len(piece) + len(tail) > MAX_TEXT:
            return _clip(text + f"; {_more(rest)}", MAX_TEXT)
        text += piece
    return text


# -- one finding ----------------------------------------------------------------------------------


def _emoji(severity: Severity) -> str:
    return _EMOJI.get(severity, _INFO_EMOJI)


def _where(finding: Finding) -> str:
    parts = [_code(compact(operation_label(finding.operation), _MAX_PLACE))]
    if finding.status:
        parts.append(f"status {escape(finding.status)}")
    parts.append(_code(finding.location))
    if finding.pointer:
        parts.append(_code(compact(finding.pointer, _MAX_PLACE)))
    return " · ".join(parts)


def _evidence(finding: Finding) -> str:
    evidence = finding.evidence
    share = f" ({evidence.count / evidence.total:.1%})" if evidence.total else ""
    return f"evidence: {evidence.count} of {evidence.total}{share}"


def _change(finding: Finding) -> str:
    declared, observed = change_parts(finding)
    if declared is None and observed is None:
        return ""
    return f"declared {_code(declared or '—')} · observed {_code(observed or '—')}"


def _alert_section(finding: Finding, event: str) -> Block:
    facts = [_evidence(finding), *map(escape, consumer_parts(finding))]
    lines = [
        f"{_emoji(finding.severity)} *{escape(finding.kind)}* · {finding.severity.label} · {event}",
        _where(finding),
        escape(_clip(finding.message, _MAX_MESSAGE)),
        _change(finding),
        " · ".join(facts),
        escape(" · ".join(seen_parts(finding.evidence))),
        f"_{escape(finding.advice)}_",
    ]
    return _section("\n".join(line for line in lines if line))


def _id_context(finding: Finding) -> Block:
    parts = [f"id {_code(finding.id)}", f"service {_code(finding.service)}"]
    if finding.owner:
        parts.append(f"owner {escape(finding.owner)}")
    return _context(" · ".join(parts))


def _line(finding: Finding, *, emoji: str | None = None) -> str:
    """One finding on one line, for digests and resolved notices."""
    where = " ".join(p for p in (operation_label(finding.operation), finding.status) if p)
    where = compact(where, _MAX_PLACE // 2)
    pointer = f" {_code(compact(finding.pointer, _MAX_PLACE // 2))}" if finding.pointer else ""
    message = escape(compact(finding.message, 160))
    text = (
        f"• {emoji or _emoji(finding.severity)} {_code(finding.kind)} {_code(where)}{pointer}"
        f" — {message} ({finding.evidence.count}/{finding.evidence.total}) · {_code(finding.id)}"
    )
    return _clip(text, _MAX_LINE)


def _short(finding: Finding) -> str:
    status = f" {finding.status}" if finding.status else ""
    pointer = f" {finding.pointer}" if finding.pointer else ""
    return f"{finding.kind} on {operation_label(finding.operation)}{status}{pointer}"


def _services(findings: Sequence[Finding]) -> str:
    return ", ".join(sorted({f.service for f in findings}))


# -- messages -------------------------------------------------------------------------------------


def alert_message(
    findings: Sequence[Finding],
    *,
    event: str = "new",
    report: str | None = None,
    limit: int = 10,
) -> SlackMessage:
    """An immediate alert for one owner's new or regressed findings: one section each."""
    if not findings:
        raise ValueError("an alert needs at least one finding")
    fixed = 1 + 1 + (1 if report else 0)  # header, "…and N more", report link
    shown = findings[: max(1, min(limit, (MAX_BLOCKS - fixed) // 2))]
    hidden = len(findings) - len(shown)
    errors = sum(1 for f in findings if f.severity >= Severity.ERROR)
    noun = "error" if errors == len(findings) else "finding"
    owner = owners(findings)
    title = f"{event.capitalize()} drift {noun if len(findings) == 1 else noun + 's'}"
    title += f" in {_services(findings)}" + (f" (owner {owner})" if owner else "")
    if len(findings) > 1:
        title = f"{len(findings)} {title[0].lower()}{title[1:]}"
    blocks = [_header(title)]
    for finding in shown:
        blocks += [_alert_section(finding, event), _id_context(finding)]
    if hidden:
        blocks.append(_section(_more(hidden, "findings")))
    if report:
        blocks.append(report_block(report))
    return SlackMessage(_fallback(title, map(_short, findings)), tuple(blocks))


def _service_line(service: str, findings: Sequence[Finding]) -> str:
    by_severity = [
        _plural(n, s.label, "info" if s is Severity.INFO else None)
        for s in reversed(Severity)
        if (n := sum(1 for f in findings if f.severity is s))
    ]
    kinds: dict[str, int] = {}
    for finding in findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    by_kind = ", ".join(f"{escape(k)} {n}" for k, n in sorted(kinds.items()))
    owner = owners(findings)
    who = f" (owner {escape(owner)})" if owner else ""
    return _clip(f"*{escape(service)}*{who}: {', '.join(by_severity)} — {by_kind}", _MAX_LINE * 2)


def digest_message(report: Report, *, link: str | None = None, limit: int = 25) -> SlackMessage:
    """A periodic digest: counts per service (severity, kind), then findings worst first."""
    findings = report.findings
    title = f"drift digest · {_plural(len(findings), 'finding')}"
    overview = f"{escape(summary_sentence(report))}\nwindow {escape(window_phrase(report.window))}"
    blocks = [_header(title), _section(overview)]
    per_service: dict[str, list[Finding]] = {}
    for finding in findings:
        per_service.setdefault(finding.service, []).append(finding)
    lines = [_service_line(name, found) for name, found in sorted(per_service.items())]
    summary, used = _pack(lines, _MAX_SUMMARY_BLOCKS)
    blocks += summary
    if used < len(lines):
        blocks.append(_context(_more(len(lines) - used, "services")))
    tail = [report_block(link)] if link else []
    tail.append(_context(f"generated {iso(report.generated_at)}"))
    if findings:
        blocks.append(_DIVIDER)
        budget = MAX_BLOCKS - len(blocks) - len(tail) - 1  # 1: "…and N more"
        listed, shown = _pack([_line(f) for f in findings[:limit]], budget)
        blocks += listed
        if shown < len(findings):
            blocks.append(_section(_more(len(findings) - shown, "findings")))
    blocks += tail
    return SlackMessage(_fallback(title, map(_short, findings)), tuple(blocks))


def resolved_message(
    findings: Sequence[Finding], *, report: str | None = None, limit: int = 25
) -> SlackMessage:
    """Findings no longer seen: one line each, so owners know the drift is gone."""
    if not findings:
        raise ValueError("a resolved notice needs at least one finding")
    title = f"Resolved: {_plural(len(findings), 'drift finding')} in {_services(findings)}"
    blocks = [_header(title)]
    budget = MAX_BLOCKS - 1 - 1 - (1 if report else 0)
    lines = [_line(f, emoji=":white_check_mark:") for f in findings[:limit]]
    listed, shown = _pack(lines, budget)
    blocks += listed
    if shown < len(findings):
        blocks.append(_section(_more(len(findings) - shown, "findings")))
    if report:
        blocks.append(report_block(report))
    return SlackMessage(_fallback(title, map(_short, findings)), tuple(blocks))


def webhook_payload(
    event: str,
    findings: Sequence[Finding],
    *,
    generated_at: datetime,
    report: str | None = None,
) -> dict[str, Any]:
    """The generic webhook body: the event type and the findings' canonical documents."""
    return {
        "schema_version": SCHEMA_VERSION,
        "source": "drift",
        "event": event,
        "generated_at": iso(generated_at),
        "report": report,
        "count": len(findings),
        "findings": [finding_to_dict(f) for f in findings],
    }
