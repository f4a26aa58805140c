"""The notification outbox: `enqueue` messages (deduplicated by key), and a `Sender` that
delivers due rows at least once, paced per target, with capped exponential backoff.

All delivery state is in the `outbox` table, so deliveries survive restarts, and several daemons
can share one store: claims are leases (see `rows.py`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from drift.edges.notify import rows
from drift.edges.notify.clock import Clock, SystemClock
from drift.edges.notify.pacing import Pacer
from drift.edges.notify.sink import Delivery, DeliveryError, Sink
from drift.edges.store.engine import chunks, dialect_insert
from drift.edges.store.models import outbox

__all__ = ["Backoff", "OutboxMessage", "SendResult", "Sender", "enqueue"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message to deliver once: `dedupe_key` says what "once" means (see `compose.py`)."""

    dedupe_key: str
    sink: str  # slack, webhook
    target: str  # Slack channel id, or webhook name
    payload: dict[str, Any]


def enqueue(
    engine: Engine, messages: Iterable[OutboxMessage], *, now: datetime | None = None
) -> int:
    """Insert the messages whose key is new (ON CONFLICT DO NOTHING); returns how many."""
    when = now or SystemClock().now()
    unique = {m.dedupe_key: m for m in messages}  # the first wins, as in the table
    values = [
        {
            "dedupe_key": m.dedupe_key,
            "sink": m.sink,
            "target": m.target,
            "payload": orjson.dumps(m.payload).decode(),
            "created_at": when,
            "attempts": 0,
            "next_attempt_at": when,
        }
        for m in unique.values()
    ]
    inserted = 0
    with engine.begin() as conn:
        for chunk in chunks(values, len(outbox.columns)):
            stmt = (
                dialect_insert(engine, outbox)
                .values(list(chunk))
                .on_conflict_do_nothing(index_elements=[outbox.c.dedupe_key])
                .returning(outbox.c.id)
            )
            inserted += len(conn.execute(stmt).all())
    return inserted


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds before the next attempt: base · 2^(attempts-1), at most `cap`. After
    `max_attempts` the row is parked (see `rows.unpark`)."""

    base: float = 10.0
    cap: float = 3600.0
    max_attempts: int = 30

    def delay(self, attempts: int) -> float:
        return min(self.cap, self.base * 2.0 ** max(0, min(attempts - 1, 32)))


@dataclass(slots=True)
class SendResult:
    """What one pass of the sender did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    parked: int = 0
    lost: int = 0  # leases that ran out before the attempt (another sender has the row)
    errors: list[str] = field(default_factory=list)


class Sender:
    """Claims due rows, delivers each through its sink, and records the outcome.

    `after_attempt(delivery, receipt)` runs after a sink accepted a message and before the row
    is marked delivered: the window in which a crash leaves a sent-but-unmarked row. Tests use it
    to kill the process right there.
    """

    def __init__(
        self,
        engine: Engine,
        sinks: Mapping[str, Sink],
        *,
        clock: Clock | None = None,
        lease: timedelta = timedelta(minutes=3),
        batch: int = 10,
        backoff: Backoff | None = None,
        pacing: float = 1.0,
        after_attempt: Callable[[Delivery, str], None] | None = None,
    ) -> None:
        self._engine = engine
        self._sinks = dict(sinks)
        self._clock = clock or SystemClock()
        self._lease = lease
        self._batch = batch
        self._backoff = backoff or Backoff()
        self._pacer = Pacer(self._clock, pacing)
        self._after_attempt = after_attempt

    def send_due(self, stop: threading.Event | None = None) -> SendResult:
        """One pass: lease a batch of due rows and deliver them, each target paced."""
        result = SendResult()
        claims = rows.claim(
            self._engine,
            sinks=self._sinks,
            now=self._clock.now(),
            lease=self._lease,
            limit=self._batch,
        )
        result.claimed = len(claims)
        while claims:
            if stop is not None and stop.is_set():
                rows.release(self._engine, claims)
                break
            # the target that may be sent to soonest; ties keep the oldest row first
            index = min(range(len(claims)), key=lambda i: self._ready_in(claims[i]))
            self._attempt(claims.pop(index), result)
        if result.claimed:
            log.info(
                "outbox pass",
                extra={
                    "claimed": result.claimed,
                    "delivered": result.delivered,
                    "failed": result.failed,
                    "parked": result.parked,
                    "lost": result.lost,
                },
            )
        return result

    def run(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        """Send until `stop` is set; a store error is logged and the loop carries on."""
        while not stop.is_set():
            try:
                claimed = self.send_due(stop).claimed
            except SQLAlchemyError as exc:
                log.warning("outbox store error", extra={"error": type(exc).__name__})
                claimed = 0
            if not claimed:
                stop.wait(poll)

    def _ready_in(self, claimed: rows.Claim) -> float:
        return self._pacer.ready_in((claimed.sink, claimed.target))

    def _attempt(self, claimed: rows.Claim, result: SendResult) -> None:
        self._pacer.wait((claimed.sink, claimed.target))
        started = rows.start_attempt(
            self._engine, claimed, now=self._clock.now(), lease=self._lease
        )
        if started is None:
            result.lost += 1
            return
        delivery, lease = started
        try:
            receipt = self._sinks[delivery.sink].deliver(delivery)
        except DeliveryError as exc:
            self._failed(delivery, lease, exc, result)
            return
        except Exception as exc:  # a bug in a sink must not stop the other deliveries
            log.error("outbox sink crashed", extra={"id": delivery.id, "sink": delivery.sink})
            self._failed(delivery, lease, DeliveryError(f"unexpected {type(exc).__name__}"), result)
            return
        if self._after_attempt is not None:
            self._after_attempt(delivery, receipt)
        rows.mark_delivered(self._engine, delivery.id, now=self._clock.now(), receipt=receipt)
        result.delivered += 1

    def _failed(
        self, delivery: Delivery, lease: datetime, exc: DeliveryError, result: SendResult
    ) -> None:
        attempts = delivery.attempts + 1
        now = self._clock.now()
        if attempts >= self._backoff.max_attempts:
            next_at = rows.PARKED
            result.parked += 1
        else:
            delay = self._backoff.cap if exc.permanent else self._backoff.delay(attempts)
            if exc.retry_after is not None:  # the remote's own word beats our guess
                delay = exc.retry_after
            next_at = now + timedelta(seconds=delay)
        rows.mark_failed(
            self._engine, delivery.id, lease=lease, error=exc.reason, next_attempt_at=next_at
        )
        result.failed += 1
        result.errors.append(exc.reason)
        log.warning(
            "outbox delivery failed",
            extra={
                "id": delivery.id,
                "sink": delivery.sink,
                "target": delivery.target,
                "attempts": attempts,
                "error": exc.reason,
                "next_attempt_at": next_at.isoformat(),
            },
        )
