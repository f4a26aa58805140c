"""Request body rules: became required / optional, media types, and the body schemas."""

from __future__ import annotations

from drift.core.contract.model import Operation
from drift.core.diff.change import Change, make_change
from drift.core.diff.content import diff_content
from drift.core.diff.schemas import SchemaDiffer

__all__ = ["request_body_changes"]


def request_body_changes(old: Operation, new: Operation, differ: SchemaDiffer) -> list[Change]:
    before, after = old.request_body, new.request_body
    was_required = before is not None and before.required
    is_required = after is not None and after.required
    out: list[Change] = []
    where = {"method": old.method, "path": old.path, "location": "request.body"}
    if is_required and not was_required:
        state = "optional" if before is not None else "absent"
        out.append(
            make_change(
                "request.body.became-required",
                **where,
                old=state,
                new="required",
                message=f"request body became required (was {state})",
            )
        )
    elif was_required and after is not None and not is_required:
        out.append(
            make_change(
                "request.body.became-optional",
                **where,
                old="required",
                new="optional",
                message="request body became optional",
            )
        )

    def emit(kind: str, media: str, was: object, now: object, message: str, pointer: str) -> Change:
        return make_change(
            kind,
            **where,
            media_type=media,
            pointer=pointer,
            old=was,
            new=now,
            message=f"request body ({media}): {message}" if pointer else f"request {message}",
        )

    out += diff_content(
        "request",
        before.content if before is not None else (),
        after.content if after is not None else (),
        differ,
        emit,
    )
    return out
