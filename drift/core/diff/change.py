"""`Change`: one difference between two contract versions, classified for consumers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drift.core.diff.kinds import CATEGORIES, CHANGE_KINDS
from drift.core.findings import fingerprint

__all__ = ["Change", "make_change", "sort_key"]


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # a key of CHANGE_KINDS
    category: str  # "breaking" | "deprecation" | "non-breaking" (fixed per kind)
    direction: str  # "operation" | "request" | "response"
    method: str
    path: str  # the old contract's template (the new one's for added operations)
    status: str | None  # response status key ("200", "2XX", "default") for response changes
    location: str  # "operation", "request.query", "request.body", "response.status", …
    pointer: str  # RFC 6901 pointer; parameters start with their name; `*` = every item
    old: Any
    new: Any
    message: str
    media_type: str | None = None  # the declared media type a body change is about

    @property
    def id(self) -> str:
        """Stable across runs: the same change between the same versions has the same id."""
        return fingerprint(
            self.kind,
            self.method,
            self.path,
            self.status or "",
            self.location,
            self.media_type or "",
            self.pointer,
        )


def make_change(
    kind: str,
    *,
    method: str,
    path: str,
    location: str,
    message: str,
    pointer: str = "",
    status: str | None = None,
    media_type: str | None = None,
    old: Any = None,
    new: Any = None,
) -> Change:
    """A Change whose category and direction follow from its kind."""
    known = CHANGE_KINDS[kind]  # a KeyError here is a bug: kinds are a closed set
    direction = kind.split(".", 1)[0]
    return Change(
        kind,
        known.category,
        direction,
        method,
        path,
        status,
        location,
        pointer,
        old,
        new,
        message,
        media_type,
    )


def sort_key(change: Change) -> tuple[int, str, str, str, str, str, str, str]:
    """Worst category first, then by operation and place."""
    return (
        CATEGORIES.index(change.category),
        change.path,
        change.method,
        change.status or "",
        change.location,
        change.media_type or "",
        change.pointer,
        change.kind,
    )
