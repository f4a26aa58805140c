"""`consumer.undeclared`: traffic from a consumer not listed in `x-consumers`.

Where an operation's list is the root's (inherited or repeated), the fix is one line at the root,
so each undeclared consumer gets one service-wide finding (operation `* *`) whose `observed`
lists the calls per operation — not one copy per operation it calls. An operation with its own,
different list gets its own findings. The unidentified consumer (`""`) is never reported.
"""

from __future__ import annotations

from collections.abc import Mapping

from drift.core.compare.issue import Issue
from drift.core.observation import UNKNOWN_CONSUMER, Observation

__all__ = ["Calls", "Undeclared", "undeclared_consumers"]

KIND = "consumer.undeclared"

Calls = Mapping[str, tuple[int, Observation]]  # consumer -> (calls, observation for seen times)
Undeclared = tuple[Issue, str, dict[str, tuple[int, Observation]]]  # issue, consumer, evidence


def undeclared_consumers(
    declared: tuple[str, ...], operations: Mapping[str, Calls]
) -> list[Undeclared]:
    """One issue per consumer outside `declared`, over `operations` (label → calls per consumer)."""
    allowed = set(declared)
    total = sum(n for calls in operations.values() for n, _ in calls.values())
    per: dict[str, dict[str, int]] = {}
    seen: dict[str, Observation] = {}
    for label, calls in sorted(operations.items()):
        for consumer, (n, obs) in calls.items():
            if consumer == UNKNOWN_CONSUMER or consumer in allowed or n == 0:
                continue
            per.setdefault(consumer, {})[label] = n
            seen[consumer] = seen[consumer].merge(obs) if consumer in seen else obs
    out: list[Undeclared] = []
    for consumer, by_op in sorted(per.items()):
        count = sum(by_op.values())
        issue = Issue(KIND, "request", "", count, total, list(declared), by_op)
        out.append((issue, consumer, {consumer: (count, seen[consumer])}))
    return out
