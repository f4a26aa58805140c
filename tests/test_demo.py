"""The README's first command: the live demo finds the planted dependencies, for the right consumer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drift.demo.run import PLANTED

pytestmark = pytest.mark.slow


def test_demo_runs_to_completion_and_reports_each_planted_dependency_for_its_consumer(
    tmp_path: Path,
) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "drift",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--duration",
            "8s",
            "--review-every",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert 0 == out.returncode, out.stdout + out.stderr
    assert 5 == out.stdout.count("  [x] "), out.stdout
    report = json.loads((tmp_path / "demo" / "reports" / "latest.json").read_text())
    found = {(f["kind"], f["operation"]["path"], f["pointer"]): f for f in report["findings"]}
    for _text, kind, path, pointer, consumer in PLANTED:
        finding = found[(kind, path, pointer)]
        names = [c["name"] for c in finding["evidence"]["consumers"]]
        assert consumer in ([finding["consumer"]] if finding["consumer"] else names), finding
    assert (tmp_path / "demo" / "reports" / "latest.html").stat().st_size > 5000
    scheduled = list((tmp_path / "demo" / "reports").glob("drift-*.json"))
    assert len(scheduled) >= 2  # the scheduler reviewed during the run, then the final review
