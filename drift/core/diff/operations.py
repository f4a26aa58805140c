"""Operation rules: removed, added, deprecated, sunset set or moved."""

from __future__ import annotations

from drift.core.contract.model import Operation
from drift.core.diff.change import Change, make_change

__all__ = ["added_operation", "lifecycle_changes", "removed_operation"]


def _label(op: Operation) -> str:
    return f"{op.method} {op.path}"


def removed_operation(op: Operation) -> Change:
    notes = []
    if op.deprecated:
        notes.append("it was deprecated")
    if op.sunset:
        notes.append(f"sunset {op.sunset}")
    note = f" ({', '.join(notes)})" if notes else " without deprecation"
    return make_change(
        "operation.removed",
        method=op.method,
        path=op.path,
        location="operation",
        old=_label(op),
        message=f"operation {_label(op)} removed{note}",
    )


def added_operation(op: Operation) -> Change:
    return make_change(
        "operation.added",
        method=op.method,
        path=op.path,
        location="operation",
        new=_label(op),
        message=f"operation {_label(op)} added",
    )


def lifecycle_changes(old: Operation, new: Operation) -> list[Change]:
    out: list[Change] = []
    where = {"method": old.method, "path": old.path, "location": "operation"}
    if new.deprecated and not old.deprecated:
        out.append(
            make_change(
                "operation.deprecated",
                **where,
                old=False,
                new=True,
                message=f"operation {_label(old)} deprecated",
            )
        )
    if new.sunset and not old.sunset:
        out.append(
            make_change(
                "operation.sunset-added",
                **where,
                new=new.sunset,
                message=f"operation {_label(old)} to be removed on {new.sunset} (x-sunset)",
            )
        )
    elif new.sunset and old.sunset and new.sunset != old.sunset:
        out.append(
            make_change(
                "operation.sunset-changed",
                **where,
                old=old.sunset,
                new=new.sunset,
                message=f"x-sunset of {_label(old)} moved from {old.sunset} to {new.sunset}",
            )
        )
    return out
