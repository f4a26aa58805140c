"""Response rules: statuses removed or added, then media types and body schemas per status.

A status the new version drops but still covers (`200` by `2XX`, `404` by `4XX` or `default`)
is compared with what covers it, not reported removed.
"""

from __future__ import annotations

from drift.core.contract.model import Operation, Response
from drift.core.diff.change import Change, make_change
from drift.core.diff.content import diff_content
from drift.core.diff.schemas import SchemaDiffer

__all__ = ["response_changes"]


def _covering(status: str, new: Operation) -> Response | None:
    """The new response for an old status: exact, else its range; `default` only stands in
    for statuses that are not 2xx (a `default` answers errors; a lost success is a removal)."""
    exact = new.responses.get(status)
    if exact is not None or not status.isdigit():
        return exact
    ranged = new.responses.get(f"{status[0]}XX")
    if ranged is not None or status.startswith("2"):
        return ranged
    return new.responses.get("default")


def response_changes(old: Operation, new: Operation, differ: SchemaDiffer) -> list[Change]:
    out: list[Change] = []
    for status in sorted(set(old.responses) | set(new.responses)):
        before, after = old.responses.get(status), _covering(status, new)
        if before is None:
            out.append(
                make_change(
                    "response.status.added",
                    method=old.method,
                    path=old.path,
                    status=status,
                    location="response.status",
                    new=status,
                    message=f"response status {status} added",
                )
            )
            continue
        if after is None:
            out.append(
                make_change(
                    "response.status.removed",
                    method=old.method,
                    path=old.path,
                    status=status,
                    location="response.status",
                    old=status,
                    message=f"response status {status} removed",
                )
            )
            continue

        def emit(
            kind: str,
            media: str,
            was: object,
            now: object,
            message: str,
            pointer: str,
            status: str = status,
        ) -> Change:
            return make_change(
                kind,
                method=old.method,
                path=old.path,
                status=status,
                location="response.body",
                media_type=media,
                pointer=pointer,
                old=was,
                new=now,
                message=f"{status} response ({media}): {message}",
            )

        out += diff_content("response", before.content, after.content, differ, emit)
    return out
