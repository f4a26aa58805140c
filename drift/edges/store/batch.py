"""`Batch` (one flush of a sidecar) and the hourly time buckets observations are stored in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from drift.core.observation import Observation, ObservationKey

__all__ = ["BUCKET", "Batch", "bucket_start"]

BUCKET = timedelta(hours=1)


def bucket_start(ts: datetime) -> datetime:
    """The start of the bucket holding `ts`: floored to the hour, in UTC (naive means UTC)."""
    ts = ts.replace(tzinfo=UTC) if ts.utcoffset() is None else ts.astimezone(UTC)
    return ts.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class Batch:
    """The observation deltas one sidecar flushes at once.

    `id` is unique per flush attempt and reused by its retries, so a retry is applied once.
    """

    id: str
    source: str  # sidecar name, e.g. hostname:pid
    items: Sequence[tuple[ObservationKey, datetime, Observation]]  # (key, bucket start, delta)
