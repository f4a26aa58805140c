"""Pure renderers: a `Report` in, a string out (text, JSON, Markdown); no I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable

from drift.core.render.document import report_to_dict
from drift.core.render.html import render_html
from drift.core.render.json import render_json
from drift.core.render.markdown import render_markdown
from drift.core.render.sarif import render_sarif
from drift.core.render.text import render_text
from drift.core.report import Report

__all__ = [
    "RENDERERS",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_text",
    "report_to_dict",
]

RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
    "sarif": render_sarif,
}


def render(report: Report, fmt: str) -> str:
    """Render `report` in format `fmt` (one of the keys of `RENDERERS`)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        choices = ", ".join(sorted(RENDERERS))
        raise ValueError(f"unknown report format {fmt!r}; choose one of {choices}") from None
    return renderer(report)
