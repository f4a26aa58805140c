"""What the sender hands a sink (`Delivery`), and how a sink says a delivery failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.error import URLError

from drift.errors import DriftError

__all__ = [
    "Delivery",
    "DeliveryError",
    "NotifyConfigError",
    "Sink",
    "connection_reason",
    "retry_after",
]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed outbox row. `attempts` counts earlier attempts (0 on the first one)."""

    id: int
    dedupe_key: str
    sink: str
    target: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


class DeliveryError(Exception):
    """A delivery did not happen (or may not have). The outbox retries it later.

    `retry_after` (seconds) is the remote's own wish (Slack's Retry-After); `permanent` means
    retrying soon cannot help (bad token, unknown channel), so the next attempt waits the longest
    backoff.
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class NotifyConfigError(DriftError):
    """A sink cannot be set up: a missing environment variable, an unknown target."""


class Sink(Protocol):
    def deliver(self, delivery: Delivery) -> str:
        """Deliver, returning a receipt (e.g. Slack's channel:ts); raise `DeliveryError`."""
        ...


def retry_after(headers: Mapping[str, Any], default: float = 1.0) -> float:
    """Retry-After in seconds from response headers (any case; plain or list values)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(text))
            except (TypeError, ValueError):
                return default  # an HTTP date: rare from these remotes; wait the default
    return default


def connection_reason(exc: BaseException) -> str:
    """Why a connection failed, without URLs or headers: 'Connection refused', 'timed out'."""
    inner = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror
    if isinstance(inner, str):
        return inner[:200]
    return type(inner).__name__
