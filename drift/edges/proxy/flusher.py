"""Write observation snapshots to the store from a background thread, surviving store outages.

A failed batch is retried *unchanged* under the same id (the store applies a batch id once, so
a retry after a lost acknowledgement is not counted twice); newer snapshots accumulate in a
pending set, merged per (key, hour bucket), within a memory bound. What had to be dropped is
counted. Nothing here blocks or disturbs the proxy.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from drift.core.observation import Observation, ObservationKey
from drift.edges.store import Batch, Store, bucket_start

__all__ = ["Flusher"]

log = logging.getLogger(__name__)
PendingKey = tuple[ObservationKey, datetime]


class Flusher:
    def __init__(
        self,
        store_factory: Callable[[], Store],
        *,
        interval: float = 5.0,
        max_pending: int = 20_000,
        max_backoff: float = 60.0,
        source: str | None = None,
    ) -> None:
        self.store_factory = store_factory
        self.interval = interval
        self.max_pending = max_pending
        self.max_backoff = max_backoff
        self.source = source or f"{socket.gethostname()}:{id(self):x}"
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._pending: dict[PendingKey, Observation] = {}
        self._inflight: Batch | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drift-flush", daemon=True)
        self.flushes = 0
        self.failures = 0
        self.dropped = 0  # observations (key deltas) dropped because pending was full
        self.last_flush_seconds = 0.0
        self.last_success: float | None = None
        self._backoff = 0.0

    def start(self) -> None:
        self._thread.start()

    @property
    def pending(self) -> int:
        return len(self._pending) + (len(self._inflight.items) if self._inflight else 0)

    def submit(self, snapshot: dict[ObservationKey, Observation]) -> None:
        """Called by the capture worker; merges into pending, never blocks on the store."""
        now = datetime.now(UTC)
        with self._lock:
            for key, obs in snapshot.items():
                slot = (key, bucket_start(obs.first_seen or now))
                held = self._pending.get(slot)
                if held is not None:
                    self._pending[slot] = held.merge(obs)
                elif len(self._pending) < self.max_pending:
                    self._pending[slot] = obs
                else:
                    self.dropped += 1

    def stop(self, timeout: float = 10.0) -> None:
        """Flush what is pending (bounded by `timeout`), then close the store."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._store is not None:
            self._store.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval + self._backoff)
            self._wake.clear()
            self.flush_once()
        deadline = time.monotonic() + 5.0
        while (self._inflight or self._pending) and time.monotonic() < deadline:
            if not self.flush_once():
                time.sleep(0.2)

    def flush_once(self) -> bool:
        """Write the in-flight batch (or the next one); False when the store failed."""
        with self._lock:
            if self._inflight is None and self._pending:
                items = [
                    (k, b, o)
                    for (k, b), o in self._pending.items()  # the store orders rows
                ]
                self._inflight = Batch(id=uuid.uuid4().hex, source=self.source, items=items)
                self._pending = {}
            batch = self._inflight
        if batch is None:
            return True
        started = time.monotonic()
        try:
            if self._store is None:
                self._store = self.store_factory()
            self._store.flush(batch)
        except Exception as exc:
            self.failures += 1
            self._backoff = min(self.max_backoff, max(1.0, self._backoff * 2))
            log.warning(
                "store flush failed; will retry",
                extra={
                    "error": str(exc).splitlines()[0][:200],
                    "items": len(batch.items),
                    "retry_in_s": self._backoff,
                },
            )
            self._drop_store()
            return False
        self.last_flush_seconds = time.monotonic() - started
        self.last_success = time.time()
        self.flushes += 1
        self._backoff = 0.0
        with self._lock:
            self._inflight = None
        log.debug(
            "flushed",
            extra={"items": len(batch.items), "ms": round(self.last_flush_seconds * 1000, 1)},
        )
        return True

    def _drop_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            try:
                store.close()
            except Exception:
                log.debug("closing a failed store", exc_info=True)
