"""`Store`: additive, idempotent flushes of observation deltas, and merged loads over a window."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, bindparam, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from drift.core.observation import Observation, ObservationKey
from drift.edges.store import migrate
from drift.edges.store.batch import Batch, bucket_start
from drift.edges.store.engine import (
    BEGIN_OPTION,
    chunks,
    connect_engine,
    dialect_insert,
    display_url,
    parse_url,
    store_error,
    store_errors,
)
from drift.edges.store.errors import StoreError
from drift.edges.store.models import applied_batches, key_id, observations

__all__ = ["Store"]

log = logging.getLogger(__name__)

_T = observations.c


class _Row:
    """One (key, bucket) of a flush: the delta, merged with the stored row when there is one."""

    __slots__ = ("bucket", "ident", "key", "obs")

    def __init__(self, key: ObservationKey, bucket: datetime, obs: Observation) -> None:
        self.key, self.bucket, self.obs = key, bucket, obs
        self.ident = key_id(key)

    def values(self) -> dict[str, Any]:
        return {
            "key_id": self.ident,
            "bucket_start": self.bucket,
            "service": self.key.service,
            "method": self.key.method,
            "path": self.key.path,
            "declared": self.key.declared,
            "consumer": self.key.consumer,
            "status": self.key.status,
            **_columns(self.obs),
        }


def _columns(obs: Observation) -> dict[str, Any]:
    return {
        "count": obs.count,
        "first_seen": obs.first_seen,
        "last_seen": obs.last_seen,
        "data": orjson.dumps(obs.to_dict()).decode(),
    }


def _rows(items: Iterable[tuple[ObservationKey, datetime, Observation]]) -> list[_Row]:
    """Items keyed by (key, bucket), duplicates merged, in the one global lock order."""
    rows: dict[tuple[ObservationKey, datetime], _Row] = {}
    for key, start, obs in items:
        bucket = bucket_start(start)
        row = rows.get((key, bucket))
        if row is None:
            rows[(key, bucket)] = _Row(key, bucket, obs)
        else:
            row.obs = row.obs.merge(obs)
    return sorted(rows.values(), key=lambda r: (r.ident, r.bucket))


class Store:
    """Observations per (key, hourly bucket) in SQLite or PostgreSQL; safe for many flushers."""

    def __init__(self, engine: Engine, version: str) -> None:
        self._engine = engine
        self._version = version
        self.url_for_display = display_url(engine.url)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for the daemon's own tables in the same database."""
        return self._engine

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """INSERT with ON CONFLICT support for this database's dialect."""
        return dialect_insert(self._engine, table)

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Store:
        """Connect to the store at `url`; with `create`, make or upgrade its schema to head."""
        parsed = parse_url(url)
        engine = connect_engine(parsed, create=create)
        try:
            version = migrate.upgrade(engine, create=create)
        except StoreError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            raise store_error(exc, parsed, "open the store") from None
        return cls(engine, version)

    def _errors(self, doing: str) -> AbstractContextManager[None]:
        return store_errors(self._engine, doing)

    def flush(self, batch: Batch) -> bool:
        """Add every item of `batch` to the store, in one transaction.

        Returns False, changing nothing, when a batch with this id was already applied.
        """
        started = time.perf_counter()
        rows = _rows(batch.items)
        with self._errors("flush observations"), self._engine.begin() as conn:
            applied = self._claim(conn, batch, len(rows))
            if applied:
                self._add(conn, rows)
        log.debug(
            "store flush",
            extra={
                "items": len(rows),
                "applied": applied,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return applied

    def _claim(self, conn: Connection, batch: Batch, items: int) -> bool:
        claim = (
            self.insert(applied_batches)
            .values(id=batch.id, source=batch.source, applied_at=datetime.now(UTC), items=items)
            .on_conflict_do_nothing()
            .returning(applied_batches.c.id)
        )
        # a concurrent flush of the same id waits here until the first one commits or rolls back
        return conn.execute(claim).first() is not None

    def _add(self, conn: Connection, rows: list[_Row]) -> None:
        # Phase 1: insert the new (key, bucket) rows as they are, in lock order.
        existing: list[_Row] = []
        for chunk in chunks(rows, len(observations.columns)):
            stmt = (
                self.insert(observations)
                .values([row.values() for row in chunk])
                .on_conflict_do_nothing()
                .returning(_T.key_id, _T.bucket_start)
            )
            inserted = {(ident, bucket) for ident, bucket in conn.execute(stmt)}
            existing += [row for row in chunk if (row.ident, row.bucket) not in inserted]
        # Phase 2: lock the rows that were there (in lock order), merge in Python, write back.
        for chunk in chunks(existing, len(observations.columns)):
            wanted = {(row.ident, row.bucket): row for row in chunk}
            query = (
                select(_T.key_id, _T.bucket_start, _T.data)
                .where(tuple_(_T.key_id, _T.bucket_start).in_(list(wanted)))
                .order_by(_T.key_id, _T.bucket_start)
                .with_for_update()
            )
            for ident, bucket, data in conn.execute(query):
                row = wanted.pop((ident, bucket))
                row.obs = Observation.from_dict(orjson.loads(data)).merge(row.obs)
            if wanted:  # cannot happen: rows are never deleted under a flush's feet
                raise RuntimeError("store rows vanished during a flush")
            conn.execute(  # executemany; the SET columns are the other keys of each dict
                update(observations).where(
                    _T.key_id == bindparam("_key_id"), _T.bucket_start == bindparam("_bucket")
                ),
                [
                    {"_key_id": row.ident, "_bucket": row.bucket, **_columns(row.obs)}
                    for row in chunk
                ],
            )

    def services(self) -> list[str]:
        """The services that have observations in the store."""
        with self._errors("list services"), self._engine.connect() as conn:
            rows = conn.execute(select(observations.c.service).distinct())
            return sorted(str(r[0]) for r in rows)

    def load(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        services: Collection[str] | None = None,
        consumers: Collection[str] | None = None,
    ) -> dict[ObservationKey, Observation]:
        """Observations merged over the buckets whose start lies in [start, end)."""
        query = select(_T.service, _T.method, _T.path, _T.declared, _T.consumer, _T.status, _T.data)
        if start is not None:
            query = query.where(_T.bucket_start >= start)
        if end is not None:
            query = query.where(_T.bucket_start < end)
        if services is not None:
            query = query.where(_T.service.in_(list(services)))
        if consumers is not None:
            query = query.where(_T.consumer.in_(list(consumers)))
        out: dict[ObservationKey, Observation] = {}
        with self._errors("load observations"), self._engine.connect() as conn:
            conn = conn.execution_options(**{BEGIN_OPTION: "DEFERRED"}, yield_per=500)
            for service, method, path, declared, consumer, status, data in conn.execute(query):
                key = ObservationKey(service, method, path, bool(declared), consumer, status)
                obs = Observation.from_dict(orjson.loads(data))
                out[key] = out[key].merge(obs) if key in out else obs
        return out

    def prune(self, older_than: datetime) -> int:
        """Delete buckets that start before `older_than` (and older applied batch ids)."""
        with self._errors("prune observations"), self._engine.begin() as conn:
            removed = conn.execute(delete(observations).where(_T.bucket_start < older_than))
            conn.execute(delete(applied_batches).where(applied_batches.c.applied_at < older_than))
        log.info("store pruned", extra={"rows": removed.rowcount, "before": older_than.isoformat()})
        return int(removed.rowcount)

    def schema_version(self) -> str:
        """The Alembic revision the store's schema is at."""
        with self._errors("read the schema version"), self._engine.connect() as conn:
            conn = conn.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            return migrate.current_revision(conn) or ""

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url_for_display!r}, schema {self._version})"
