"""Scheduling: one run per job and period across replicas, coalescing, failures recorded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from drift.edges.daemon.runs import period_start, run_history
from drift.edges.daemon.scheduler import JobSpec, guarded, schedule
from drift.edges.store import Store
from tests.proxy_support import postgres_schema_url

T0 = datetime(2026, 11, 21, 9, 0, 7, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'runs.db'}")
        yield s
        s.close()
    else:
        with postgres_schema_url() as url:
            s = Store.open(url)
            yield s
            s.close()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_period_start_is_aligned_the_same_on_every_replica() -> None:
    every = timedelta(minutes=15)
    assert datetime(2026, 11, 21, 9, 0, tzinfo=UTC) == period_start(T0, every)
    assert period_start(T0, every) == period_start(T0 + timedelta(minutes=14, seconds=52), every)
    assert period_start(T0, every) != period_start(T0 + timedelta(minutes=15), every)


def test_two_replicas_firing_in_one_period_run_once(store: Store) -> None:
    ran: list[str] = []
    clock = Clock(T0)
    job = JobSpec(
        "review", lambda period: ran.append(period.isoformat()) or {}, every=timedelta(minutes=15)
    )
    a = guarded(job, store, clock=clock, owner="replica-a")
    b = guarded(job, store, clock=clock, owner="replica-b")
    assert [True, False] == [a(), b()]
    clock.now = T0 + timedelta(minutes=16)
    assert [True, False] == [b(), a()]
    assert 2 == len(ran)
    owners = [r["owner"] for r in run_history(store.engine, "review")]
    assert ["replica-b", "replica-a"] == owners


def test_a_failing_job_is_recorded_and_does_not_raise(store: Store) -> None:
    def boom(_period: datetime) -> dict[str, Any]:
        raise RuntimeError("contract vanished")

    fire = guarded(JobSpec("review", boom, every=timedelta(minutes=5)), store, clock=Clock(T0))
    assert fire() is False
    (run,) = run_history(store.engine, "review")
    assert ("failed", T0) == (run["status"], run["started_at"])
    assert '"error":"RuntimeError"' in run["summary"]


def test_real_schedulers_on_one_store_make_one_run_per_period(store: Store) -> None:
    """Two APScheduler instances (as two daemon replicas) with a 1 s interval, for ~3.5 s."""
    ran: list[tuple[str, str]] = []
    schedulers = []
    for owner in ("a", "b"):
        job = JobSpec(
            "tick",
            lambda p, o=owner: ran.append((o, p.isoformat())) or {},
            every=timedelta(seconds=1),
            run_at_start=True,
        )
        scheduler = BackgroundScheduler(timezone="UTC")
        schedule(scheduler, [job], store, misfire_grace=timedelta(seconds=1))
        schedulers.append(scheduler)
    for scheduler in schedulers:
        scheduler.start()
    time.sleep(3.5)
    for scheduler in schedulers:
        scheduler.shutdown(wait=True)
    periods = [p for _, p in ran]
    assert len(periods) >= 3
    assert len(periods) == len(set(periods))  # no period ran twice
    history = run_history(store.engine, "tick")
    assert sorted(periods) == sorted(r["period_start"].isoformat() for r in history)


def test_scheduled_jobs_coalesce_and_never_overlap(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs = [
        JobSpec("review", lambda p: {}, every=timedelta(minutes=15)),
        JobSpec("digest", lambda p: {}, cron="0 9 * * 1-5"),
    ]
    schedule(scheduler, jobs, store, misfire_grace=timedelta(minutes=5))
    got = {
        j.id: (j.coalesce, j.max_instances, j.misfire_grace_time, type(j.trigger).__name__)
        for j in scheduler.get_jobs()
    }
    assert {
        "review": (True, 1, 300, "IntervalTrigger"),
        "digest": (True, 1, 300, "CronTrigger"),
    } == got
    store.close()
