"""`Waiver`: accepted drift (by finding id or by a match on its place), with reason and expiry."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from drift.core.findings import Finding

__all__ = ["MATCH_KEYS", "Waiver", "applies", "expired"]

# The finding fields a waiver may match on (all part of the finding's identity).
MATCH_KEYS = ("kind", "service", "method", "path", "status", "location", "pointer", "consumer")


@dataclass(frozen=True, slots=True)
class Waiver:
    """Accepts one finding (`finding_id`) or every finding whose fields equal `match`.

    With both, a finding must satisfy both. `expires` None means until removed.
    """

    finding_id: str | None
    match: Mapping[str, str] | None
    reason: str
    by: str
    expires: datetime | None
    source: str  # baseline, cli, config

    def __post_init__(self) -> None:
        if self.finding_id is None and self.match is None:
            raise ValueError("a waiver needs a finding id or a match; it has neither")
        if self.finding_id is not None and not self.finding_id:
            raise ValueError("a waiver's finding id must not be empty")
        if self.match is not None:
            _check_match(self.match)
        if self.expires is not None and self.expires.tzinfo is None:
            raise ValueError(
                f"waiver expiry {self.expires.isoformat()!r} has no time zone; give one (e.g. Z)"
            )


def _check_match(match: Mapping[str, str]) -> None:
    if not match:
        raise ValueError("a waiver's match is empty, which would waive every finding; name a field")
    for key, value in match.items():
        if key not in MATCH_KEYS:
            close = difflib.get_close_matches(key, MATCH_KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"a waiver cannot match on {key!r}; {hint}choose from {', '.join(MATCH_KEYS)}"
            )
        if not isinstance(value, str):
            raise ValueError(f"a waiver's match value for {key!r} must be text, got {value!r}")


def expired(waiver: Waiver, now: datetime) -> bool:
    """True once `now` has reached the waiver's expiry."""
    return waiver.expires is not None and now >= waiver.expires


def _field(finding: Finding, key: str) -> str | None:
    if key == "method":
        return finding.operation.method
    if key == "path":
        return finding.operation.path
    value: str | None = getattr(finding, key)
    return value


def applies(waiver: Waiver, finding: Finding, now: datetime) -> bool:
    """Whether `waiver` accepts `finding` at `now` (an expired waiver never does)."""
    if expired(waiver, now):
        return False
    if waiver.finding_id is not None and waiver.finding_id != finding.id:
        return False
    if waiver.match is None:
        return True
    for key, wanted in waiver.match.items():
        actual = _field(finding, key)
        if key == "method":
            wanted, actual = wanted.upper(), (actual or "").upper()
        if actual != wanted:
            return False
    return True
