"""Matching an observed media type against declared content keys (wildcards, +json)."""

from __future__ import annotations

from collections.abc import Iterable

from drift.core.contract.model import Content

__all__ = ["match_media"]


def _rank(observed: str, declared: str) -> int | None:
    """Lower is more specific; None when `declared` does not cover `observed`."""
    if declared == observed:
        return 0
    o_type, _, o_sub = observed.partition("/")
    d_type, _, d_sub = declared.partition("/")
    if d_type == o_type and d_sub.startswith("*+") and o_sub.endswith(d_sub[1:]):
        return 1
    if d_type == o_type and d_sub == "*":
        return 2
    if declared in ("*/*", "*"):
        return 3
    return None


def match_media(observed: str, declared: Iterable[Content]) -> Content | None:
    best: tuple[int, Content] | None = None
    for content in declared:
        rank = _rank(observed, content.media_type)
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, content)
    return best[1] if best else None
