"""`render_diff(report, fmt)`: text, JSON or Markdown."""

from __future__ import annotations

from collections.abc import Callable

from drift.core.diff.document import render_diff_json
from drift.core.diff.markdown import render_diff_markdown
from drift.core.diff.report import DiffReport
from drift.core.diff.text import render_diff_text

__all__ = ["DIFF_FORMATS", "render_diff"]

DIFF_FORMATS: dict[str, Callable[[DiffReport], str]] = {
    "json": render_diff_json,
    "markdown": render_diff_markdown,
    "text": render_diff_text,
}


def render_diff(report: DiffReport, fmt: str) -> str:
    try:
        renderer = DIFF_FORMATS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown format {fmt!r}; choose one of {', '.join(DIFF_FORMATS)}"
        ) from None
    return renderer(report)
