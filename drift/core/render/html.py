"""HTML renderer: one self-contained, printable page (inline CSS, SVG and a tiny filter script).

Every string from the report is escaped; a Content-Security-Policy with hashes allows only the
page's own style and script, so even a missed escape could not run injected code.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from drift import __version__
from drift.core.findings import Finding, OperationRef
from drift.core.kinds import KINDS, Severity
from drift.core.render.document import iso
from drift.core.render.svg import (
    OperationStats,
    esc,
    figures,
    latency_chart,
    operation_stats,
    status_bar,
)
from drift.core.render.text import (
    change_parts,
    compact,
    group_findings,
    operation_label,
    owners,
    stats_sentence,
    summary_sentence,
)
from drift.core.report import Report

__all__ = ["render_html"]

_CODE_WORD = re.compile(r"(`[^`\r\n]+`)")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_MAX_CONSUMERS = 5
_PLURALS = {"error": "errors", "warning": "warnings", "info": "info"}
_COLUMNS = ("Severity", "Kind", "Status", "Where", "Observed vs declared", "Evidence", "Seen")

STYLE = """
:root{--ink:#1f2933;--muted:#52606d;--line:#d9dee3;--bg:#f5f7fa;--card:#fff;--code:#eef1f4;
--error:#b42318;--error-bg:#fef3f2;--warning:#93370d;--warning-bg:#fffaeb;--info:#1849a9;
--info-bg:#eff8ff;--accent:#3e6fb0}
*{box-sizing:border-box} body{margin:0} figure{margin:0} a{color:var(--accent)}
html{font:14px/1.5 system-ui,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:var(--ink);
background:var(--bg)}
.page{max-width:1280px;margin:0 auto;padding:24px 24px 48px}
h1{font-size:26px;margin:0 0 4px} h3{font-size:16px;margin:24px 0 8px} h3 code{font-size:15px}
h2{font-size:20px;margin:36px 0 12px;padding-bottom:4px;border-bottom:2px solid var(--line)}
code{font:12.5px/1.4 ui-monospace,Menlo,"DejaVu Sans Mono",monospace;background:var(--code);
padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
.muted{color:var(--muted)} [hidden]{display:none!important}
.masthead,.card,table,.filters{background:var(--card);border:1px solid var(--line);
border-radius:8px}
.masthead{padding:20px 24px} .lede{font-size:17px;font-weight:600;margin:0 0 16px}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:10px 28px;margin:0}
.facts dt{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.05em;
color:var(--muted)}
.facts dd{margin:0} .facts ul,.consumers{margin:0;padding:0;list-style:none}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px}
.card{padding:14px 18px;border-left:5px solid var(--accent)} .card h3{margin:0 0 2px}
.card.worst-error{border-left-color:var(--error)} .card.worst-warning{border-left-color:#dc6803}
.card p{margin:4px 0} code.kind span{white-space:nowrap} .service>.scroll{margin-top:24px}
.counts{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0;padding:0}
.counts li{list-style:none;padding:2px 10px;border-radius:12px;border:1px solid currentColor}
.badge,.tag{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;
letter-spacing:.05em;padding:1px 6px;border-radius:4px;border:1px solid currentColor}
.badge{min-width:70px;text-align:center}
.tag{color:var(--warning);margin-left:6px;vertical-align:2px}
.sev-error{color:var(--error);background:var(--error-bg)}
.sev-warning{color:var(--warning);background:var(--warning-bg)}
.sev-info{color:var(--info);background:var(--info-bg)}
.method{font-weight:700;letter-spacing:.03em} .scroll{overflow-x:auto}
table{width:100%;border-collapse:separate;border-spacing:0;font-size:13px}
caption{text-align:left;font-weight:600;padding:0 0 6px;color:var(--muted)}
th,td{padding:7px 10px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
thead th{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
background:var(--code)}
tbody th{font-weight:400} tbody.finding tr:first-child>*{border-bottom:0}
tbody.finding:nth-of-type(even){background:#fafbfc}
tr.message td{padding-top:0} tr.message p{margin:0 0 2px} .fid{font-size:12px}
.num{text-align:right;font-variant-numeric:tabular-nums} .num,.seen,time{white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:12px 40px;margin:4px 0 14px}
.charts figure{max-width:100%} .charts svg{max-width:100%;height:auto}
figcaption{font-size:12px;color:var(--muted);margin-bottom:4px}
.filters{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:center;margin:24px 0 0;
padding:10px 14px}
.filters select{font:inherit;margin-left:6px} .warnings li{margin:4px 0}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{html{background:#fff;font-size:11px} .page{max-width:none;padding:0}
.filters{display:none!important} .scroll{overflow:visible} a{color:inherit;text-decoration:none}
tbody.finding,tr,figure,.card{break-inside:avoid} h2,h3{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

# Progressive enhancement: without the script the form stays hidden and every finding shows.
SCRIPT = """
(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  var kind = document.getElementById("f-kind"), rank = document.getElementById("f-rank");
  function apply() {
    var shown = 0;
    document.querySelectorAll("tbody.finding").forEach(function (body) {
      var ok = (!kind.value || body.dataset.kind === kind.value) &&
        Number(body.dataset.rank) >= Number(rank.value);
      body.hidden = !ok;
      shown += ok ? 1 : 0;
    });
    document.querySelectorAll("section.operation").forEach(function (section) {
      section.hidden = !section.querySelector("tbody.finding:not([hidden])");
    });
    document.getElementById("f-count").textContent = shown + " shown";
  }
  kind.addEventListener("change", apply);
  rank.addEventListener("change", apply);
  form.hidden = false;
  apply();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


_CSP = (
    f"default-src 'none'; style-src {_csp_hash(STYLE)}; script-src {_csp_hash(SCRIPT)};"
    " img-src data:; base-uri 'none'; form-action 'none'"
)


def _prose(text: str) -> str:
    """Escaped text; `backticked` words become <code>, newlines <br>."""
    pieces = _CODE_WORD.split(text)
    out = "".join(
        f"<code>{esc(piece[1:-1])}</code>" if index % 2 else esc(piece)
        for index, piece in enumerate(pieces)
    )
    return _NEWLINES.sub("<br>", out)


def _code(text: str) -> str:
    return f"<code>{esc(text)}</code>" if text else ""


def _kind(kind: str) -> str:
    """A kind that wraps only after its dots ('response.body.' / 'type-mismatch')."""
    parts = [f"<span>{esc(part)}</span>" for part in re.split(r"(?<=\.)", kind) if part]
    return f'<code class="kind">{"".join(parts)}</code>'


def _time(moment: datetime | None) -> str:
    if moment is None:
        return '<span class="muted">—</span>'
    stamp = iso(moment)
    return f'<time datetime="{esc(stamp)}">{esc(stamp[:16].replace("T", " "))}Z</time>'


def _badge(severity: Severity) -> str:
    return f'<span class="badge sev-{severity.label}">{esc(severity.label)}</span>'


def _source_value(value: Any) -> str:
    if isinstance(value, str):
        return _code(value)
    if isinstance(value, list | tuple):
        return ", ".join(_source_value(item) for item in value) or "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{esc(k)}: {_source_value(v)}" for k, v in value.items()) or "—"
    return esc(compact(value, limit=200))


def _header(report: Report) -> str:
    window = report.window
    span = [_time(m) if m else "(unbounded)" for m in (window.start, window.end)]
    facts = [
        ("Generated", _time(report.generated_at)),
        ("Window", " → ".join(span)),
        ("Services", esc(", ".join(report.services))),
    ]
    sources = "".join(
        f'<li><span class="muted">{esc(key)}</span> {_source_value(value)}</li>'
        for key, value in report.sources.items()
    )
    facts.append(("Sources", f"<ul>{sources}</ul>" if sources else "—"))
    inputs = {k: v for k, v in report.stats.items() if k != "operations"}
    facts.append(("Inputs", esc(stats_sentence(inputs)) or "—"))
    items = "".join(f"<div><dt>{name}</dt><dd>{value or '—'}</dd></div>" for name, value in facts)
    lede = summary_sentence(report) if report.findings else "No drift found."
    return (
        f'<header class="masthead"><h1>drift report</h1><p class="lede">{esc(lede)}</p>'
        f'<dl class="facts">{items}</dl></header>'
    )


def _filters(report: Report) -> str:
    kinds = sorted({f.kind for f in report.findings})
    options = "".join(f'<option value="{esc(k)}">{esc(k)}</option>' for k in kinds)
    return (
        '<form id="filters" class="filters" hidden aria-label="Filter findings">'
        f'<label>Kind <select id="f-kind"><option value="">all kinds</option>{options}</select>'
        '</label><label>Severity <select id="f-rank"><option value="0">all</option>'
        '<option value="20">warning and above</option><option value="30">errors only</option>'
        '</select></label><output id="f-count" aria-live="polite"></output></form>'
    )


def _where(finding: Finding) -> str:
    location = esc(finding.location) if finding.location else ""
    pointer = _code(finding.pointer)
    return " ".join(part for part in (location, pointer) if part) or '<span class="muted">—</span>'


def _change(finding: Finding) -> str:
    declared, observed = change_parts(finding)
    parts = []
    for label, short, value in (
        ("observed", observed, finding.observed),
        ("declared", declared, finding.declared),
    ):
        if short is not None:
            full = esc(compact(value, limit=500))
            parts.append(
                f'<span class="muted">{label}</span> <code title="{full}">{esc(short)}</code>'
            )
    return "<br>".join(parts) or '<span class="muted">—</span>'


def _evidence(finding: Finding) -> str:
    ev = finding.evidence
    share = ""
    if ev.total > 0:
        ratio = ev.count / ev.total
        share = "&lt;0.1%" if 0 < ratio < 0.001 else f"{ratio:.1%}"
        share = f' <span class="muted">({share})</span>'
    return f"{ev.count:,} / {ev.total:,}{share}"


def _consumers(finding: Finding) -> str:
    items = []
    if finding.consumer is not None:
        items.append(f'<li><span class="muted">consumer</span> <b>{esc(finding.consumer)}</b></li>')
    ranked = sorted(finding.evidence.consumers, key=lambda c: (-c.count, c.name))
    if [c.name for c in ranked] != [finding.consumer]:
        for consumer in ranked[:_MAX_CONSUMERS]:
            items.append(
                f"<li>{esc(consumer.name)} <span class='muted'>{consumer.count:,}</span></li>"
            )
        if len(ranked) > _MAX_CONSUMERS:
            items.append(f'<li class="muted">+{len(ranked) - _MAX_CONSUMERS} more</li>')
    return (
        f'<ul class="consumers">{"".join(items)}</ul>' if items else '<span class="muted">—</span>'
    )


def _finding(finding: Finding) -> str:
    ev = finding.evidence
    cells = [
        f"<td>{_badge(finding.severity)}</td>",
        f'<th scope="row"><a href="#kind-{esc(finding.kind)}">{_kind(finding.kind)}</a></th>',
        f"<td>{esc(finding.status or '—')}</td>",
        f"<td>{_where(finding)}</td>",
        f"<td>{_change(finding)}</td>",
        f'<td class="num">{_evidence(finding)}</td>',
        f'<td class="seen">first {_time(ev.first_seen)}<br>last {_time(ev.last_seen)}</td>',
        f"<td>{_consumers(finding)}</td>",
    ]
    message = (
        f'<tr class="message"><td colspan="{len(cells)}"><p>{_prose(finding.message)}</p>'
        f'<p class="fid muted">id <code>{esc(finding.id)}</code></p></td></tr>'
    )
    return (
        f'<tbody class="finding" id="f-{esc(finding.id)}" data-kind="{esc(finding.kind)}"'
        f' data-rank="{int(finding.severity)}"><tr>{"".join(cells)}</tr>{message}</tbody>'
    )


def _operation(op: OperationRef, found: list[Finding], stats: OperationStats | None, n: int) -> str:
    ident = f"op-{n}"
    label = operation_label(op)
    mark = "" if op.declared else ' <span class="tag">undocumented</span>'
    heads = "".join(f'<th scope="col">{name}</th>' for name in (*_COLUMNS, "Consumers"))
    count = f"{len(found)} finding{'s' if len(found) != 1 else ''}"
    return (
        f'<section class="operation" id="{ident}" aria-labelledby="{ident}-h">'
        f'<h3 id="{ident}-h"><span class="method">{esc(op.method)}</span>'
        f" {_code(op.path)}{mark}</h3>"
        f"{figures(stats, ident)}"
        f'<div class="scroll"><table class="findings"><caption>{count} on {esc(label)}</caption>'
        f"<thead><tr>{heads}</tr></thead>{''.join(_finding(f) for f in found)}</table></div>"
        "</section>"
    )


def _traffic(service: str, ops: list[OperationStats], first: int) -> str:
    """A table of the service's operations that were seen without drift."""
    if not ops:
        return ""
    rows = []
    for n, op in enumerate(ops, start=first):
        status = status_bar(op.status_counts, ident=f"op-{n}-status") or "—"
        latency = latency_chart(op.latency_ms, op.declared_latency_ms, ident=f"op-{n}-lat") or "—"
        rows.append(
            f'<tr><th scope="row">{_code(f"{op.method} {op.path}")}</th>'
            f'<td class="num">{op.count:,}</td><td>{status}</td><td>{latency}</td></tr>'
        )
    return (
        f'<div class="scroll"><table class="traffic"><caption>Operations seen without drift'
        f' in {esc(service)}</caption><thead><tr><th scope="col">Operation</th>'
        '<th scope="col" class="num">Requests</th><th scope="col">Responses</th>'
        f'<th scope="col">Latency</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.label: 0 for s in reversed(Severity)}
    for finding in findings:
        counts[finding.severity.label] += 1
    return counts


def _card(service: str, index: int, found: list[Finding], traffic: list[OperationStats]) -> str:
    counts = _counts(found)
    worst = max((f.severity for f in found), default=None)
    tone = f" worst-{worst.label}" if worst else ""
    items = "".join(
        f'<li class="sev-{label}"><strong>{n}</strong> {label if n == 1 else _PLURALS[label]}</li>'
        for label, n in counts.items()
    )
    owner = owners(found)
    ops = len({f.operation for f in found})
    meta = [f"{ops} operation{'s' if ops != 1 else ''} with drift"]
    if traffic:
        meta.append(f"{sum(op.count for op in traffic):,} requests")
    return (
        f'<article class="card{tone}"><h3><a href="#svc-{index}">{esc(service)}</a></h3>'
        f'<p class="muted">Owner: {esc(owner) if owner else "—"}</p>'
        f'<ul class="counts" aria-label="Findings by severity">{items}</ul>'
        f'<p class="muted">{" · ".join(meta)}</p></article>'
    )


def _kinds(report: Report) -> str:
    by_kind = report.summary["by_kind"]
    rows = []
    for kind, count in by_kind.items():
        known = KINDS.get(kind)
        summary = known.summary if known else ""
        advice = known.advice if known else ""
        default = _badge(known.severity) if known else "—"
        rows.append(
            f'<tr id="kind-{esc(kind)}"><th scope="row">{_kind(kind)}</th><td>{default}</td>'
            f'<td class="num">{count}</td><td>{_prose(summary)}</td><td>{_prose(advice)}</td></tr>'
        )
    heads = "".join(
        f'<th scope="col"{cls}>{name}</th>'
        for name, cls in (
            ("Kind", ""),
            ("Default severity", ""),
            ("Findings", ' class="num"'),
            ("Meaning", ""),
            ("What to do", ""),
        )
    )
    return (
        '<section class="kinds" aria-labelledby="kinds-h"><h2 id="kinds-h">What to do</h2>'
        '<div class="scroll"><table><caption>Finding kinds in this report</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _warnings(report: Report) -> str:
    if not report.warnings:
        return ""
    items = "".join(f"<li>{_prose(w)}</li>" for w in report.warnings)
    return (
        '<section class="warnings" aria-labelledby="warnings-h">'
        f'<h2 id="warnings-h">Input warnings</h2><ul>{items}</ul></section>'
    )


def _services(report: Report) -> tuple[str, str]:
    """(the service cards, the per-service sections)."""
    traffic = operation_stats(report.stats)
    groups = dict(group_findings(report.findings))
    names = list(groups) + sorted({key[0] for key in traffic} - set(groups))
    cards, sections, n = [], [], 0
    for index, service in enumerate(names, start=1):
        ops = groups.get(service, [])
        found = [f for _, fs in ops for f in fs]
        seen = [v for k, v in traffic.items() if k[0] == service]
        cards.append(_card(service, index, found, seen))
        body = []
        for op, fs in ops:
            n += 1
            body.append(_operation(op, fs, traffic.get((service, op.method.upper(), op.path)), n))
        drifted = {(service, op.method.upper(), op.path) for op, _ in ops}
        clean = sorted(
            (v for k, v in traffic.items() if k[0] == service and k not in drifted),
            key=lambda v: (v.path, v.method),
        )
        body.append(_traffic(service, clean, n + 1))
        n += len(clean)
        owner = owners(found)
        sections.append(
            f'<section class="service" id="svc-{index}" aria-labelledby="svc-{index}-h">'
            f'<h2 id="svc-{index}-h">Service {esc(service)}</h2>'
            + (f'<p class="muted">Owner: {esc(owner)}</p>' if owner else "")
            + "".join(body)
            + "</section>"
        )
    overview = (
        '<section class="overview" aria-labelledby="overview-h"><h2 id="overview-h">Services</h2>'
        f'<div class="cards">{"".join(cards)}</div></section>'
        if cards
        else ""
    )
    return overview, "".join(sections)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page."""
    overview, sections = _services(report)
    title = "drift report · " + (", ".join(report.services) or "no drift") + " · "
    title += iso(report.generated_at)
    findings = _filters(report) + sections + _kinds(report) if report.findings else sections
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(_CSP)}">'
        '<meta name="color-scheme" content="light"><link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f'<body><div class="page">{_header(report)}<main>{overview}{findings}'
        f"{_warnings(report)}</main>"
        f"<footer>Generated by drift {esc(__version__)} · report schema"
        f" {esc(report.schema_version)}</footer></div><script>{SCRIPT}</script></body></html>\n"
    )
