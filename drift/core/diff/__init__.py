"""`drift diff`: two contract versions → classified changes, and the observed consumers each hits.

Pure: `diff_contracts(old, new)` classifies (see `kinds.py` for the closed set and the choices
behind each category), `impact(changes, observations, old)` finds the consumers exposed to each
change, `build_diff_report` assembles both, `exit_code` is the CI gate and `render_diff` formats
the report as text, JSON or Markdown.
"""

from __future__ import annotations

from drift.core.diff.change import Change
from drift.core.diff.engine import diff_contracts
from drift.core.diff.impact import ChangeImpact, ConsumerHit, impact
from drift.core.diff.kinds import (
    BREAKING,
    CATEGORIES,
    CHANGE_KINDS,
    DEPRECATION,
    NON_BREAKING,
    ChangeKind,
)
from drift.core.diff.render import DIFF_FORMATS, render_diff
from drift.core.diff.report import FAIL_ON, DiffReport, Side, build_diff_report, exit_code

__all__ = [
    "BREAKING",
    "CATEGORIES",
    "CHANGE_KINDS",
    "DEPRECATION",
    "DIFF_FORMATS",
    "FAIL_ON",
    "NON_BREAKING",
    "Change",
    "ChangeImpact",
    "ChangeKind",
    "ConsumerHit",
    "DiffReport",
    "Side",
    "build_diff_report",
    "diff_contracts",
    "exit_code",
    "impact",
    "render_diff",
]
