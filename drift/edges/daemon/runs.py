"""One run per job and period, across every replica sharing the store.

Replicas race to insert the (job, period_start) row; the primary key lets exactly one win.
A replica that dies mid-run leaves a `running` row; the period is then missed rather than run
twice (the next period runs as usual), which is the safe side for alerts.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from drift.core.report import window_start
from drift.edges.store import Store
from drift.edges.store.models import runs

__all__ = ["claim_run", "finish_run", "period_start", "replica_name", "run_history"]


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def period_start(now: datetime, every: timedelta) -> datetime:
    """The start of the period `now` falls in, aligned to the epoch (same on every replica)."""
    return window_start(now, every)


def claim_run(store: Store, job: str, period: datetime, *, owner: str, now: datetime) -> bool:
    """True for the one replica that gets to run `job` for `period`."""
    statement = (
        store.insert(runs)
        .values(job=job, period_start=period, owner=owner, started_at=now, status="running")
        .on_conflict_do_nothing()
        .returning(runs.c.job)
    )
    with store.engine.begin() as conn:
        return conn.execute(statement).first() is not None


def finish_run(
    store: Store, job: str, period: datetime, *, ok: bool, now: datetime, summary: dict[str, Any]
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(runs)
            .where(runs.c.job == job, runs.c.period_start == period)
            .values(
                finished_at=now,
                status="ok" if ok else "failed",
                summary=orjson.dumps(summary, default=str).decode(),
            )
        )


def run_history(engine: Engine, job: str, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(runs).where(runs.c.job == job).order_by(runs.c.period_start.desc()).limit(limit)
        ).mappings()
        return [dict(r) for r in rows]
