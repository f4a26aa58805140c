"""The observation store: sidecars flush observation deltas (additive, idempotent per batch id);
the daemon and `drift check` load merged windows. SQLite (WAL) by default, or PostgreSQL."""

from __future__ import annotations

from drift.edges.store.batch import BUCKET, Batch, bucket_start
from drift.edges.store.errors import StoreError
from drift.edges.store.read import StoredService, read_service
from drift.edges.store.store import Store

__all__ = [
    "BUCKET",
    "Batch",
    "Store",
    "StoreError",
    "StoredService",
    "bucket_start",
    "read_service",
]
