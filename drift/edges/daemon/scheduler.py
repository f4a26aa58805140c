"""APScheduler 3 wiring: jobs that claim their period in the store before they run.

Each job is coalesced (a backlog of missed runs becomes one), never runs twice at once in a
process (`max_instances=1`), tolerates a late start within `misfire_grace`, and runs only on
the replica that claims (job, period) in the shared store — so N replicas make one run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from drift.edges.config.units import cron_trigger
from drift.edges.daemon.runs import claim_run, finish_run, period_start, replica_name
from drift.edges.store import Store

__all__ = ["JobSpec", "guarded", "schedule"]

log = logging.getLogger(__name__)
CRON_PERIOD = timedelta(minutes=1)  # cron fires on minute boundaries


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    run: Callable[[datetime], dict[str, Any]]  # gets the period start; returns a summary
    every: timedelta | None = None
    cron: str | None = None
    run_at_start: bool = False

    @property
    def period(self) -> timedelta:
        return self.every if self.every is not None else CRON_PERIOD


def guarded(
    job: JobSpec,
    store: Store,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    owner: str | None = None,
) -> Callable[[], bool]:
    """The callable the scheduler runs: claim the period, run, record; never raises."""
    me = owner or replica_name()

    def fire() -> bool:
        now = clock()
        period = period_start(now, job.period)
        try:
            if not claim_run(store, job.name, period, owner=me, now=now):
                log.info(
                    "period already taken by another replica",
                    extra={"job": job.name, "period": period.isoformat()},
                )
                return False
        except Exception as exc:
            log.error(
                "cannot claim the run; skipping this period",
                extra={"job": job.name, "error": str(exc).splitlines()[0][:200]},
            )
            return False
        started = time.monotonic()
        ok, summary = True, {}
        try:
            summary = job.run(period)
        except Exception as exc:
            ok = False
            summary = {
                "error": type(exc).__name__,
                "detail": str(exc).splitlines()[0][:300] if str(exc) else "",
            }
            log.exception("job failed", extra={"job": job.name})
        summary["seconds"] = round(time.monotonic() - started, 3)
        try:
            finish_run(store, job.name, period, ok=ok, now=clock(), summary=summary)
        except Exception:
            log.exception("cannot record the run", extra={"job": job.name})
        log.info(
            "job done",
            extra={
                "job": job.name,
                "ok": ok,
                **{k: v for k, v in summary.items() if isinstance(v, int | float | str)},
            },
        )
        return ok

    return fire


def schedule(
    scheduler: BaseScheduler,
    jobs: list[JobSpec],
    store: Store,
    *,
    misfire_grace: timedelta,
    timezone: str = "UTC",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    for job in jobs:
        if job.every is not None:
            trigger: Any = IntervalTrigger(seconds=job.every.total_seconds(), timezone=timezone)
        elif job.cron is not None:
            trigger = cron_trigger(job.cron, timezone)  # crontab weekdays, unlike from_crontab
        else:
            raise ValueError(f"job {job.name!r} needs `every` or `cron`")
        scheduler.add_job(
            guarded(job, store, clock=clock),
            trigger=trigger,
            id=job.name,
            name=job.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(misfire_grace.total_seconds()) or 1,
            **({"next_run_time": datetime.now(UTC)} if job.run_at_start else {}),
            replace_existing=True,
        )
