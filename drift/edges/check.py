"""The `drift check` pipeline: contract + recorded traffic → report (files in, report out)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

from drift.core.compare import Policy, compare
from drift.core.observation import merge_all
from drift.core.observe import Observer
from drift.core.opstats import operation_stats
from drift.core.regroup import regroup_undeclared
from drift.core.report import Report, Window, build_report
from drift.edges.contracts import load_contract
from drift.edges.har import iter_har

__all__ = ["Progress", "run_check"]

log = logging.getLogger(__name__)

# (file name, total entries) -> context manager yielding an `advance()` callable
Progress = Callable[[str, int], AbstractContextManager[Callable[[], None]]]


def _no_progress(_name: str, _total: int) -> AbstractContextManager[Callable[[], None]]:
    return nullcontext(lambda: None)


def run_check(
    contract_path: str | Path,
    har_paths: Sequence[str | Path],
    *,
    now: datetime,
    policy: Policy | None = None,
    consumer_header: str | None = None,
    service: str | None = None,
    progress: Progress = _no_progress,
    store_url: str | None = None,
    window: Window | None = None,
    consumers: Sequence[str] = (),
) -> Report:
    """Compare a contract with HAR files and/or stored observations (within `window`)."""
    contract = load_contract(contract_path, service=service)
    observer = Observer(contract)
    skipped: Counter[str] = Counter()
    entries = 0
    for har in har_paths:
        total, exchanges = iter_har(
            har,
            consumer_header=consumer_header,
            service=contract.service,
            on_skip=lambda _i, reason: skipped.update([reason]),
        )
        entries += total
        with progress(Path(har).name, total) as advance:
            for exchange in exchanges:
                observer.add(exchange)
                advance()
    observations = observer.snapshot()
    stored = 0
    store_warnings: list[str] = []
    shown = None
    if store_url:
        from drift.edges.store import read_service

        read = read_service(
            store_url,
            contract.service,
            start=window.start if window else None,
            end=window.end if window else None,
            consumers=consumers,
        )
        loaded, stored, shown = read.observations, read.count, read.shown
        if not loaded:
            where = f"; it holds {', '.join(read.others)} (pick one with --service)"
            store_warnings.append(
                f"the store has no observations of service {contract.service!r}"
                + (where if read.others else "")
            )
        observations = regroup_undeclared(merge_all(observations, loaded))
    findings = compare(contract, observations, policy, now)
    firsts = [o.first_seen for o in observations.values() if o.first_seen]
    lasts = [o.last_seen for o in observations.values() if o.last_seen]
    stats: dict[str, Any] = {
        "entries": entries,
        "exchanges": observer.counts["exchanges"] + stored,
        **({"stored_exchanges": stored} if store_url else {}),
        "skipped": skipped.total(),
        **({"skip_reasons": dict(skipped.most_common())} if skipped else {}),
        "operations_declared": len(contract.operations),
        "operations_seen": len({(k.method, k.path) for k in observations if k.declared}),
        "operations": operation_stats(contract, observations),
        "undeclared_exchanges": observer.counts["undeclared-path"]
        + observer.counts["undeclared-method"],
    }
    log.info(
        "check done",
        extra={
            "findings": len(findings),
            "exchanges": stats["exchanges"],
            "skipped": stats["skipped"],
        },
    )
    return build_report(
        findings,
        generated_at=now,
        window=Window(min(firsts, default=None), max(lasts, default=None)),
        sources={
            "contract": str(contract_path),
            "har": [str(p) for p in har_paths],
            "service": contract.service,
            **({"store": shown} if shown else {}),
        },
        stats=stats,
        warnings=store_warnings + [p.describe() for p in contract.problems],
    )
