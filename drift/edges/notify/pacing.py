"""Pacing: at most one message per `interval` seconds to each target (Slack allows about one
`chat.postMessage` per second per channel; faster bursts earn 429s)."""

from __future__ import annotations

from collections.abc import Hashable

from drift.edges.notify.clock import Clock

__all__ = ["Pacer"]


class Pacer:
    """Remembers when each target last got a message; `wait` sleeps until it may get another."""

    def __init__(self, clock: Clock, interval: float = 1.0) -> None:
        self._clock = clock
        self._interval = interval
        self._last: dict[Hashable, float] = {}

    def ready_in(self, target: Hashable) -> float:
        """Seconds until `target` may get its next message (0 when it may now)."""
        last = self._last.get(target)
        if last is None:
            return 0.0
        return max(0.0, last + self._interval - self._clock.monotonic())

    def wait(self, target: Hashable) -> None:
        """Sleep until `target` is ready, then count a message to it as sent now."""
        delay = self.ready_in(target)
        if delay > 0:
            self._clock.sleep(delay)
        self._last[target] = self._clock.monotonic()
