"""The observation store, one suite over every backend: SQLite always, PostgreSQL when
DRIFT_TEST_POSTGRES_URL is set (each test in a fresh schema)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from drift.core.observation import Observation, ObservationKey, merge_all
from drift.edges.store import BUCKET, Batch, Store, StoreError, bucket_start, migrate
from drift.edges.store.engine import display_url
from tests.store_support import (
    H0,
    PG_URL,
    as_dicts,
    flush_worker,
    hour,
    items_as_data,
    make_batch,
    observe,
    postgres_schema_url,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason="set DRIFT_TEST_POSTGRES_URL to run the store tests on PostgreSQL"
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'drift.db'}"  # the directory does not exist yet
    else:
        with postgres_schema_url(PG_URL) as scoped:
            yield scoped


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store.open(url)
    yield opened
    opened.close()


# --- writing and reading ---------------------------------------------------------------------


def test_round_trip(store: Store) -> None:
    pets = observe(service="pets", consumer="web", extra_field=True)
    unknown = observe(service="pets", consumer=None)  # consumer "" = not identified
    assert store.flush(make_batch(merge_all(pets, unknown), H0))
    assert as_dicts(store.load()) == as_dicts(merge_all(pets, unknown))


def test_batches_for_the_same_key_and_bucket_add_up(store: Store) -> None:
    first = observe(n=3)
    second = observe(n=5, extra_field=True, when=H0 + timedelta(minutes=20))
    assert store.flush(make_batch(first, H0))
    assert store.flush(make_batch(second, H0 + timedelta(minutes=30)))  # same hour bucket
    loaded = store.load()
    assert as_dicts(loaded) == as_dicts(merge_all(first, second))
    assert sum(o.count for o in loaded.values()) == sum(
        o.count for o in [*first.values(), *second.values()]
    )


def test_duplicate_items_in_one_batch_are_merged(store: Store) -> None:
    obs = observe()
    key, one = next(iter(obs.items()))
    assert store.flush(Batch("dup", "test", [(key, H0, one), (key, H0, one)]))
    assert store.load()[key].to_dict() == one.merge(one).to_dict()


def test_a_retried_batch_is_applied_once(url: str, store: Store) -> None:
    obs = observe()
    batch = make_batch(obs, H0, batch_id="sidecar-1:42")
    assert store.flush(batch) is True
    assert store.flush(batch) is False
    with Store.open(url) as again:  # a restarted sidecar retrying its last batch
        assert again.flush(batch) is False
    assert as_dicts(store.load()) == as_dicts(obs)


def test_a_failed_flush_changes_nothing_and_its_retry_applies(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = observe(n=2)
    store.flush(make_batch(first, H0))
    second = merge_all(observe(n=3), observe(consumer="new-consumer"))  # old and new rows
    batch = make_batch(second, H0, batch_id="fails-once")

    def broken(data: object) -> Observation:
        raise RuntimeError("merge failed")

    with monkeypatch.context() as patched:
        patched.setattr(Observation, "from_dict", broken)  # fails after the new rows went in
        with pytest.raises(RuntimeError):
            store.flush(batch)
    assert as_dicts(store.load()) == as_dicts(first)  # rolled back: no new rows, id not taken
    assert store.flush(batch) is True
    assert as_dicts(store.load()) == as_dicts(merge_all(first, second))


def test_flush_logs_one_debug_line_without_contents(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    obs = observe(service="secret-service", consumer="secret-consumer", extra_field=True)
    with caplog.at_level(logging.DEBUG, logger="drift.edges.store"):
        store.flush(make_batch(obs, H0))
    records = [r for r in caplog.records if r.name.startswith("drift.edges.store")]
    assert len(records) == 1
    assert records[0].levelno == logging.DEBUG
    assert records[0].__dict__["items"] == len(obs)
    assert "ms" in records[0].__dict__
    dumped = repr(records[0].__dict__)
    assert "secret" not in dumped and "/pets" not in dumped and "example.com" not in dumped


# --- concurrency -----------------------------------------------------------------------------

WORKERS = 4
BATCHES = 50


def _expected(items: dict[ObservationKey, Observation], times: int) -> dict[ObservationKey, Any]:
    return {k: reduce(Observation.merge, [o] * times).to_dict() for k, o in items.items()}


def test_concurrent_processes_lose_no_counts(url: str, store: Store) -> None:
    """Separate processes (spawned) flush to the same keys and buckets at once."""
    obs = observe(n=4)
    items = items_as_data(obs, [H0, hour(1)])
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [
        ctx.Process(target=flush_worker, args=(url, w, BATCHES, items, barrier, results))
        for w in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    outcomes = sorted(results.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    results.close()
    results.join_thread()
    assert outcomes == [(w, BATCHES, 0) for w in range(WORKERS)]  # every retry was refused
    expected = _expected(obs, WORKERS * BATCHES)
    assert as_dicts(store.load(start=H0, end=hour(1))) == expected
    assert as_dicts(store.load(start=hour(1))) == expected


def test_concurrent_threads_lose_no_counts(url: str, store: Store) -> None:
    """Threads with stores of their own, and two threads sharing one store and one batch id."""
    obs = observe(n=2)
    items = items_as_data(obs, [H0])
    barrier, results = threading.Barrier(WORKERS), queue.Queue[tuple[int, int, int]]()
    threads = [
        threading.Thread(
            target=flush_worker, args=(url, w, BATCHES, items, barrier, results), daemon=True
        )
        for w in range(WORKERS)
    ]
    shared = make_batch(obs, H0, batch_id="same-id-everywhere")
    winners: list[bool] = []
    sharers = [
        threading.Thread(target=lambda: winners.append(store.flush(shared)), daemon=True)
        for _ in "ab"
    ]
    for thread in [*threads, *sharers]:
        thread.start()
    for thread in [*threads, *sharers]:
        thread.join(120)
    assert sorted(results.get_nowait() for _ in threads) == [
        (w, BATCHES, 0) for w in range(WORKERS)
    ]
    assert sorted(winners) == [False, True]  # one flush of a shared id wins, the other waits
    assert as_dicts(store.load()) == _expected(obs, WORKERS * BATCHES + 1)


# --- reading windows -------------------------------------------------------------------------


def test_load_filters_by_window_service_and_consumer(store: Store) -> None:
    web = [observe(consumer="web", when=hour(h)) for h in range(3)]
    app = observe(consumer="app", when=hour(1))
    other = observe(service="orders", consumer="web", when=hour(1))
    for h, obs in enumerate(web):
        store.flush(make_batch(obs, hour(h)))
    store.flush(make_batch(app, hour(1)))
    store.flush(make_batch(other, hour(1)))

    assert as_dicts(store.load(end=hour(1), consumers={"web"})) == as_dicts(web[0])
    assert as_dicts(
        store.load(start=hour(1), end=hour(2), consumers=["web"], services=["pets"])
    ) == as_dicts(web[1])
    assert as_dicts(store.load(start=hour(1), services={"pets"}, consumers={"web"})) == as_dicts(
        merge_all(web[1], web[2])
    )
    assert as_dicts(store.load(start=hour(1), end=hour(2))) == as_dicts(
        merge_all(web[1], app, other)
    )
    assert as_dicts(store.load(services={"orders"})) == as_dicts(other)
    assert as_dicts(store.load(consumers={"app"})) == as_dicts(app)
    assert store.load(services=set()) == {}
    assert store.load(start=hour(3)) == {}
    # a start inside a bucket excludes that bucket: buckets are selected by their start
    assert as_dicts(
        store.load(start=hour(2) - timedelta(minutes=1), consumers={"web"})
    ) == as_dicts(web[2])
    # any time zone works for the bounds
    plus2 = timezone(timedelta(hours=2))
    assert as_dicts(store.load(start=hour(2).astimezone(plus2))) == as_dicts(web[2])


def test_items_are_bucketed_by_hour_in_utc(store: Store) -> None:
    obs = observe()
    local = (H0 + timedelta(minutes=59)).astimezone(timezone(timedelta(hours=-5)))
    store.flush(make_batch(obs, local))
    assert as_dicts(store.load(start=H0, end=H0 + BUCKET)) == as_dicts(obs)
    assert store.load(start=H0 + BUCKET) == {}


def test_bucket_start() -> None:
    assert bucket_start(datetime(2024, 5, 1, 10, 59, 59, 999, tzinfo=UTC)) == H0
    assert bucket_start(datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))) == H0
    assert bucket_start(datetime(2024, 5, 1, 10, 1)) == H0  # naive means UTC
    assert bucket_start(H0).tzinfo is UTC
    assert BUCKET == timedelta(hours=1)


# --- retention -------------------------------------------------------------------------------


def test_prune_removes_old_buckets_and_old_batch_ids(store: Store) -> None:
    batches = [make_batch(observe(when=hour(h)), hour(h)) for h in range(3)]
    for batch in batches:
        store.flush(batch)
    per_bucket = len(batches[0].items)
    assert store.prune(hour(2)) == 2 * per_bucket
    assert as_dicts(store.load()) == as_dicts(dict((k, o) for k, _, o in batches[2].items))
    assert store.flush(batches[0]) is False  # its id is remembered: applied "now", after hour(2)
    assert store.prune(hour(2)) == 0

    assert store.prune(datetime.now(UTC) + timedelta(minutes=1)) == per_bucket
    assert store.load() == {}
    assert store.flush(batches[0]) is True  # the id was forgotten with everything older


def test_sqlite_settings(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "drift.db"
    with Store.open(f"sqlite:///{path}") as store:
        assert path.is_file()
        with store._engine.connect() as conn:  # a pooled connection, as flushes get them
            pragma = conn.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA busy_timeout").scalar() == 10_000
            assert pragma("PRAGMA foreign_keys").scalar() == 1


# --- schema and migrations -------------------------------------------------------------------


def test_schema_version(store: Store) -> None:
    assert store.schema_version() == migrate.head_revision()


def test_open_without_create_needs_an_initialised_store(url: str, tmp_path: Path) -> None:
    if url.startswith("sqlite"):
        with pytest.raises(StoreError, match="no store file"):
            Store.open(url, create=False)
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
        Path(url.removeprefix("sqlite:///")).touch()
    with pytest.raises(StoreError, match="not initialised") as err:
        Store.open(url, create=False)
    assert "hint:" in str(err.value)


def test_concurrent_opens_of_a_new_store_all_succeed(url: str) -> None:
    opened: list[Store] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(Store.open(url))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert {s.schema_version() for s in opened} == {migrate.head_revision()}
    for s in opened:
        s.close()


_TEST_REVISION = '''"""test only: a column and an index, to prove that upgrades keep the data"""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("observations", sa.Column("note", sa.Text(), nullable=True))
    op.create_index("ix_observations_last_seen", "observations", ["last_seen"])


def downgrade():
    op.drop_index("ix_observations_last_seen", "observations")
    op.drop_column("observations", "note")
'''


def test_upgrade_keeps_data_and_newer_schemas_are_refused(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = observe(n=3)
    with Store.open(url) as store:  # at the shipped head (the initial revision)
        store.flush(make_batch(first, H0, batch_id="before-upgrade"))
        before = as_dicts(store.load())

    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.SCRIPT_LOCATION, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrate.head_revision()
    (scripts / "versions" / "v9999_test.py").write_text(_TEST_REVISION.format(head=head))
    with monkeypatch.context() as patched:
        patched.setattr(migrate, "SCRIPT_LOCATION", scripts)
        with Store.open(url) as store:
            assert store.schema_version() == "9999"
            assert as_dicts(store.load()) == before
            assert store.flush(make_batch(first, H0, batch_id="before-upgrade")) is False
            second = observe(n=2, extra_field=True)
            assert store.flush(make_batch(second, H0))
            assert as_dicts(store.load()) == as_dicts(merge_all(first, second))

    with pytest.raises(StoreError) as err:  # this drift only knows up to `head`
        Store.open(url)
    message = str(err.value)
    assert "'9999'" in message and "newer" in message and "upgrade drift" in message


# --- errors ----------------------------------------------------------------------------------


def _assert_clean(err: StoreError, *, hidden: str | None = None) -> str:
    message = str(err)
    assert "Traceback" not in message and 'File "' not in message
    assert "hint:" in message
    assert "[SQL:" not in message and "parameters" not in message
    if hidden:
        assert hidden not in message
        assert "***" in message
    return message


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("not a url at all", "not a database URL"),
        ("mysql://drift:s3cret@db.example/drift", "unsupported database 'mysql'"),
        ("sqlite://", "in-memory"),
        ("postgresql://drift:s3cret@db.example:5432", "no database name"),
        ("postgresql://drift:s3cret@db.example:port/drift", "not a database URL"),
    ],
)
def test_bad_urls(bad: str, words: str) -> None:
    with pytest.raises(StoreError) as err:
        Store.open(bad)
    assert words in _assert_clean(err.value, hidden="s3cret" if "s3cret" in bad else None)


def test_unreachable_postgres_names_the_url_without_password() -> None:
    with pytest.raises(StoreError) as err:
        Store.open("postgresql://drift:s3cret@127.0.0.1:1/drift")
    message = _assert_clean(err.value, hidden="s3cret")
    assert "postgresql+psycopg://drift:***@127.0.0.1:1/drift" in message
    assert "PostgreSQL is running" in message


def test_unwritable_sqlite_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError) as err:
        Store.open(f"sqlite:///{blocker}/drift.db")
    assert "cannot create the directory" in _assert_clean(err.value)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_sqlite_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreError) as err:
            Store.open(f"sqlite:///{locked}/drift.db")
        assert "writ" in _assert_clean(err.value)
    finally:
        locked.chmod(0o700)


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite " * 100)
    with pytest.raises(StoreError) as err:
        Store.open(f"sqlite:///{junk}")
    assert "not a SQLite file" in _assert_clean(err.value)


def test_errors_while_flushing_are_store_errors(url: str, store: Store) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE observations"))
    engine.dispose()
    with pytest.raises(StoreError) as err:
        store.flush(make_batch(observe(extra_field=True), H0))
    message = _assert_clean(err.value)
    assert "cannot flush observations" in message and store.url_for_display in message
    assert "example.com" not in message


def test_display_url_hides_passwords() -> None:
    assert display_url("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert display_url("postgresql://u:p%40w@h/db") == "postgresql://u:***@h/db"
    assert display_url("bogus://u:pw@h:x/db?") == "bogus://u:***@h:x/db?"
    assert display_url("sqlite:///tmp/drift.db") == "sqlite:///tmp/drift.db"


def test_multi_row_statements_stay_under_sqlites_oldest_parameter_limit() -> None:
    from drift.edges.store.engine import SQLITE_MAX_PARAMETERS, chunks
    from drift.edges.store.models import observations

    rows = list(range(1_000))
    columns = len(observations.columns)
    got = list(chunks(rows, columns))
    assert rows == [r for chunk in got for r in chunk]
    assert all(len(chunk) * columns <= SQLITE_MAX_PARAMETERS for chunk in got)
    assert [[0], [1]] == [list(c) for c in chunks([0, 1], 5_000)]  # at least one row each
