"""Media type rules shared by request bodies and responses: removed, added, schemas compared.

An old media type that the new version still covers (an exact key, else `application/*+json`,
`application/*` or `*/*`) is compared with what covers it instead of being reported removed.
"""

from __future__ import annotations

from collections.abc import Callable

from drift.core.compare.media import match_media
from drift.core.contract.model import Content
from drift.core.diff.change import Change
from drift.core.diff.schemas import Delta, SchemaDiffer

__all__ = ["ContentDiff", "diff_content"]

# (kind, media type, old, new, message, pointer) -> Change
Emit = Callable[[str, str, object, object, str, str], Change]


class ContentDiff:
    """The media types one side lost and gained, and the (old, new) pairs to compare."""

    def __init__(self, old: tuple[Content, ...], new: tuple[Content, ...]) -> None:
        self.removed: list[str] = []
        self.added: list[str] = [
            c.media_type for c in new if c.media_type not in {o.media_type for o in old}
        ]
        self.pairs: list[tuple[Content, Content]] = []
        for content in old:
            covering = match_media(content.media_type, new)
            if covering is None:
                self.removed.append(content.media_type)
            else:
                self.pairs.append((content, covering))


def diff_content(
    direction: str,
    old: tuple[Content, ...],
    new: tuple[Content, ...],
    differ: SchemaDiffer,
    emit: Emit,
) -> list[Change]:
    found = ContentDiff(old, new)
    out = [
        emit(f"{direction}.media-type.removed", mt, mt, None, f"media type {mt} removed", "")
        for mt in found.removed
    ]
    out += [
        emit(f"{direction}.media-type.added", mt, None, mt, f"media type {mt} added", "")
        for mt in found.added
    ]
    for before, after in found.pairs:
        deltas: list[Delta] = differ.diff(
            [before.schema] if before.schema is not None else [],
            [after.schema] if after.schema is not None else [],
        )
        out += [emit(d.kind, before.media_type, d.old, d.new, d.message, d.pointer) for d in deltas]
    return out
