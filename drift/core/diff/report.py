"""`DiffReport`: the changes between two versions, their consumer impact, and the CI gate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.core.contract.model import Contract
from drift.core.diff.change import Change
from drift.core.diff.engine import diff_contracts
from drift.core.diff.impact import ChangeImpact, impact
from drift.core.diff.kinds import BREAKING, CATEGORIES, DEPRECATION, category_rank
from drift.core.observation import Observation, ObservationKey

__all__ = [
    "DIFF_SCHEMA_VERSION",
    "FAIL_ON",
    "DiffReport",
    "Side",
    "build_diff_report",
    "exit_code",
]

DIFF_SCHEMA_VERSION = "1.0"
# --fail-on threshold -> the least category rank that fails (None = never fails)
FAIL_ON: dict[str, int | None] = {
    "breaking": category_rank(BREAKING),
    "deprecation": category_rank(DEPRECATION),
    "any": 0,
    "never": None,
}


@dataclass(frozen=True, slots=True)
class Side:
    """One contract version, as the report names it."""

    source: str
    title: str
    service: str
    openapi_version: str
    operations: int

    @classmethod
    def of(cls, contract: Contract) -> Side:
        return cls(
            contract.source,
            contract.title,
            contract.service,
            contract.openapi_version,
            len(contract.operations),
        )


@dataclass(frozen=True, slots=True)
class DiffReport:
    old: Side
    new: Side
    changes: tuple[Change, ...]
    # change id -> who it hits; None when no observations were consulted (no --store)
    impacts: dict[str, ChangeImpact] | None = None
    # where observations came from: store URL (no password), window, exchanges
    observed: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    schema_version: str = DIFF_SCHEMA_VERSION

    @property
    def summary(self) -> dict[str, Any]:
        by_category = Counter(c.category for c in self.changes)
        by_kind = Counter(c.kind for c in self.changes)
        hit = {
            name
            for change in self.changes
            if change.category == BREAKING
            for name in self.consumers_hit(change)
        }
        return {
            "total": len(self.changes),
            "by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
            "by_kind": dict(sorted(by_kind.items())),
            "consumers_hit_by_breaking": sorted(hit) if self.impacts is not None else None,
        }

    def impact_of(self, change: Change) -> ChangeImpact | None:
        return None if self.impacts is None else self.impacts.get(change.id)

    def consumers_hit(self, change: Change) -> list[str]:
        found = self.impact_of(change)
        return [] if found is None else [c.consumer for c in found.consumers]

    def worst(self) -> str | None:
        """The worst category present, or None when nothing changed."""
        return max((c.category for c in self.changes), key=category_rank, default=None)


def build_diff_report(
    old: Contract,
    new: Contract,
    *,
    observations: Mapping[ObservationKey, Observation] | None = None,
    observed: Mapping[str, Any] | None = None,
) -> DiffReport:
    """Diff two contracts; with observations (of the old version's service), add impact."""
    changes = diff_contracts(old, new)
    impacts = None
    if observations is not None:
        impacts = {i.change_id: i for i in impact(changes, observations, old)}
    warnings = [f"old: {p.describe()}" for p in old.problems]
    warnings += [f"new: {p.describe()}" for p in new.problems]
    return DiffReport(
        Side.of(old),
        Side.of(new),
        tuple(changes),
        impacts,
        dict(observed or {}),
        tuple(warnings),
    )


def exit_code(report: DiffReport, fail_on: str) -> int:
    """0 when no change is at or above `fail_on` (breaking, deprecation, any, never), else 1."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"unknown --fail-on {fail_on!r}; choose one of {', '.join(FAIL_ON)}")
    threshold = FAIL_ON[fail_on]
    if threshold is None:
        return 0
    failed = any(category_rank(c.category) >= threshold for c in report.changes)
    return 1 if failed else 0
