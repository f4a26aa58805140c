"""Schema migrations: Alembic run from code (no alembic.ini), one migrator at a time (PostgreSQL
advisory lock per schema, SQLite `BEGIN IMMEDIATE`); schemas newer than this drift are refused."""

from __future__ import annotations

import logging
import threading
import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from drift.edges.store.engine import display_url
from drift.edges.store.errors import StoreError

__all__ = ["SCRIPT_LOCATION", "current_revision", "head_revision", "upgrade"]

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"
_LOCK_CLASS = 0x64726966  # "drif": first key of pg_advisory_xact_lock(int, int)
_ALEMBIC = threading.Lock()  # alembic's `context` / `op` proxies are process-global


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "drift ships at least one migration"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _lock(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return  # SQLite: the surrounding BEGIN IMMEDIATE already excludes other writers
    schema = connection.execute(text("SELECT current_schema()")).scalar_one() or ""
    key = zlib.crc32(schema.encode()) - 2**31  # the schema's lock: int4 range
    connection.execute(text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": _LOCK_CLASS, "k": key})


def upgrade(engine: Engine, *, create: bool) -> str:
    """Bring the schema to head (when `create`) and return the revision it is at.

    Raises `StoreError` when the schema is newer than this drift knows, or (without `create`)
    when it is missing or older.
    """
    shown = display_url(engine.url)
    script = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in script.walk_revisions()}
    with engine.connect() as connection, connection.begin():
        _lock(connection)
        current = current_revision(connection)
        if current is not None and current not in known:
            raise StoreError(
                f"the store's schema is at revision {current!r}, newer than this drift knows",
                url=shown,
                hint="upgrade drift to the version the other sidecars and the daemon run",
            )
        wanted = script.get_current_head()
        assert wanted is not None, "drift ships at least one migration"
        if current == wanted:
            return wanted
        if not create:
            found = f"at revision {current!r}" if current else "not initialised"
            raise StoreError(
                f"the store's schema is {found}; this drift needs {wanted!r}",
                url=shown,
                hint="open the store with create enabled once to create or upgrade its tables",
            )
        with _ALEMBIC:  # taken after the database lock, so the two cannot deadlock
            command.upgrade(_config(connection), wanted)
        log.info("store schema upgraded", extra={"from_revision": current, "to_revision": wanted})
        return wanted
