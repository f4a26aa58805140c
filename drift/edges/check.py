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
from drift.core.observe import Observer
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
) -> Report:
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
    findings = compare(contract, observations, policy, now)
    firsts = [o.first_seen for o in observations.values() if o.first_seen]
    lasts = [o.last_seen for o in observations.values() if o.last_seen]
    stats: dict[str, Any] = {
        "entries": entries,
        "exchanges": observer.counts["exchanges"],
        "skipped": skipped.total(),
        **({"skip_reasons": dict(skipped.most_common())} if skipped else {}),
        "operations_declared": len(contract.operations),
        "operations_seen": len({(k.method, k.path) for k in observations if k.declared}),
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
        },
        stats=stats,
        warnings=[p.describe() for p in contract.problems],
    )
