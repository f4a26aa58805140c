"""Inline SVG charts for the HTML report: pure string building, every text escaped.

Charts use presentation attributes (not page CSS), so they look the same pasted anywhere, and
carry a `<title>` and `<desc>` so screen readers get the numbers the bars show. Colour is never
the only signal: breaches are also said in words, status codes are labelled in a legend.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

__all__ = [
    "OperationStats",
    "esc",
    "figures",
    "format_ms",
    "latency_chart",
    "nice_ceiling",
    "operation_stats",
    "percentile_rank",
    "scale",
    "status_bar",
    "status_colour",
]

WIDTH = 420
_LABEL_W = 40  # left column: "p95"
_TEXT_W = 160  # right column: "250 ms over 200 ms"
_ROW_H = 22
_BAR_H = 12
_AXIS_H = 16
_CHAR_W = 6.6  # average width of an 11px sans-serif character, for laying out the legend
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'
_INK, _MUTED, _GRID = "#1f2933", "#52606d", "#d9dee3"
_OK, _BREACH, _LIMIT = "#3e6fb0", "#c0262d", "#1f2933"
_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)", re.IGNORECASE)
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*", re.IGNORECASE)
_STATUS_COLOURS = {"1": "#7b8794", "2": "#2f855a", "3": "#2b6cb0", "4": "#b7791f", "5": "#c0262d"}


def esc(value: object) -> str:
    """Text safe inside SVG/HTML element content and double- or single-quoted attributes."""
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def nice_ceiling(value: float) -> float:
    """A round axis maximum: the smallest 1, 2, 2.5 or 5 times a power of ten >= `value`."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    base = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * base * (1 + 1e-9):
            return float(f"{step * base:.12g}")
    return 10 * base  # pragma: no cover - the loop always returns


def scale(value: float, maximum: float, length: float) -> float:
    """`value` on an axis from 0 to `maximum` drawn `length` units long, clamped to the axis."""
    if maximum <= 0 or not math.isfinite(value):
        return 0.0
    return max(0.0, min(length, value / maximum * length))


def format_ms(value: float) -> str:
    """'0.42 ms', '8.5 ms', '184 ms', '1.25 s'."""
    if value >= 1000:
        return f"{value / 1000:.3g} s" if value < 100_000 else f"{value / 1000:,.0f} s"
    if value >= 10:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms" if value >= 1 else f"{value:.2f} ms"


def percentile_rank(key: str) -> float | None:
    """'p95' → 95.0; None for keys that are not percentiles."""
    match = _PERCENTILE.fullmatch(key.strip())
    return float(match.group(1)) if match else None


def status_colour(code: str) -> str:
    return _STATUS_COLOURS.get(code.strip()[:1], "#7b8794")


@dataclass(frozen=True, slots=True)
class OperationStats:
    """Traffic of one operation, from `Report.stats["operations"]`."""

    service: str
    method: str
    path: str
    count: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    declared_latency_ms: dict[str, float] = field(default_factory=dict)


def _milliseconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if isinstance(value, str) and (match := _DURATION.fullmatch(value)):
        amount = float(match.group(1))
        return amount * 1000 if (match.group(2) or "ms").lower() == "s" else amount
    return None


def _latencies(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        return {}
    found = {str(k): _milliseconds(v) for k, v in value.items() if percentile_rank(str(k))}
    return {k: v for k, v in found.items() if v is not None}


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(k): v
        for k, v in value.items()
        if isinstance(v, int) and not isinstance(v, bool) and v > 0
    }


def operation_stats(stats: Mapping[str, Any]) -> dict[tuple[str, str, str], OperationStats]:
    """Per-operation traffic keyed by (service, METHOD, path); malformed entries are skipped."""
    entries = stats.get("operations")
    found: dict[tuple[str, str, str], OperationStats] = {}
    if not isinstance(entries, list | tuple):
        return found
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        names = [entry.get(key) for key in ("service", "method", "path")]
        if not all(isinstance(name, str) and name for name in names):
            continue
        service, method, path = (str(name) for name in names)
        count = entry.get("count")
        op = OperationStats(
            service=service,
            method=method.upper(),
            path=path,
            count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
            status_counts=_counts(entry.get("status_counts")),
            latency_ms=_latencies(entry.get("latency_ms")),
            declared_latency_ms=_latencies(entry.get("declared_latency_ms")),
        )
        found[(op.service, op.method, op.path)] = op
    return found


