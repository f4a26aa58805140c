"""JSON renderer: the canonical document, indented two spaces, in its natural key order."""

from __future__ import annotations

import orjson

from drift.core.render.document import report_to_dict
from drift.core.report import Report

__all__ = ["render_json"]


def render_json(report: Report) -> str:
    """The report document as pretty JSON (UTF-8 text, trailing newline)."""
    return orjson.dumps(report_to_dict(report), option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
