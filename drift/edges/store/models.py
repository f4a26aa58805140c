"""Tables of the store (SQLAlchemy Core): observations per (key, hour) and applied batch ids.
Created by the Alembic revisions in `migrations/versions`; autogenerate compares against these."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from drift.core.observation import ObservationKey

__all__ = [
    "UTCDateTime",
    "applied_batches",
    "findings",
    "key_id",
    "metadata",
    "observations",
    "outbox",
    "runs",
    "waivers",
]

metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out (SQLite keeps no zone; PostgreSQL uses timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


observations = Table(
    "observations",
    metadata,
    # sha256 of the key fields: a short, fixed-width primary key whatever the path length
    Column("key_id", String(64), primary_key=True),
    Column("bucket_start", UTCDateTime(), primary_key=True),
    Column("service", Text, nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("declared", Boolean, nullable=False),
    Column("consumer", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("first_seen", UTCDateTime(), nullable=True),
    Column("last_seen", UTCDateTime(), nullable=True),
    Column("data", Text, nullable=False),  # Observation.to_dict() as JSON
    Index("ix_observations_bucket_start", "bucket_start"),
    Index("ix_observations_service_bucket_start", "service", "bucket_start"),
)

applied_batches = Table(
    "applied_batches",
    metadata,
    Column("id", Text, primary_key=True),
    Column("source", Text, nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    Column("items", Integer, nullable=False),
    Index("ix_applied_batches_applied_at", "applied_at"),
)


def key_id(key: ObservationKey) -> str:
    """Stable identifier of an observation key (hex sha256 of its fields as a JSON array)."""
    fields = [key.service, key.method, key.path, key.declared, key.consumer, key.status]
    return hashlib.sha256(orjson.dumps(fields)).hexdigest()


# -- the daemon's state (revision 0002) ---------------------------------------------------------

findings = Table(
    "findings",
    metadata,
    Column("id", String(32), primary_key=True),  # Finding.id (stable fingerprint)
    Column("service", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # new, ongoing, resolved, regressed
    Column("first_seen", UTCDateTime(), nullable=True),  # from evidence
    Column("last_seen", UTCDateTime(), nullable=True),
    Column("first_reported", UTCDateTime(), nullable=False),  # first review that found it
    Column("last_reported", UTCDateTime(), nullable=False),  # last review that found it
    Column("unseen_reviews", Integer, nullable=False),  # reviews in a row without it
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("data", Text, nullable=False),  # the latest finding document (JSON)
    Index("ix_findings_service_state", "service", "state"),
)

waivers = Table(
    "waivers",
    metadata,
    Column("finding_id", String(32), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),  # None = until removed
    Column("source", String(16), nullable=False),  # baseline, cli, config
)

outbox = Table(
    "outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("dedupe_key", Text, nullable=False, unique=True),  # one message per key, ever
    Column("sink", String(16), nullable=False),  # slack, webhook
    Column("target", Text, nullable=False),  # channel or webhook name
    Column("payload", Text, nullable=False),  # JSON
    Column("created_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_until", UTCDateTime(), nullable=True),  # a sender's lease on this row
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("receipt", Text, nullable=True),  # e.g. Slack's message ts
    Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),
)

runs = Table(
    "runs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("period_start", UTCDateTime(), primary_key=True),  # one run per job and period
    Column("owner", Text, nullable=False),  # host:pid of the replica that won the period
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("status", String(16), nullable=False),  # running, ok, failed
    Column("summary", Text, nullable=True),  # JSON
)
