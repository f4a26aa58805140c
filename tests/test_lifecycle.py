"""Findings lifecycle, waivers and owner routing (pure core), reviews driven by a test clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift.core.findings import ConsumerCount, Evidence, Finding, OperationRef
from drift.core.kinds import KINDS, Severity
from drift.core.lifecycle import ReviewResult, TrackedFinding, review
from drift.core.owners import Owner, Recipient, recipients
from drift.core.waivers import Waiver, applies

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def finding(
    kind: str = "response.body.undocumented-field",
    *,
    service: str = "orders",
    method: str = "GET",
    path: str = "/orders/{id}",
    status: str | None = "200",
    location: str = "response.body",
    pointer: str = "/internal_ref",
    consumer: str | None = None,
    consumers: Sequence[str] = ("web",),
    owner: str | None = None,
    severity: Severity | None = None,
    seen: tuple[datetime, datetime] | None = None,
) -> Finding:
    first, last = seen or (T0 - timedelta(hours=1), T0)
    return Finding(
        kind=kind,
        severity=severity or KINDS[kind].severity,
        service=service,
        operation=OperationRef(method, path),
        location=location,
        pointer=pointer,
        message=f"{kind} at {pointer}",
        evidence=Evidence(7, 10, first, last, tuple(ConsumerCount(c, 7) for c in consumers)),
        status=status,
        consumer=consumer,
        owner=owner,
        declared=None,
        observed=["string"],
    )


A = finding()
B = finding("request.parameter.undocumented", status=None, location="request.query", pointer="")
B = replace(B, consumer="web", extra={"parameter": "debug"})


class Reviews:
    """Successive reviews, one hour apart, each fed the state the previous one left."""

    def __init__(self, *, resolve_after: int = 3, waivers: Sequence[Waiver] = ()) -> None:
        self.resolve_after = resolve_after
        self.waivers = list(waivers)
        self.now = T0
        self.tracked: dict[str, TrackedFinding] = {}
        self.last: ReviewResult | None = None

    def run(self, *current: Finding) -> list[tuple[str, str]]:
        """One review; its events as (kind, finding id)."""
        self.now += timedelta(hours=1)
        result = review(
            self.tracked, current, self.waivers, self.now, resolve_after=self.resolve_after
        )
        self.tracked, self.last = result.tracked, result
        return [(event.kind, event.tracked.id) for event in result.events]

    def state(self, f: Finding) -> tuple[str, int]:
        tracked = self.tracked[f.id]
        return tracked.state, tracked.unseen_reviews


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


# --- states ------------------------------------------------------------------------------------


def test_every_transition_from_new_to_regressed_and_back_to_ongoing() -> None:
    r = Reviews(resolve_after=3)
    assert [("new", A.id)] == r.run(A)
    assert ("new", 0) == r.state(A)
    assert [("ongoing", A.id)] == r.run(A)
    assert [] == r.run()
    assert ("ongoing", 1) == r.state(A)
    assert [] == r.run()
    assert ("ongoing", 2) == r.state(A)
    assert [("resolved", A.id)] == r.run()
    assert ("resolved", 3) == r.state(A)
    assert at(5) == r.tracked[A.id].resolved_at
    assert [] == r.run()  # resolved once, not again
    assert ("resolved", 4) == r.state(A)
    assert [("regressed", A.id)] == r.run(A)
    assert ("regressed", 0) == r.state(A)
    assert r.tracked[A.id].resolved_at is None
    assert [("ongoing", A.id)] == r.run(A)
    assert ("ongoing", 0) == r.state(A)


def test_review_keeps_first_and_last_reported_times() -> None:
    r = Reviews(resolve_after=1)
    r.run(A)
    r.run(A)
    r.run()
    r.run(A)
    tracked = r.tracked[A.id]
    assert (at(1), at(4)) == (tracked.first_reported, tracked.last_reported)


@pytest.mark.parametrize("resolve_after", [1, 2, 5])
def test_resolve_after_is_the_number_of_absent_reviews_in_a_row(resolve_after: int) -> None:
    r = Reviews(resolve_after=resolve_after)
    r.run(A)
    for _ in range(resolve_after - 1):
        assert [] == r.run()
    assert "new" == r.state(A)[0]
    assert [("resolved", A.id)] == r.run()


def test_a_finding_back_before_it_resolves_is_ongoing_and_its_count_restarts() -> None:
    r = Reviews(resolve_after=2)
    r.run(A)
    r.run()
    assert [("ongoing", A.id)] == r.run(A)
    r.run()
    assert ("ongoing", 1) == r.state(A)  # the earlier absence does not count towards resolving
    assert [("resolved", A.id)] == r.run()


def test_a_regressed_finding_resolves_again() -> None:
    r = Reviews(resolve_after=1)
    r.run(A)
    r.run()
    r.run(A)
    assert [("resolved", A.id)] == r.run()


def test_resolve_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="resolve_after must be at least 1, got 0"):
        review({}, [A], [], T0, resolve_after=0)


def test_a_severity_change_keeps_the_state() -> None:
    r = Reviews()
    r.run(A)
    r.run(A)
    assert [("ongoing", A.id)] == r.run(replace(A, severity=Severity.ERROR))
    assert ("ongoing", Severity.ERROR) == (r.tracked[A.id].state, r.tracked[A.id].severity)


def test_evidence_times_widen_and_the_latest_finding_is_kept() -> None:
    r = Reviews()
    r.run(finding(seen=(at(-5), at(-2))))
    later = replace(finding(seen=(at(-1), at(1))), message="newer words")
    r.run(later)
    tracked = r.tracked[A.id]
    assert (at(-5), at(1), later) == (tracked.first_seen, tracked.last_seen, tracked.finding)


def test_findings_are_tracked_independently_and_events_follow_input_order() -> None:
    r = Reviews(resolve_after=1)
    assert [("new", B.id), ("new", A.id)] == r.run(B, A)
    assert [("ongoing", B.id), ("resolved", A.id)] == r.run(B)


def test_a_duplicate_finding_in_one_review_counts_once() -> None:
    r = Reviews()
    assert [("new", A.id)] == r.run(A, replace(A, message="same id"))
    assert A == r.tracked[A.id].finding


def test_review_does_not_change_the_previous_state() -> None:
    first = review({}, [A], [], at(1), resolve_after=1)
    snapshot = dict(first.tracked)
    review(first.tracked, [], [], at(2), resolve_after=1)
    assert snapshot == first.tracked


def test_alerts_are_new_regressed_resolved_and_waiver_expired() -> None:
    r = Reviews(resolve_after=1)
    r.run(A)
    assert r.last is not None
    assert [A.id] == [event.tracked.id for event in r.last.alerts]
    r.run(A)
    assert [] == r.last.alerts  # ongoing


# --- a reference model, for any sequence of reviews ----------------------------------------------


def model(rounds: Sequence[tuple[bool, bool]], resolve_after: int) -> list[tuple[str | None, str]]:
    """(event kind or None, state) after each (present, waived) review of one finding."""
    out: list[tuple[str | None, str]] = []
    state, unseen, was_waived = "", 0, False
    for present, waived in rounds:
        event: str | None = None
        if present:
            state = {"": "new", "resolved": "regressed"}.get(state, "ongoing")
            unseen = 0
            event = "waived" if waived else "waiver-expired" if was_waived else state
            was_waived = waived
        elif state:
            unseen += 1
            if state != "resolved" and unseen == resolve_after:
                state = "resolved"
                event = None if was_waived else "resolved"
        if state:
            out.append((event, state))
    return out


rounds = st.lists(st.tuples(st.booleans(), st.booleans()), max_size=14)


@settings(max_examples=300, deadline=None)
@given(per_finding=st.lists(rounds, min_size=1, max_size=3), resolve_after=st.integers(1, 4))
def test_any_sequence_of_reviews_matches_the_reference_model(
    per_finding: list[list[tuple[bool, bool]]], resolve_after: int
) -> None:
    found = [finding(pointer=f"/field{i}") for i in range(len(per_finding))]
    length = max(len(seq) for seq in per_finding)
    seqs = [seq + [(False, False)] * (length - len(seq)) for seq in per_finding]
    tracked: Mapping[str, TrackedFinding] = {}
    actual: list[list[tuple[str | None, str]]] = [[] for _ in found]
    for n in range(length):
        now = at(n)
        current = [f for f, seq in zip(found, seqs, strict=True) if seq[n][0]]
        waivers = [
            Waiver(f.id, None, "test", "me", None, "cli")
            for f, seq in zip(found, seqs, strict=True)
            if seq[n][1]
        ]
        result = review(tracked, current, waivers, now, resolve_after=resolve_after)
        tracked = result.tracked
        events = {e.tracked.id: e.kind for e in result.events}
        for i, f in enumerate(found):
            if f.id in tracked:
                actual[i].append((events.get(f.id), tracked[f.id].state))
    assert [model(seq, resolve_after) for seq in seqs] == actual


# --- waivers ------------------------------------------------------------------------------------


def waiver(
    finding_id: str | None = None,
    match: Mapping[str, str] | None = None,
    expires: datetime | None = None,
) -> Waiver:
    return Waiver(finding_id, match, "known, fix planned", "ana", expires, "cli")


def test_a_waived_finding_is_tracked_but_never_new_or_regressed() -> None:
    r = Reviews(resolve_after=1, waivers=[waiver(A.id)])
    assert [("waived", A.id), ("new", B.id)] == r.run(A, B)
    assert ("new", True) == (r.tracked[A.id].state, r.tracked[A.id].waived)
    assert False is r.tracked[B.id].waived
    assert [("waived", A.id), ("ongoing", B.id)] == r.run(A, B)
    assert [("resolved", B.id)] == r.run()  # a waived finding resolves silently
    assert "resolved" == r.tracked[A.id].state
    assert [("waived", A.id)] == r.run(A)
    assert "regressed" == r.tracked[A.id].state
    assert r.last is not None and [] == r.last.alerts


def test_a_waiver_by_match_applies_to_every_finding_it_matches() -> None:
    other = finding(pointer="/other")
    elsewhere = finding(path="/customers/{id}")
    r = Reviews(waivers=[waiver(match={"kind": A.kind, "path": "/orders/{id}"})])
    expected = [("waived", A.id), ("waived", other.id), ("new", elsewhere.id)]
    assert expected == r.run(A, other, elsewhere)


def test_a_waiver_expiring_resurfaces_a_present_finding() -> None:
    r = Reviews(waivers=[waiver(A.id, expires=at(2) + timedelta(minutes=30))])
    assert [("waived", A.id)] == r.run(A)
    assert [("waived", A.id)] == r.run(A)
    assert [("waiver-expired", A.id)] == r.run(A)  # at(3): lapsed
    assert r.last is not None and [A.id] == [e.tracked.id for e in r.last.alerts]
    assert ("ongoing", False) == (r.tracked[A.id].state, r.tracked[A.id].waived)
    assert [("ongoing", A.id)] == r.run(A)


def test_a_waiver_lapsing_while_the_finding_is_away_resurfaces_it_when_it_returns() -> None:
    r = Reviews(resolve_after=3, waivers=[waiver(A.id, expires=at(2))])
    r.run(A)
    assert [] == r.run()  # at(2): the waiver lapses, the finding is absent: nothing to say
    assert True is r.tracked[A.id].waived
    assert [("waiver-expired", A.id)] == r.run(A)


def test_a_removed_waiver_resurfaces_a_present_finding_too() -> None:
    r = Reviews(waivers=[waiver(A.id)])
    r.run(A)
    r.waivers = []
    assert [("waiver-expired", A.id)] == r.run(A)


def test_a_waiver_added_later_quiets_an_ongoing_finding() -> None:
    r = Reviews()
    r.run(A)
    r.waivers = [waiver(match={"service": "orders"})]
    assert [("waived", A.id)] == r.run(A)
    assert "ongoing" == r.tracked[A.id].state


MATCHES: list[tuple[dict[str, str], bool]] = [
    ({"kind": "response.body.undocumented-field"}, True),
    ({"kind": "response.body.type-mismatch"}, False),
    ({"service": "orders", "method": "get"}, True),  # methods match in any case
    ({"method": "POST"}, False),
    ({"path": "/orders/{id}", "status": "200"}, True),
    ({"status": "404"}, False),
    ({"location": "response.body", "pointer": "/internal_ref"}, True),
    ({"pointer": "/internal_ref/x"}, False),
    ({"consumer": "web"}, False),  # the finding has no consumer
]


@pytest.mark.parametrize(("match", "expected"), MATCHES)
def test_waiver_match_fields(match: dict[str, str], expected: bool) -> None:
    assert expected == applies(waiver(match=match), A, T0)


def test_waiver_match_on_consumer() -> None:
    assert True is applies(waiver(match={"consumer": "web"}), B, T0)
    assert False is applies(waiver(match={"consumer": "mobile"}), B, T0)


def test_waiver_by_id_applies_to_that_finding_only() -> None:
    assert (True, False) == (applies(waiver(A.id), A, T0), applies(waiver(A.id), B, T0))


def test_waiver_with_id_and_match_needs_both() -> None:
    assert True is applies(waiver(A.id, {"method": "GET"}), A, T0)
    assert False is applies(waiver(A.id, {"method": "PUT"}), A, T0)


def test_an_expired_waiver_never_applies() -> None:
    w = waiver(A.id, expires=T0)
    assert (True, False, False) == (
        applies(w, A, T0 - timedelta(seconds=1)),
        applies(w, A, T0),
        applies(w, A, T0 + timedelta(days=1)),
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "needs a finding id or a match"),
        ({"finding_id": ""}, "finding id must not be empty"),
        ({"match": {}}, "match is empty"),
        ({"match": {"pointr": "/a"}}, "cannot match on 'pointr'; did you mean 'pointer'"),
        ({"match": {"status": 404}}, "value for 'status' must be text, got 404"),
        ({"finding_id": "x", "expires": datetime(2025, 1, 1)}, "has no time zone"),
    ],
)
def test_bad_waivers_are_refused_with_a_reason(fields: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"finding_id": None, "match": None, "expires": None} | fields
    with pytest.raises(ValueError, match=message):
        Waiver(reason="r", by="me", source="cli", **values)


# --- owners -------------------------------------------------------------------------------------

ORDERS = Owner("team-orders", "#orders")
WEB = Owner("team-web", "#web")
BILLING = Owner("team-billing", "#billing")
PLATFORM = Owner("team-platform", "#drift")
CONSUMERS = {"web": WEB, "billing": BILLING, "admin": WEB}


def route(
    f: Finding,
    *,
    service_owner: Owner | None = ORDERS,
    consumer_owners: Mapping[str, Owner] = CONSUMERS,
    default: Owner | None = PLATFORM,
) -> list[tuple[str, str | None, str]]:
    found = recipients(
        f, service_owner=service_owner, consumer_owners=consumer_owners, default=default
    )
    assert all(isinstance(r, Recipient) for r in found)
    return [(r.team, r.channel, r.role) for r in found]


P = ("team-orders", "#orders", "producer")
W = ("team-web", "#web", "consumer")
BI = ("team-billing", "#billing", "consumer")

ROUTES: list[tuple[str, Finding, list[tuple[str, str | None, str]]]] = [
    ("producer behaviour: producer only", finding("response.body.type-mismatch"), [P]),
    (
        "request kinds: the consumer too",
        finding("request.body.type-mismatch", status=None, consumer="billing"),
        [P, BI],
    ),
    (
        "deprecated in use",
        finding("operation.deprecated-in-use", status=None, consumer="web"),
        [P, W],
    ),
    (
        "undeclared consumer",
        finding("consumer.undeclared", status=None, consumer="billing"),
        [P, BI],
    ),
    ("latency for a consumer", finding("timing.latency-breach", consumer="web"), [P, W]),
    ("latency for everyone", finding("timing.latency-breach", consumers=["web"]), [P]),
    (
        "undocumented field: every consumer that relies on it",
        finding(consumers=["web", "billing"]),
        [P, BI, W],
    ),
    (
        "undocumented status",
        finding("response.status.undocumented", status="409", consumers=["billing"]),
        [P, BI],
    ),
    (
        "undocumented content type",
        finding("response.content-type.undocumented", consumers=["web"]),
        [P, W],
    ),
    (
        "shadow endpoint",
        finding("operation.undocumented", consumers=["billing", "web"]),
        [P, BI, W],
    ),
    (
        "consumers owned by one team are listed once",
        finding(consumers=["web", "admin"]),
        [P, W],
    ),
    ("consumers without an owner are skipped", finding(consumers=["(unidentified)"]), [P]),
    (
        "request kind without a consumer: the consumers in the evidence",
        finding("request.parameter.undocumented", consumer=None, consumers=["billing"]),
        [P, BI],
    ),
]


@pytest.mark.parametrize(("f", "expected"), [r[1:] for r in ROUTES], ids=[r[0] for r in ROUTES])
def test_routing_table(f: Finding, expected: list[tuple[str, str | None, str]]) -> None:
    assert expected == route(f)


def test_x_owner_wins_over_the_service_owner() -> None:
    f = finding("response.body.type-mismatch", owner="team-search")
    assert [("team-search", None, "producer")] == route(f)


def test_x_owner_gets_the_channel_its_team_is_configured_with_elsewhere() -> None:
    expected = [("team-web", "#web", "producer"), BI]
    assert expected == route(finding(owner="team-web", consumers=["web", "billing"]))


def test_a_team_that_is_producer_and_consumer_is_listed_once_as_producer() -> None:
    f = finding("request.body.type-mismatch", status=None, consumer="orders-worker")
    assert [P] == route(f, consumer_owners={"orders-worker": ORDERS})


def test_the_default_owner_stands_in_for_an_unknown_producer() -> None:
    f = finding(consumers=["web"])
    assert [("team-platform", "#drift", "producer"), W] == route(f, service_owner=None)
    assert [W] == route(f, service_owner=None, default=None)
    assert [] == route(f, service_owner=None, default=None, consumer_owners={})
