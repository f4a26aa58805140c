"""State changes of outbox rows: claim due rows under a lease, start an attempt, mark the outcome.

Every state lives in the row, so a restarted daemon carries on where the last one stopped. A claim
sets `claimed_until` (a lease); other senders skip leased rows until the lease runs out. The lease
value doubles as a fencing token: a sender only changes a row while `claimed_until` still holds the
value it wrote, so a sender whose lease expired cannot overwrite a newer claim.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, and_, or_, select, update

from drift.edges.notify.sink import Delivery
from drift.edges.store.models import outbox

__all__ = [
    "PARKED",
    "Claim",
    "claim",
    "mark_delivered",
    "mark_failed",
    "prune",
    "release",
    "start_attempt",
    "unpark",
]

# next_attempt_at of a row the sender gave up on; `unpark` makes such rows due again
PARKED = datetime(9999, 1, 1, tzinfo=UTC)

_O = outbox.c


@dataclass(frozen=True, slots=True)
class Claim:
    """A row this sender leased, not yet attempted."""

    id: int
    dedupe_key: str
    sink: str
    target: str
    payload: dict[str, Any]
    created_at: datetime
    lease: datetime  # the claimed_until value this sender wrote


def _unleased(now: datetime) -> Any:
    return or_(_O.claimed_until.is_(None), _O.claimed_until < now)


def claim(
    engine: Engine, *, sinks: Collection[str], now: datetime, lease: timedelta, limit: int
) -> list[Claim]:
    """Lease up to `limit` due, undelivered, unleased rows of the given sinks, oldest due first.

    PostgreSQL: the subquery locks candidates FOR UPDATE SKIP LOCKED, so concurrent senders
    take disjoint rows without waiting. SQLite: the store begins every write transaction
    IMMEDIATE, so claims run one at a time; the lease condition is repeated in the UPDATE so a
    row is only ever taken when nobody holds it.
    """
    until = now + lease
    due = (
        select(_O.id)
        .where(
            _O.delivered_at.is_(None),
            _O.next_attempt_at <= now,
            _O.sink.in_(list(sinks)),
            _unleased(now),
        )
        .order_by(_O.next_attempt_at, _O.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(outbox)
        .where(_O.id.in_(due.scalar_subquery()), _O.delivered_at.is_(None), _unleased(now))
        .values(claimed_until=until)
        .returning(_O.id, _O.dedupe_key, _O.sink, _O.target, _O.payload, _O.created_at)
    )
    with engine.begin() as conn:
        rows = conn.execute(stmt).all()
    claims = [
        Claim(
            id=row.id,
            dedupe_key=row.dedupe_key,
            sink=row.sink,
            target=row.target,
            payload=orjson.loads(row.payload),
            created_at=row.created_at,
            lease=until,
        )
        for row in rows
    ]
    return sorted(claims, key=lambda c: c.id)


def start_attempt(
    engine: Engine, claimed: Claim, *, now: datetime, lease: timedelta
) -> tuple[Delivery, datetime] | None:
    """Renew the lease for one full attempt and count the attempt *before* it is made.

    Counting first matters: if the process dies after the remote accepted the message but before
    `mark_delivered`, the row shows an attempt, and the next sender checks for the earlier
    delivery before sending again. None when the lease was lost (another sender has the row).
    """
    until = now + lease
    stmt = (
        update(outbox)
        .where(_O.id == claimed.id, _O.claimed_until == claimed.lease, _O.delivered_at.is_(None))
        .values(claimed_until=until, attempts=_O.attempts + 1)
        .returning(_O.attempts)
    )
    with engine.begin() as conn:
        attempts = conn.execute(stmt).scalar()
    if attempts is None:
        return None
    delivery = Delivery(
        id=claimed.id,
        dedupe_key=claimed.dedupe_key,
        sink=claimed.sink,
        target=claimed.target,
        payload=claimed.payload,
        created_at=claimed.created_at,
        attempts=int(attempts) - 1,
    )
    return delivery, until


def mark_delivered(engine: Engine, row_id: int, *, now: datetime, receipt: str) -> None:
    """Delivered is the truth whoever holds the lease, so this needs no fencing."""
    stmt = (
        update(outbox)
        .where(_O.id == row_id, _O.delivered_at.is_(None))
        .values(delivered_at=now, receipt=receipt, claimed_until=None, last_error=None)
    )
    with engine.begin() as conn:
        conn.execute(stmt)


def mark_failed(
    engine: Engine, row_id: int, *, lease: datetime, error: str, next_attempt_at: datetime
) -> bool:
    """Record the failure and when to try again; False when the lease was lost meanwhile."""
    stmt = (
        update(outbox)
        .where(_O.id == row_id, _O.claimed_until == lease, _O.delivered_at.is_(None))
        .values(last_error=error[:2000], next_attempt_at=next_attempt_at, claimed_until=None)
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def release(engine: Engine, claims: Iterable[Claim]) -> int:
    """Give back leased rows that were not attempted (the sender is stopping)."""
    released = 0
    with engine.begin() as conn:
        for claimed in claims:
            stmt = (
                update(outbox)
                .where(_O.id == claimed.id, _O.claimed_until == claimed.lease)
                .values(claimed_until=None)
            )
            released += conn.execute(stmt).rowcount
    return released


def unpark(engine: Engine, *, now: datetime) -> int:
    """Make rows the sender gave up on due again (after fixing a token or a channel).

    Their attempts stay counted, so the first new attempt still checks for an earlier delivery.
    """
    stmt = (
        update(outbox)
        .where(_O.delivered_at.is_(None), _O.next_attempt_at >= PARKED)
        .values(next_attempt_at=now)
    )
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount)


def prune(engine: Engine, *, delivered_before: datetime) -> int:
    """Delete rows delivered before the given time (their dedupe windows are long past)."""
    stmt = outbox.delete().where(
        and_(_O.delivered_at.is_not(None), _O.delivered_at < delivered_before)
    )
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount)
