"""Helpers for tests/test_store.py: observations from a tiny contract, and flushing workers that
run in separate (spawned) processes or threads."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, make_url, text

from drift.core.contract.openapi import build_contract
from drift.core.exchange import Body, BodyState, Exchange
from drift.core.observation import Observation, ObservationKey
from drift.core.observe import Observer
from drift.edges.store import Batch, Store

__all__ = [
    "H0",
    "PG_URL",
    "as_dicts",
    "flush_worker",
    "hour",
    "items_as_data",
    "make_batch",
    "observe",
    "postgres_schema_url",
]

PG_URL = os.environ.get("DRIFT_TEST_POSTGRES_URL", "")
H0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # start of the first bucket used by the tests

_DOC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "pets", "version": "1"},
    "paths": {
        "/pets/{id}": {
            "get": {
                "parameters": [{"name": "id", "in": "path", "required": True}],
                "responses": {"200": {"description": "a pet"}, "404": {"description": "none"}},
            }
        },
        "/pets": {"post": {"responses": {"201": {"description": "created"}}}},
    },
}


def hour(n: int) -> datetime:
    return H0 + timedelta(hours=n)


def observe(
    *,
    service: str = "pets",
    consumer: str | None = "web",
    when: datetime = H0,
    n: int = 3,
    extra_field: bool = False,
) -> dict[ObservationKey, Observation]:
    """Observations of `n` GETs (200 and 404) and one POST, by one consumer, at `when`."""
    contract = build_contract({"mem:/c": _DOC}, "mem:/c", source="c", service=service)
    observer = Observer(contract)
    for i in range(n):
        body: dict[str, Any] = {"id": i, "name": "rex", "tags": ["a"]}
        if extra_field:
            body["owner"] = {"email": "someone@example.com"}
        observer.add(
            Exchange(
                method="GET",
                path=f"/pets/{i}",
                status=404 if i % 3 == 2 else 200,
                request=Body(None, BodyState.EMPTY),
                response=Body("application/json", BodyState.JSON, body),
                query=("verbose",),
                consumer=consumer,
                latency_ms=12.5 + i,
                timestamp=when + timedelta(minutes=i),
            )
        )
    observer.add(
        Exchange(
            method="POST",
            path="/pets",
            status=201,
            request=Body("application/json", BodyState.JSON, {"name": "rex"}),
            response=Body(None, BodyState.EMPTY),
            consumer=consumer,
            timestamp=when,
        )
    )
    return observer.snapshot()


def make_batch(
    observations: dict[ObservationKey, Observation], bucket: datetime, batch_id: str | None = None
) -> Batch:
    items = [(key, bucket, obs) for key, obs in observations.items()]
    return Batch(id=batch_id or uuid.uuid4().hex, source="test", items=items)


def as_dicts(observations: dict[ObservationKey, Observation]) -> dict[ObservationKey, Any]:
    return {key: obs.to_dict() for key, obs in observations.items()}


def flush_worker(
    url: str,
    worker: int,
    batches: int,
    items: list[tuple[ObservationKey, str, dict[str, Any]]],
    barrier: Any,
    results: Any,
) -> None:
    """Flush `batches` batches of `items`, retrying every tenth (same id); report the outcomes.

    Runs in a spawned process (or a thread): items arrive as plain data and are rebuilt here.
    """
    rows = [(key, datetime.fromisoformat(b), Observation.from_dict(d)) for key, b, d in items]
    store = Store.open(url, create=False)
    applied = retried = 0
    try:
        barrier.wait(timeout=60)
        for i in range(batches):
            batch = Batch(id=f"w{worker}-b{i}", source=f"worker-{worker}", items=rows)
            applied += store.flush(batch)
            if i % 10 == 0:
                retried += store.flush(batch)  # a retry after a lost acknowledgement
    finally:
        store.close()
    results.put((worker, applied, retried))


@contextmanager
def postgres_schema_url(base: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema (search_path), dropped afterwards."""
    url = make_url(base).set(drivername="postgresql+psycopg")
    schema = f"drift_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))  # fail, not hang, on a leak
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def items_as_data(
    observations: dict[ObservationKey, Observation], buckets: Iterable[datetime]
) -> list[tuple[ObservationKey, str, dict[str, Any]]]:
    return [
        (key, bucket.isoformat(), obs.to_dict())
        for bucket in buckets
        for key, obs in observations.items()
    ]
