"""Findings lifecycle: reviews move tracked findings through new, ongoing, resolved, regressed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from drift.core.findings import Finding
from drift.core.kinds import Severity
from drift.core.waivers import Waiver, applies

__all__ = [
    "ALERTS",
    "Event",
    "EventKind",
    "ReviewResult",
    "State",
    "TrackedFinding",
    "review",
    "track",
]

State = Literal["new", "ongoing", "resolved", "regressed"]
EventKind = Literal["new", "regressed", "resolved", "ongoing", "waived", "waiver-expired"]

# Events someone should hear about; `ongoing` and `waived` are for reports only.
ALERTS: frozenset[EventKind] = frozenset({"new", "regressed", "resolved", "waiver-expired"})


@dataclass(frozen=True, slots=True)
class TrackedFinding:
    """A finding across reviews: one row of the store's `findings` table."""

    id: str
    service: str
    kind: str
    severity: Severity
    state: State
    first_seen: datetime | None  # earliest evidence.first_seen of any review
    last_seen: datetime | None  # latest evidence.last_seen of any review
    first_reported: datetime  # the first review that found it
    last_reported: datetime  # the last review that found it
    unseen_reviews: int  # reviews in a row without it (0 when the last review found it)
    resolved_at: datetime | None  # the review that resolved it; None unless resolved
    finding: Finding  # the latest finding
    waived: bool = False  # a waiver covered it at the last review that found it


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    finding: Finding | None  # this review's finding; None for `resolved`
    tracked: TrackedFinding  # the state after this review

    @property
    def alert(self) -> bool:
        return self.kind in ALERTS


@dataclass(frozen=True, slots=True)
class ReviewResult:
    tracked: dict[str, TrackedFinding]  # every finding ever tracked, by id (resolved ones too)
    events: list[Event]  # present findings in input order, then resolutions by id

    @property
    def alerts(self) -> list[Event]:
        return [event for event in self.events if event.alert]


def track(finding: Finding, now: datetime, *, waived: bool = False) -> TrackedFinding:
    """A finding seen for the first time at the review at `now`."""
    return TrackedFinding(
        id=finding.id,
        service=finding.service,
        kind=finding.kind,
        severity=finding.severity,
        state="new",
        first_seen=finding.evidence.first_seen,
        last_seen=finding.evidence.last_seen,
        first_reported=now,
        last_reported=now,
        unseen_reviews=0,
        resolved_at=None,
        finding=finding,
        waived=waived,
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _seen(before: TrackedFinding, finding: Finding, now: datetime, waived: bool) -> TrackedFinding:
    return replace(
        before,
        service=finding.service,
        kind=finding.kind,
        severity=finding.severity,  # a severity change keeps the state
        state="regressed" if before.state == "resolved" else "ongoing",
        first_seen=_earliest(before.first_seen, finding.evidence.first_seen),
        last_seen=_latest(before.last_seen, finding.evidence.last_seen),
        last_reported=now,
        unseen_reviews=0,
        resolved_at=None,
        finding=finding,
        waived=waived,
    )


def _unseen(before: TrackedFinding, now: datetime, resolve_after: int) -> TrackedFinding:
    unseen = before.unseen_reviews + 1
    if before.state != "resolved" and unseen >= resolve_after:
        return replace(before, state="resolved", unseen_reviews=unseen, resolved_at=now)
    return replace(before, unseen_reviews=unseen)


def _event_kind(before: TrackedFinding | None, after: TrackedFinding) -> EventKind:
    if after.waived:
        return "waived"
    if before is not None and before.waived:
        return "waiver-expired"
    return after.state


def review(
    previous: Mapping[str, TrackedFinding],
    current: Sequence[Finding],
    waivers: Sequence[Waiver],
    now: datetime,
    *,
    resolve_after: int,
) -> ReviewResult:
    """The tracked findings after a review at `now` that found `current`, and what changed.

    A finding is *new* at the first review that finds it and *ongoing* when found again. Absent
    for `resolve_after` reviews in a row it is *resolved* (absent fewer times it keeps its state
    while `unseen_reviews` counts up); found again after that it is *regressed*, then *ongoing*.

    Waivers hide findings from alerts, not from tracking: a waived finding moves through the
    same states, but its event is `waived` while present and there is none when it resolves.
    When the waiver that covered a finding lapses (expired or removed) and the finding is
    present, the event is `waiver-expired`, an alert. `TrackedFinding.waived` remembers the
    last review that found it, so a waiver lapsing while the finding is away still resurfaces
    it when it comes back.

    `previous` is the result of the last review (usually of one service); a finding in
    `current` with the same id as an earlier one there is ignored.
    """
    if resolve_after < 1:
        raise ValueError(f"resolve_after must be at least 1, got {resolve_after!r}")
    tracked = dict(previous)
    events: list[Event] = []
    present: set[str] = set()
    for finding in current:
        ident = finding.id
        if ident in present:
            continue
        present.add(ident)
        waived = any(applies(waiver, finding, now) for waiver in waivers)
        before = previous.get(ident)
        if before is None:
            after = track(finding, now, waived=waived)
        else:
            after = _seen(before, finding, now, waived)
        tracked[ident] = after
        events.append(Event(_event_kind(before, after), finding, after))
    for ident in sorted(set(previous) - present):
        before = previous[ident]
        after = _unseen(before, now, resolve_after)
        tracked[ident] = after
        if after.state == "resolved" and before.state != "resolved" and not after.waived:
            events.append(Event("resolved", None, after))
    return ReviewResult(tracked, events)
