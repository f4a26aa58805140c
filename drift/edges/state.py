"""The daemon's state in the store: tracked findings (one row per finding id) and waivers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, Row, delete, select

from drift.core.findings import ConsumerCount, Evidence, Finding, OperationRef
from drift.core.kinds import Severity
from drift.core.lifecycle import ReviewResult, State, TrackedFinding
from drift.core.render.document import finding_to_dict
from drift.core.waivers import Waiver
from drift.edges.store.engine import BEGIN_OPTION, chunks, dialect_insert, store_errors
from drift.edges.store.models import findings as findings_table
from drift.edges.store.models import waivers

__all__ = [
    "add_waiver",
    "baseline",
    "finding_from_document",
    "list_waivers",
    "load_tracked",
    "remove_waiver",
    "save_review",
]

_F = findings_table.c
_W = waivers.c
_STATES = ("new", "ongoing", "resolved", "regressed")


@contextmanager
def _reading(engine: Engine, doing: str) -> Iterator[Connection]:
    with store_errors(engine, doing), engine.connect() as conn:
        yield conn.execution_options(**{BEGIN_OPTION: "DEFERRED"})


# -- finding documents ---------------------------------------------------------------------------


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def finding_from_document(doc: dict[str, Any]) -> Finding:
    """The `Finding` a `finding_to_dict` document describes (same id, same document)."""
    op, evidence = doc["operation"], doc["evidence"]
    return Finding(
        kind=doc["kind"],
        severity=Severity.parse(doc["severity"]),
        service=doc["service"],
        operation=OperationRef(op["method"], op["path"], bool(op.get("declared", True))),
        location=doc["location"],
        pointer=doc["pointer"],
        message=doc["message"],
        evidence=Evidence(
            count=evidence["count"],
            total=evidence["total"],
            first_seen=_moment(evidence.get("first_seen")),
            last_seen=_moment(evidence.get("last_seen")),
            consumers=tuple(ConsumerCount(c["name"], c["count"]) for c in evidence["consumers"]),
        ),
        status=doc.get("status"),
        consumer=doc.get("consumer"),
        owner=doc.get("owner"),
        declared=doc.get("declared"),
        observed=doc.get("observed"),
        extra=dict(doc.get("extra") or {}),
    )


# -- tracked findings ----------------------------------------------------------------------------


def _row(tracked: TrackedFinding) -> dict[str, Any]:
    """A `findings` row; `data` is the finding document plus drift's own key `waived`."""
    data = finding_to_dict(tracked.finding) | {"waived": tracked.waived}
    return {
        "id": tracked.id,
        "service": tracked.service,
        "kind": tracked.kind,
        "severity": tracked.severity.label,
        "state": tracked.state,
        "first_seen": tracked.first_seen,
        "last_seen": tracked.last_seen,
        "first_reported": tracked.first_reported,
        "last_reported": tracked.last_reported,
        "unseen_reviews": tracked.unseen_reviews,
        "resolved_at": tracked.resolved_at,
        "data": orjson.dumps(data).decode(),
    }


def _tracked(row: Row[Any]) -> TrackedFinding:
    data = orjson.loads(row.data)
    waived = bool(data.pop("waived", False))
    if row.state not in _STATES:
        raise ValueError(f"finding {row.id!r} has an unknown state {row.state!r} in the store")
    return TrackedFinding(
        id=row.id,
        service=row.service,
        kind=row.kind,
        severity=Severity.parse(row.severity),
        state=cast(State, row.state),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        first_reported=row.first_reported,
        last_reported=row.last_reported,
        unseen_reviews=row.unseen_reviews,
        resolved_at=row.resolved_at,
        finding=finding_from_document(data),
        waived=waived,
    )


def load_tracked(engine: Engine, service: str) -> dict[str, TrackedFinding]:
    """Every tracked finding of `service`, by id (the `previous` of its next review)."""
    query = select(findings_table).where(_F.service == service).order_by(_F.id)
    with _reading(engine, "load tracked findings") as conn:
        return {row.id: _tracked(row) for row in conn.execute(query)}


def save_review(engine: Engine, service: str, result: ReviewResult) -> None:
    """Write the tracked findings of a review of `service`, in one transaction (upserts)."""
    strays = sorted({t.service for t in result.tracked.values()} - {service})
    if strays:
        raise ValueError(f"a review of service {service!r} holds findings of {strays!r}")
    rows = [_row(result.tracked[ident]) for ident in sorted(result.tracked)]
    with store_errors(engine, "save the review"), engine.begin() as conn:
        for chunk in chunks(rows, len(findings_table.columns)):
            stmt = dialect_insert(engine, findings_table).values(list(chunk))
            columns = {name: stmt.excluded[name] for name in rows[0] if name != "id"}
            conn.execute(stmt.on_conflict_do_update(index_elements=[_F.id], set_=columns))


# -- waivers -------------------------------------------------------------------------------------


def list_waivers(engine: Engine) -> list[Waiver]:
    """Every stored waiver (by finding id; waivers that match on fields live in the registry)."""
    query = select(waivers).order_by(_W.finding_id)
    with _reading(engine, "list waivers") as conn:
        return [
            Waiver(
                finding_id=row.finding_id,
                match=None,
                reason=row.reason,
                by=row.created_by,
                expires=row.expires_at,
                source=row.source,
            )
            for row in conn.execute(query)
        ]


def _waiver_row(waiver: Waiver, now: datetime) -> dict[str, Any]:
    if waiver.finding_id is None:
        raise ValueError(
            "the store keeps waivers by finding id; put waivers that match on fields "
            "in the registry file"
        )
    return {
        "finding_id": waiver.finding_id,
        "reason": waiver.reason,
        "created_by": waiver.by,
        "created_at": now,
        "expires_at": waiver.expires,
        "source": waiver.source,
    }


def add_waiver(engine: Engine, waiver: Waiver, *, now: datetime | None = None) -> None:
    """Store `waiver`, replacing any waiver of the same finding id."""
    row = _waiver_row(waiver, now or datetime.now(UTC))
    stmt = dialect_insert(engine, waivers).values(row)
    columns = {name: stmt.excluded[name] for name in row if name != "finding_id"}
    with store_errors(engine, "add a waiver"), engine.begin() as conn:
        conn.execute(stmt.on_conflict_do_update(index_elements=[_W.finding_id], set_=columns))


def remove_waiver(engine: Engine, finding_id: str) -> bool:
    """Remove the waiver of `finding_id`; False when there was none."""
    with store_errors(engine, "remove a waiver"), engine.begin() as conn:
        removed = conn.execute(delete(waivers).where(_W.finding_id == finding_id))
    return bool(removed.rowcount)


def baseline(
    engine: Engine, findings: Iterable[Finding], *, by: str, reason: str, now: datetime
) -> int:
    """Accept today's drift: a waiver (source "baseline", no expiry) per finding not yet waived.

    Returns how many waivers were added; existing waivers are left as they are, so running it
    again adds none.
    """
    ids = sorted({finding.id for finding in findings})
    rows = [_waiver_row(Waiver(ident, None, reason, by, None, "baseline"), now) for ident in ids]
    added = 0
    with store_errors(engine, "baseline findings"), engine.begin() as conn:
        for chunk in chunks(rows, len(waivers.columns)):
            stmt = (
                dialect_insert(engine, waivers)
                .values(list(chunk))
                .on_conflict_do_nothing()
                .returning(_W.finding_id)
            )
            added += len(conn.execute(stmt).all())
    return added
