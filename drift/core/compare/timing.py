"""Timing rules: `timing.latency-breach` (x-latency) and `timing.rate-breach` (x-rate-limit).

Latency is the producer's behaviour: one finding per operation with consumer null, judged over
all responses with status 100-499 (5xx are failures, not slow successes); per-consumer findings
only when `Policy.timing_per_consumer` asks. A percentile is judged only on enough responses
(`Policy.min_latency_samples`, and at least one response beyond it: 100 for p99), and breaches
only when the histogram shows it for certain (the bucket of the percentile's rank lies wholly
above the bound): no false alarm, at the price of missing breaches under one bucket (4%).

Rates are peaks: the busiest epoch minute's requests / 60. A consumer that alone exceeds a level
gets its own finding; the operation-wide finding (consumer null) is kept for a level only when
no single consumer explains it. Only the highest level crossed (`hard` > `peak`) is reported,
with the level as pointer (`/peak`, `/hard`) so the two are distinct findings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from drift.core.compare.issue import Issue
from drift.core.compare.policy import Policy
from drift.core.kinds import Severity
from drift.core.observation import UNKNOWN_CONSUMER, Observation
from drift.core.timing import Histogram, rank_of

__all__ = ["LatencyGroup", "RateGroup", "latency_breaches", "quantile_of", "rate_breaches"]

# (issue, consumer or None, consumer -> (count, observation for first/last seen), severity floor)
Emit = Callable[[Issue, str | None, Mapping[str, tuple[int, Observation]], Severity | None], None]

_PERCENTILE = re.compile(r"^[pP](\d{1,3}(?:\.\d+)?)$")
RATE_LEVELS = (("hard", Severity.ERROR), ("peak", Severity.WARNING))  # highest first


def quantile_of(name: str) -> float | None:
    """`p95` → 0.95, `p99.9` → 0.999, `p100` → 1.0; None for other names."""
    m = _PERCENTILE.match(name.strip())
    if m is None:
        return None
    percent = Decimal(m.group(1))
    return float(percent / 100) if 0 < percent <= 100 else None


def rounded(value: float) -> float:
    """Four significant digits: what a 2% estimate can honestly claim."""
    return float(f"{value:.4g}")


def _needed(q: float, policy: Policy) -> int:
    """Responses needed to judge quantile `q`: the policy minimum, and one beyond the rank."""
    tail = math.ceil(round(1 / (1 - q), 9)) if q < 1 else 1
    return max(policy.min_latency_samples, tail)


@dataclass(slots=True)
class LatencyGroup:
    """One consumer's latencies of an operation (statuses 100-499 only)."""

    latency: Histogram
    seen: Observation  # first / last seen of those responses


def _latency_issue(
    declared: Mapping[str, float], hist: Histogram, policy: Policy
) -> tuple[Issue, float] | None:
    """The breach of `declared` shown by `hist`, with the tightest breached bound."""
    n = hist.count
    breached: dict[str, float] = {}
    observed: dict[str, float] = {}
    for name, bound in declared.items():
        q = quantile_of(name)
        if q is None or n < _needed(q, policy):
            continue
        # the rank's value is certainly above `bound` when enough values are (whole buckets)
        if hist.count_above(bound) > n - rank_of(q, n):
            estimate = hist.quantile(q)
            assert estimate is not None
            breached[name], observed[name] = bound, rounded(estimate)
    if not breached:
        return None
    tightest = min(breached.values())
    issue = Issue(
        "timing.latency-breach",
        "response",
        "",
        hist.count_above(tightest),
        n,
        breached,
        observed,
    )
    return issue, tightest


def latency_breaches(
    declared: Mapping[str, float],
    groups: Mapping[str, LatencyGroup],
    policy: Policy,
    emit: Emit,
) -> None:
    """`timing.latency-breach` for one operation: overall, then per consumer when asked."""
    overall = Histogram()
    for group in groups.values():
        overall = overall.merge(group.latency)
    found = _latency_issue(declared, overall, policy)
    if found is not None:
        issue, tightest = found
        per = {c: (g.latency.count_above(tightest), g.seen) for c, g in groups.items()}
        emit(issue, None, per, None)
    if not policy.timing_per_consumer:
        return
    for consumer, group in sorted(groups.items()):
        if consumer == UNKNOWN_CONSUMER:
            continue  # its finding would read as the overall one
        own = _latency_issue(declared, group.latency, policy)
        if own is not None:
            emit(own[0], consumer, {consumer: (own[0].count, group.seen)}, None)


@dataclass(slots=True)
class RateGroup:
    """One consumer's requests of an operation per epoch minute."""

    minutes: dict[int, int]
    seen: Observation


def _peak(minutes: Mapping[int, int]) -> tuple[float, int]:
    """(requests per second in the busiest minute, that minute; the earliest on ties)."""
    minute = min(minutes, key=lambda m: (-minutes[m], m))
    return minutes[minute] / 60, minute


def _level(limits: Mapping[str, float], rate: float) -> tuple[str, Severity] | None:
    for name, severity in RATE_LEVELS:
        if name in limits and rounded(rate) > limits[name]:
            return name, severity
    return None


def _busy(minutes: Mapping[int, int], limit: float) -> set[int]:
    """The minutes whose rate exceeds `limit`."""
    return {m for m, n in minutes.items() if rounded(n / 60) > limit}


def _rate_issue(level: str, limits: Mapping[str, float], minutes: Mapping[int, int]) -> Issue:
    """Evidence: requests in the minutes above the level, of all requests with a timestamp."""
    rate, minute = _peak(minutes)
    busy = _busy(minutes, limits[level])
    return Issue(
        "timing.rate-breach",
        "request",
        f"/{level}",
        sum(minutes[m] for m in busy),
        sum(minutes.values()),
        {level: limits[level]},
        {"rate": rounded(rate), "minute": datetime.fromtimestamp(minute * 60, UTC)},
    )


def rate_breaches(limits: Mapping[str, float], groups: Mapping[str, RateGroup], emit: Emit) -> None:
    """`timing.rate-breach` for one operation: per consumer, and overall where none explains it."""
    levels_hit: set[str] = set()
    for consumer, group in sorted(groups.items()):
        if consumer == UNKNOWN_CONSUMER or not group.minutes:
            continue
        hit = _level(limits, _peak(group.minutes)[0])
        if hit is not None:
            levels_hit.add(hit[0])
            issue = _rate_issue(hit[0], limits, group.minutes)
            emit(issue, consumer, {consumer: (issue.count, group.seen)}, hit[1])
    total: dict[int, int] = {}
    for group in groups.values():
        for minute, n in group.minutes.items():
            total[minute] = total.get(minute, 0) + n
    if not total:
        return
    hit = _level(limits, _peak(total)[0])
    if hit is None or hit[0] in levels_hit:
        return
    issue = _rate_issue(hit[0], limits, total)
    busy = _busy(total, limits[hit[0]])
    per = {
        c: (sum(n for m, n in g.minutes.items() if m in busy), g.seen) for c, g in groups.items()
    }
    emit(issue, None, per, hit[1])
