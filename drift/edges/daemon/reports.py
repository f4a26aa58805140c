"""Write reports into the reports directory (atomically), keep `latest.*`, prune old ones."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from drift.core.render import render
from drift.core.report import Report

__all__ = ["EXTENSIONS", "prune_reports", "write_reports"]

log = logging.getLogger(__name__)
EXTENSIONS = {"html": "html", "markdown": "md", "json": "json", "text": "txt", "sarif": "sarif"}
_NAME = re.compile(r"^drift-(\d{8}T\d{6}Z)\.\w+$")


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".drift-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(report: Report, directory: Path, formats: tuple[str, ...]) -> list[Path]:
    """`drift-<time>.<ext>` per format, plus `latest.<ext>`; returns the dated files."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = report.generated_at.strftime("%Y%m%dT%H%M%SZ")
    written = []
    for fmt in formats:
        text = render(report, fmt)
        path = directory / f"drift-{stamp}.{EXTENSIONS[fmt]}"
        _write(path, text)
        _write(directory / f"latest.{EXTENSIONS[fmt]}", text)
        written.append(path)
    return written


def prune_reports(directory: Path, *, keep: timedelta, now: datetime) -> int:
    """Delete dated reports older than `keep` (by the time in their name)."""
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.iterdir():
        m = _NAME.match(path.name)
        if not m:
            continue
        stamp = datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=now.tzinfo)
        if now - stamp > keep:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("old reports removed", extra={"removed": removed, "directory": str(directory)})
    return removed
