"""Store URLs and engines: URL checks, SQLite (WAL, busy timeout, BEGIN IMMEDIATE) and PostgreSQL
(psycopg 3) engine set-up, and database errors turned into `StoreError`s with a hint."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import URL, Connection, Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from drift.edges.store.errors import StoreError

__all__ = [
    "BUSY_TIMEOUT_S",
    "chunks",
    "connect_engine",
    "dialect_insert",
    "display_url",
    "parse_url",
    "store_error",
    "store_errors",
]

BUSY_TIMEOUT_S = 10.0  # SQLite: how long a writer waits for another one before giving up
CONNECT_TIMEOUT_S = 10  # PostgreSQL: default connect_timeout when the URL sets none
BEGIN_OPTION = "drift_sqlite_begin"  # execution option: "IMMEDIATE" (default) or "DEFERRED"

_URL_FORMS = "sqlite:///path/to/drift.db or postgresql://user@host:5432/db"
_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}
_PASSWORD = re.compile(r"(://[^:/?#@]*:)[^@/?#]*@")


def display_url(url: str | URL) -> str:
    """The URL with any password replaced by ***, also for strings that do not parse."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
        return _PASSWORD.sub(r"\1***@", url)


def parse_url(url: str) -> URL:
    """Parse and check a store URL; `postgresql://` means psycopg 3."""
    shown = display_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError("not a database URL", url=shown, hint=f"use {_URL_FORMS}") from None
    driver = _SCHEMES.get(parsed.drivername)
    if driver is None:
        raise StoreError(
            f"unsupported database {parsed.drivername!r}",
            url=shown,
            hint=f"drift stores observations in SQLite or PostgreSQL: {_URL_FORMS}",
        )
    parsed = parsed.set(drivername=driver)
    if driver == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StoreError(
            "an in-memory SQLite database cannot be shared by sidecars and the daemon",
            url=shown,
            hint="give a file path: sqlite:///path/to/drift.db (four slashes for an absolute path)",
        )
    if driver != "sqlite" and not parsed.database:
        raise StoreError("no database name in the URL", url=shown, hint=f"use {_URL_FORMS}")
    return parsed


def sqlite_path(url: URL) -> Path:
    assert url.database
    return Path(url.database).expanduser()


def connect_engine(url: URL, *, create: bool) -> Engine:
    """An engine for a checked URL; creates the SQLite file's directory when `create`."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, create=create)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        connect_args["application_name"] = "drift"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True)


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    path = sqlite_path(url)
    shown = display_url(url)
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the directory {str(path.parent)!r}: {exc.strerror or exc}",
                url=shown,
                hint="choose a path this user may write to, or create the directory first",
            ) from None
    elif not path.is_file():
        raise StoreError(
            f"no store file at {str(path)!r}",
            url=shown,
            hint="check the path, or let drift create the store (open it with create)",
        )
    engine = create_engine(url, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's documented recipe: stop pysqlite from emitting BEGIN itself; `begin` below does
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; no fsync per commit
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front, so concurrent writers queue on busy_timeout
    # instead of failing with "database is locked" when a read lock would need upgrading.
    mode = conn.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
    conn.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


_REACH = "check that PostgreSQL is running and reachable from here (host, port, firewall)"
_WRITABLE = "make the file and its directory writable by this user, or choose another path"
_HINTS: tuple[tuple[str, str], ...] = (  # first match wins: lower-case needle, hint
    ("password authentication failed", "check the user and password (URL, PGPASSWORD, ~/.pgpass)"),
    ("no password supplied", "give the password in the URL, PGPASSWORD or ~/.pgpass"),
    ("no such table", "the store's tables are missing; open the store with create to make them"),
    ("relation", "the store's tables are missing; open the store with create to make them"),
    ("does not exist", "create the database first, or fix its name in the URL"),
    ("unable to open database file", "check the directory exists and this user may write there"),
    ("readonly database", _WRITABLE),
    ("read-only", _WRITABLE),
    ("database is locked", "another process held the store too long; retry, look for a stuck one"),
    ("file is not a database", "the path is not a SQLite file; use a drift store or a new path"),
    ("resolve", "check the host name in the URL"),
    ("timeout", _REACH),
    ("connect", _REACH),
)


def store_error(exc: BaseException, url: URL, doing: str) -> StoreError:
    """A `StoreError` for a database error: the driver's first line, no SQL, no parameters."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    reason = lines[0] if lines else type(orig).__name__
    if url.password:
        reason = reason.replace(str(url.password), "***")
    text = " ".join(lines).lower()
    hint = next((h for needle, h in _HINTS if needle in text), "check the URL and the database")
    return StoreError(f"cannot {doing}: {reason}", url=display_url(url), hint=hint)


_Item = TypeVar("_Item")
# SQLite's bound-parameter limit before 3.32 (2020); multi-row statements stay under it.
SQLITE_MAX_PARAMETERS = 999


def chunks(items: Sequence[_Item], columns: int) -> Iterator[Sequence[_Item]]:
    """Slices of `items` small enough for one multi-row statement of `columns` columns."""
    size = max(1, SQLITE_MAX_PARAMETERS // max(1, columns))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dialect_insert(engine: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT with this database's ON CONFLICT support."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@contextmanager
def store_errors(engine: Engine, doing: str) -> Iterator[None]:
    """SQLAlchemy errors as a `StoreError` that names the store (no password) and the step."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise store_error(exc, engine.url, doing) from None
