"""The `drift diff` pipeline: two contract files (and optionally the store) → `DiffReport`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drift.core.diff import DiffReport, build_diff_report
from drift.core.diff.impact import UNIDENTIFIED
from drift.core.observation import Observation, ObservationKey
from drift.core.render.document import iso_or_none
from drift.edges.contracts import load_contract

__all__ = ["run_diff"]

log = logging.getLogger(__name__)


def _load_observations(
    store_url: str, service: str, start: datetime | None
) -> tuple[dict[ObservationKey, Observation], dict[str, Any]]:
    from drift.edges.store import read_service

    read = read_service(store_url, service, start=start)
    loaded, shown = read.observations, read.shown
    firsts = [o.first_seen for o in loaded.values() if o.first_seen is not None]
    lasts = [o.last_seen for o in loaded.values() if o.last_seen is not None]
    meta: dict[str, Any] = {
        "store": shown,
        "service": service,
        "since": iso_or_none(start),
        "window": {
            "start": iso_or_none(min(firsts, default=None)),
            "end": iso_or_none(max(lasts, default=None)),
        },
        "exchanges": sum(o.count for o in loaded.values()),
        "consumers": sorted({k.consumer or UNIDENTIFIED for k in loaded}),
    }
    return loaded, meta


def run_diff(
    old_path: str | Path,
    new_path: str | Path,
    *,
    store_url: str | None = None,
    since_seconds: float | None = None,
    service: str | None = None,
    now: datetime | None = None,
) -> DiffReport:
    """Diff two contract versions; with `store_url`, add which observed consumers each hits.

    Observations are those of the old version's service (`service` overrides the name taken
    from the contract title), over the last `since_seconds` before `now` when given.
    """
    old = load_contract(old_path, service=service)
    new = load_contract(new_path, service=service)
    observations = None
    meta: dict[str, Any] = {}
    if store_url:
        start = None
        if since_seconds is not None:
            start = (now or datetime.now(UTC)) - timedelta(seconds=since_seconds)
        observations, meta = _load_observations(store_url, old.service, start)
    report = build_diff_report(old, new, observations=observations, observed=meta)
    log.info(
        "diff done",
        extra={"changes": len(report.changes), **report.summary["by_category"]},
    )
    return report