def _svg(ident: str, height: float, title: str, desc: str, body: list[str], css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img"'
        f' aria-labelledby="{esc(ident)}-t {esc(ident)}-d" width="{WIDTH}" height="{_num(height)}"'
        f' viewBox="0 0 {WIDTH} {_num(height)}" {_FONT}>'
        f'<title id="{esc(ident)}-t">{esc(title)}</title>'
        f'<desc id="{esc(ident)}-d">{esc(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _latency_row(
    index: int, key: str, value: float | None, limit: float | None, axis: float
) -> tuple[list[str], str]:
    """The bar, limit marker and label of one percentile, and its sentence for `<desc>`."""
    length = WIDTH - _LABEL_W - _TEXT_W
    top = 4 + index * _ROW_H
    bar_y = top + (_ROW_H - _BAR_H) / 2
    text_y = _num(top + _ROW_H / 2 + 4)
    breach = value is not None and limit is not None and value > limit
    parts = [f'<text x="0" y="{text_y}" fill="{_INK}">{esc(key)}</text>']
    if value is None:
        said = f"{key} not measured"
        label = "not measured"
    else:
        said = f"{key} {format_ms(value)}"
        label = format_ms(value)
        parts.append(
            f'<rect class="bar{" breach" if breach else ""}" x="{_LABEL_W}" y="{_num(bar_y)}"'
            f' width="{_num(max(scale(value, axis, length), 1.0))}" height="{_BAR_H}"'
            f' fill="{_BREACH if breach else _OK}" rx="2"><title>{esc(said)}</title></rect>'
        )
    if limit is not None:
        x = _num(_LABEL_W + scale(limit, axis, length))
        parts.append(
            f'<line class="limit" x1="{x}" x2="{x}" y1="{_num(bar_y - 4)}"'
            f' y2="{_num(bar_y + _BAR_H + 4)}" stroke="{_LIMIT}" stroke-width="2"'
            f' stroke-dasharray="3 2"><title>declared {esc(key)} limit'
            f" {esc(format_ms(limit))}</title></line>"
        )
        if value is not None:
            relation = "over" if breach else "≤"
            label = f"{format_ms(value)} {relation} {format_ms(limit)}"
            said += f", above the declared {format_ms(limit)}" if breach else ", within limit"
        else:
            said += f", declared {format_ms(limit)}"
    weight = ' font-weight="700"' if breach else ""
    colour = _BREACH if breach else (_MUTED if value is None else _INK)
    parts.append(
        f'<text x="{WIDTH - _TEXT_W + 12}" y="{text_y}" fill="{colour}"{weight}>{esc(label)}</text>'
    )
    return parts, said


def latency_chart(
    observed: Mapping[str, float],
    declared: Mapping[str, float] | None = None,
    *,
    ident: str,
    title: str = "Latency",
) -> str:
    """Horizontal bars of the observed percentiles, dashed markers at the declared limits.

    Bars above their limit are red and labelled '… over …'. Empty string when there is nothing to
    draw.
    """
    limits = dict(declared or {})
    keys = sorted(set(observed) | set(limits), key=lambda k: (percentile_rank(k) or 1e9, k))
    if not keys:
        return ""
    axis = nice_ceiling(max([*observed.values(), *limits.values()]))
    body: list[str] = []
    sentences: list[str] = []
    for index, key in enumerate(keys):
        parts, said = _latency_row(index, key, observed.get(key), limits.get(key), axis)
        body += parts
        sentences.append(said)
    length = WIDTH - _LABEL_W - _TEXT_W
    axis_y = 4 + len(keys) * _ROW_H
    body.append(
        f'<line x1="{_LABEL_W}" x2="{_LABEL_W + length}" y1="{axis_y}" y2="{axis_y}"'
        f' stroke="{_GRID}"/>'
    )
    for tick in (0.0, axis / 2, axis):
        x = _LABEL_W + scale(tick, axis, length)
        anchor = "start" if tick == 0 else ("end" if tick == axis else "middle")
        body.append(
            f'<text x="{_num(x)}" y="{axis_y + 12}" fill="{_MUTED}" font-size="10"'
            f' text-anchor="{anchor}">{esc(format_ms(tick) if tick else "0")}</text>'
        )
    desc = "; ".join(sentences) + "."
    return _svg(ident, axis_y + _AXIS_H, title, desc, body, "latency")


def status_bar(status_counts: Mapping[str, int], *, ident: str, title: str = "Responses") -> str:
    """One stacked bar of responses by status code, with a legend naming each code and share."""
    counts = sorted((str(code), n) for code, n in status_counts.items() if n > 0)
    total = sum(n for _, n in counts)
    if total <= 0:
        return ""
    body: list[str] = []
    x = 0.0
    legend: list[tuple[str, str]] = []
    for code, n in counts:
        width = n / total * WIDTH
        share = f"{n / total:.1%}" if n / total >= 0.001 else "<0.1%"
        said = f"{code}: {n:,} ({share})"
        legend.append((code, said))
        body.append(
            f'<rect x="{_num(x)}" y="0" width="{_num(max(width, 1.0))}" height="14"'
            f' fill="{status_colour(code)}" stroke="#ffffff" stroke-width="1">'
            f"<title>{esc(said)}</title></rect>"
        )
        x += width
    lx, ly = 0.0, 32.0
    for code, said in legend:
        item_w = 14 + len(said) * _CHAR_W + 12
        if lx > 0 and lx + item_w > WIDTH:
            lx, ly = 0.0, ly + 16
        body.append(
            f'<rect x="{_num(lx)}" y="{_num(ly - 9)}" width="10" height="10"'
            f' fill="{status_colour(code)}"/>'
            f'<text x="{_num(lx + 14)}" y="{_num(ly)}" fill="{_INK}">{esc(said)}</text>'
        )
        lx += item_w
    desc = f"{total:,} responses: " + ", ".join(said for _, said in legend) + "."
    return _svg(ident, ly + 6, title, desc, body, "status")


def figures(stats: OperationStats | None, ident: str) -> str:
    """The HTML figures (status bar, latency chart) of one operation; empty without data."""
    if stats is None:
        return ""
    found = []
    status = status_bar(stats.status_counts, ident=f"{ident}-status")
    if status:
        caption = f"Responses · {stats.count:,} requests"
        found.append(f"<figure><figcaption>{esc(caption)}</figcaption>{status}</figure>")
    latency = latency_chart(stats.latency_ms, stats.declared_latency_ms, ident=f"{ident}-lat")
    if latency:
        found.append(f"<figure><figcaption>Latency percentiles</figcaption>{latency}</figure>")
    return f'<div class="charts">{"".join(found)}</div>' if found else ""
