"""The daemon's state in the store (tracked findings, waivers), one suite over every backend:
SQLite always, PostgreSQL when DRIFT_TEST_POSTGRES_URL is set (each test in a fresh schema)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from drift.core.findings import Finding
from drift.core.kinds import Severity
from drift.core.lifecycle import ReviewResult, TrackedFinding, review
from drift.core.render.document import finding_to_dict
from drift.core.waivers import Waiver
from drift.edges.state import (
    add_waiver,
    baseline,
    finding_from_document,
    list_waivers,
    load_tracked,
    remove_waiver,
    save_review,
)
from drift.edges.store import Store, StoreError
from drift.edges.store.models import findings as findings_table
from tests.store_support import PG_URL, postgres_schema_url
from tests.test_lifecycle import finding

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason="set DRIFT_TEST_POSTGRES_URL to run the state tests on PostgreSQL"
        ),
    ),
]

T1 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
A = finding(pointer="/a")
B = finding(pointer="/b", severity=Severity.ERROR)
C = finding("request.parameter.undocumented", status=None, location="request.query", pointer="")
C = replace(C, consumer="web", extra={"parameter": "debug"}, declared=None, observed="present")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        store = Store.open(f"sqlite:///{tmp_path / 'drift.db'}")
        yield store.engine
        store.close()
    else:
        with postgres_schema_url(PG_URL) as scoped:
            store = Store.open(scoped)
            yield store.engine
            store.close()


def hours(n: int) -> datetime:
    return T1 + timedelta(hours=n)


def test_a_finding_document_round_trips() -> None:
    f = replace(C, declared={"type": ["string", "null"]}, observed=[1, "a"], owner="team-x")
    assert finding_to_dict(f) == finding_to_dict(finding_from_document(finding_to_dict(f)))
    assert f.id == finding_from_document(finding_to_dict(f)).id


def test_tracked_findings_round_trip(engine: Engine) -> None:
    first = review({}, [A, B, C], [Waiver(B.id, None, "r", "me", None, "cli")], T1, resolve_after=2)
    result = review(first.tracked, [A, C], [], hours(1), resolve_after=2)
    save_review(engine, "orders", result)
    assert result.tracked == load_tracked(engine, "orders")
    assert True is load_tracked(engine, "orders")[B.id].waived


def test_resolved_findings_keep_their_resolution_time(engine: Engine) -> None:
    result = review({}, [A], [], T1, resolve_after=1)
    result = review(result.tracked, [], [], hours(1), resolve_after=1)
    save_review(engine, "orders", result)
    loaded = load_tracked(engine, "orders")[A.id]
    assert ("resolved", hours(1), 1) == (loaded.state, loaded.resolved_at, loaded.unseen_reviews)


def test_load_tracked_is_per_service(engine: Engine) -> None:
    other = finding(service="billing")
    save_review(engine, "billing", review({}, [other], [], T1, resolve_after=1))
    save_review(engine, "orders", review({}, [A], [], T1, resolve_after=1))
    assert [other.id] == list(load_tracked(engine, "billing"))
    assert [A.id] == list(load_tracked(engine, "orders"))
    assert {} == load_tracked(engine, "nobody")


def test_saving_again_updates_rows_in_place(engine: Engine) -> None:
    first = review({}, [A], [], T1, resolve_after=1)
    save_review(engine, "orders", first)
    second = review(
        first.tracked, [replace(A, severity=Severity.ERROR)], [], hours(1), resolve_after=1
    )
    save_review(engine, "orders", second)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(findings_table)).scalar_one()
    assert 1 == rows
    loaded = load_tracked(engine, "orders")[A.id]
    assert ("ongoing", Severity.ERROR, T1) == (loaded.state, loaded.severity, loaded.first_reported)


def test_a_review_of_one_service_cannot_save_another_services_findings(engine: Engine) -> None:
    result = review({}, [A, finding(service="billing")], [], T1, resolve_after=1)
    with pytest.raises(ValueError, match=r"service 'orders' holds findings of \['billing'\]"):
        save_review(engine, "orders", result)
    assert {} == load_tracked(engine, "orders")


def test_a_failed_save_changes_nothing(engine: Engine) -> None:
    many = [finding(pointer=f"/f{i}") for i in range(150)]  # three statements' worth of rows
    result = review({}, many, [], T1, resolve_after=1)
    broken = dict(result.tracked)
    last = max(broken)
    broken[last] = replace(broken[last], first_reported=None)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="cannot save the review"):
        save_review(engine, "orders", ReviewResult(broken, []))
    assert {} == load_tracked(engine, "orders")


def test_many_findings_save_and_load(engine: Engine) -> None:
    many = [finding(pointer=f"/f{i}") for i in range(150)]
    result = review({}, many, [], T1, resolve_after=1)
    save_review(engine, "orders", result)
    assert result.tracked == load_tracked(engine, "orders")


# --- waivers ------------------------------------------------------------------------------------


def test_waivers_add_list_and_remove(engine: Engine) -> None:
    assert [] == list_waivers(engine)
    forever = Waiver(B.id, None, "baseline at adoption", "ana", None, "cli")
    until = Waiver(A.id, None, "fix in 2.3", "bo", hours(48), "config")
    add_waiver(engine, forever, now=T1)
    add_waiver(engine, until, now=T1)
    assert sorted([forever, until], key=lambda w: w.finding_id or "") == list_waivers(engine)
    assert True is remove_waiver(engine, A.id)
    assert False is remove_waiver(engine, A.id)
    assert [forever] == list_waivers(engine)


def test_adding_a_waiver_again_replaces_it(engine: Engine) -> None:
    add_waiver(engine, Waiver(A.id, None, "first", "ana", None, "cli"), now=T1)
    second = Waiver(A.id, None, "extended", "bo", hours(24), "cli")
    add_waiver(engine, second, now=hours(1))
    assert [second] == list_waivers(engine)


def test_expiry_times_come_back_in_utc(engine: Engine) -> None:
    noon_utc = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
    add_waiver(
        engine,
        Waiver(A.id, None, "r", "me", noon_utc.astimezone(timezone(timedelta(hours=2))), "cli"),
        now=T1,
    )
    (stored,) = list_waivers(engine)
    assert stored.expires is not None
    assert (noon_utc, UTC) == (stored.expires, stored.expires.tzinfo)


def test_waivers_by_match_are_not_stored(engine: Engine) -> None:
    with pytest.raises(ValueError, match="put waivers that match on fields in the registry file"):
        add_waiver(engine, Waiver(None, {"kind": A.kind}, "r", "me", None, "cli"), now=T1)
    assert [] == list_waivers(engine)


def test_baseline_waives_todays_findings_once(engine: Engine) -> None:
    add_waiver(engine, Waiver(C.id, None, "already", "bo", hours(5), "cli"), now=T1)
    assert 2 == baseline(engine, [A, B, C, A], by="ana", reason="adoption", now=T1)
    assert 0 == baseline(engine, [A, B, C], by="ana", reason="adoption", now=hours(1))
    expected = sorted(
        [
            Waiver(A.id, None, "adoption", "ana", None, "baseline"),
            Waiver(B.id, None, "adoption", "ana", None, "baseline"),
            Waiver(C.id, None, "already", "bo", hours(5), "cli"),  # left as it was
        ],
        key=lambda w: w.finding_id or "",
    )
    assert expected == list_waivers(engine)


def test_baseline_of_many_findings(engine: Engine) -> None:
    many = [finding(pointer=f"/f{i}") for i in range(130)]
    assert 130 == baseline(engine, many, by="ana", reason="adoption", now=T1)
    assert 130 == len(list_waivers(engine))


# --- a scenario ---------------------------------------------------------------------------------


def run_review(engine: Engine, current: list[Finding], now: datetime) -> ReviewResult:
    """What the daemon does each period: load, review, save."""
    previous = load_tracked(engine, "orders")
    result = review(previous, current, list_waivers(engine), now, resolve_after=2)
    save_review(engine, "orders", result)
    return result


def kinds(result: ReviewResult) -> dict[str, str]:
    return {event.tracked.id: event.kind for event in result.events}


def states(engine: Engine) -> dict[str, tuple[str, int, bool]]:
    return {
        ident: (t.state, t.unseen_reviews, t.waived)
        for ident, t in load_tracked(engine, "orders").items()
    }


def test_three_reviews_persisted(engine: Engine) -> None:
    # adoption: today's drift (A) is accepted; B is waived until after the second review
    assert 1 == baseline(engine, [A], by="ana", reason="adoption", now=T1)
    add_waiver(
        engine, Waiver(B.id, None, "fix in 2.3", "bo", hours(2) + timedelta(minutes=1), "cli")
    )

    first = run_review(engine, [A, B], hours(1))
    assert {A.id: "waived", B.id: "waived"} == kinds(first)
    assert {A.id: ("new", 0, True), B.id: ("new", 0, True)} == states(engine)

    second = run_review(engine, [A, C], hours(2))
    assert {A.id: "waived", C.id: "new"} == kinds(second)
    assert [C.id] == [event.tracked.id for event in second.alerts]
    assert {
        A.id: ("ongoing", 0, True),
        B.id: ("new", 1, True),
        C.id: ("new", 0, False),
    } == states(engine)

    third = run_review(engine, [B, C], hours(3))  # B's waiver has lapsed; A is away
    assert {B.id: "waiver-expired", C.id: "ongoing"} == kinds(third)
    assert {
        A.id: ("ongoing", 1, True),
        B.id: ("ongoing", 0, False),
        C.id: ("ongoing", 0, False),
    } == states(engine)
    assert third.tracked == load_tracked(engine, "orders")
    loaded: TrackedFinding = load_tracked(engine, "orders")[B.id]
    assert (hours(1), hours(3)) == (loaded.first_reported, loaded.last_reported)
