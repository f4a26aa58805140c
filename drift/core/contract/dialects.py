"""OpenAPI 3.0 vs 3.1 schema differences, as data rather than scattered version checks."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OAS30", "OAS31", "Dialect", "dialect_for"]


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    # 3.0 marks nullability with a sibling keyword; 3.1 puts "null" in `type`.
    nullable_keyword: str | None
    # 3.0 (JSON Schema draft 4 style) has boolean exclusiveMinimum/Maximum modifiers.
    boolean_exclusive_bounds: bool


OAS30 = Dialect("3.0", nullable_keyword="nullable", boolean_exclusive_bounds=True)
OAS31 = Dialect("3.1", nullable_keyword=None, boolean_exclusive_bounds=False)


def dialect_for(version: str) -> Dialect | None:
    """The dialect for an `openapi` version string, or None when it is not 3.0.x / 3.1.x."""
    if version.startswith("3.0"):
        return OAS30
    if version.startswith("3.1") or version.startswith("3.2"):
        return OAS31
    return None
