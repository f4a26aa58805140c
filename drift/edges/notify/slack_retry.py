"""A rate-limit retry handler for slack-sdk that caps how long it waits in-process.

slack-sdk's own `RateLimitErrorRetryHandler` sleeps for whatever Retry-After says (plus up to a
second of jitter) through `time.sleep`, with no cap. A 429 with a long Retry-After would block
the sender and outlive its lease on the outbox row. This handler retries in-process only when
Retry-After is at most `max_wait` seconds, sleeps through an injected function, and otherwise
lets the 429 through: the sink turns it into a `DeliveryError(retry_after=…)`, and the outbox
schedules the row after Retry-After, without blocking anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState

from drift.edges.notify.sink import retry_after

__all__ = ["CappedRateLimitRetryHandler"]


class CappedRateLimitRetryHandler(RetryHandler):
    """Retries a 429 after Retry-After seconds, only when that is at most `max_wait`."""

    def __init__(
        self,
        *,
        max_retry_count: int = 2,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self._sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and retry_after(response.headers) <= self.max_wait
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # _can_retry only says yes to a response
        state.next_attempt_requested = True
        self._sleep(retry_after(response.headers))
        state.increment_current_attempt()
