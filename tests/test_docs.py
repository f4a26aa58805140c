"""Docs follow code: every finding kind is documented, the changelog has an Unreleased section."""

from __future__ import annotations

import re
from pathlib import Path

from drift.core.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]


def test_every_finding_kind_is_documented_with_its_default_severity() -> None:
    text = (ROOT / "docs" / "finding-kinds.md").read_text()
    documented = {
        m.group(1): m.group(2) for m in re.finditer(r"^### `([a-z.\-]+)` — (\w+)", text, re.M)
    }
    assert set(KINDS) == set(documented)
    assert {k: v.severity.label for k, v in KINDS.items()} == documented


def test_readme_quick_start_begins_with_the_demo_then_the_tests() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1]
    commands = re.findall(r"^(\./scripts/\S+)", quick.split("```bash", 1)[1], re.M)
    assert ["./scripts/demo", "./scripts/test"] == commands[:2]
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_changelog_has_an_unreleased_section() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
