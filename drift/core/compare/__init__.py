"""`compare(contract, observations, policy, now) -> findings`: pure, one small rule per kind.

Observations are grouped three ways before rules run, so that evidence totals are right:
per operation (operation rules), per (operation, status) across consumers (response rules —
the producer's behaviour, with the consumers who saw it), and per (operation, consumer) across
statuses (request rules — the consumer's behaviour). Timing rules read the latency histograms
and per-minute counts of those groups; `consumer.undeclared` groups operations that share the
root's `x-consumers` into one finding per consumer for the whole service.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from drift.core.compare.consumers import Calls, undeclared_consumers
from drift.core.compare.issue import Issue
from drift.core.compare.messages import describe
from drift.core.compare.policy import Policy
from drift.core.compare.requests import request_issues
from drift.core.compare.responses import response_issues
from drift.core.compare.timing import LatencyGroup, RateGroup, latency_breaches, rate_breaches
from drift.core.contract.model import Contract, Operation
from drift.core.contract.schema import SchemaIndex
from drift.core.findings import ConsumerCount, Evidence, Finding, OperationRef
from drift.core.kinds import Severity
from drift.core.observation import Observation, ObservationKey
from drift.core.timing import Histogram

__all__ = ["Policy", "compare"]

OpKey = tuple[str, str, bool]  # method, path, declared
SERVICE = OperationRef("*", "*")  # where service-wide findings are filed


class _Collector:
    """Turns issues into findings: sums evidence, lists consumers, words the message."""

    def __init__(self, contract: Contract, policy: Policy, now: datetime | None) -> None:
        self.contract = contract
        self.policy = policy
        self.now = now
        self.findings: list[Finding] = []

    def add(
        self,
        op: Operation | None,
        ref: OperationRef,
        issue: Issue,
        *,
        status: str | None,
        consumer: str | None,
        per_consumer: Mapping[str, tuple[int, Observation]],
        floor: Severity | None = None,
    ) -> None:
        if issue.count < self.policy.min_count and issue.kind != "operation.unused":
            return
        seen = [(c, n, o) for c, (n, o) in per_consumer.items() if n > 0]
        consumers = tuple(
            sorted(
                (ConsumerCount(c or "(unidentified)", n) for c, n, _ in seen),
                key=lambda cc: (-cc.count, cc.name),
            )
        )
        firsts = [o.first_seen for _, _, o in seen if o.first_seen is not None]
        lasts = [o.last_seen for _, _, o in seen if o.last_seen is not None]
        evidence = Evidence(
            issue.count, issue.total, min(firsts, default=None), max(lasts, default=None), consumers
        )
        severity = self.policy.severity_of(issue.kind)
        sunset = op.sunset if op is not None else None
        if issue.kind == "operation.deprecated-in-use" and _past(sunset, self.now):
            severity = max(severity, Severity.ERROR)
        if floor is not None:
            severity = max(severity, floor)
        message = describe(
            issue.kind,
            ref,
            issue.pointer,
            issue.subject,
            issue.count,
            issue.total,
            issue.declared,
            issue.observed,
            consumer,
            sunset,
        )
        owner = op.guarantees.owner if op is not None else self.contract.guarantees.owner
        self.findings.append(
            Finding(
                kind=issue.kind,
                severity=severity,
                service=self.contract.service,
                operation=ref,
                location=issue.location,
                pointer=issue.pointer,
                message=message[:1].upper() + message[1:],
                evidence=evidence,
                status=status,
                consumer=consumer,
                owner=owner,
                declared=issue.declared,
                observed=issue.observed,
                extra={"parameter": issue.subject}
                if issue.location.startswith("request.")
                and issue.subject
                and issue.location != "request.body"
                else {},
            )
        )


def _past(sunset: str | None, now: datetime | None) -> bool:
    if not sunset or now is None:
        return False
    try:
        return date.fromisoformat(sunset[:10]) <= now.date()
    except ValueError:
        return False


def _merged(observations: Iterable[Observation]) -> Observation:
    out = Observation()
    for obs in observations:
        out = out.merge(obs)
    return out


def _response_findings(
    col: _Collector,
    op: Operation,
    ref: OperationRef,
    by_status: dict[int, dict[str, Observation]],
    index: SchemaIndex,
) -> None:
    op_total = sum(o.count for per in by_status.values() for o in per.values())
    for status, per_consumer in sorted(by_status.items()):
        merged = _merged(per_consumer.values())
        counts: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(dict)
        if len(per_consumer) > 1:
            for consumer, obs in per_consumer.items():
                for issue in response_issues(op, status, obs, index, op_total):
                    counts[issue.key][consumer] = issue.count
        for issue in response_issues(op, status, merged, index, op_total):
            attributed = counts.get(issue.key) or {c: issue.count for c in per_consumer}
            col.add(
                op,
                ref,
                issue,
                status=str(status),
                consumer=None,
                per_consumer={c: (attributed.get(c, 0), o) for c, o in per_consumer.items()},
            )


def _request_findings(
    col: _Collector,
    op: Operation,
    ref: OperationRef,
    by_consumer: dict[str, list[Observation]],
    index: SchemaIndex,
) -> None:
    for consumer, observations in sorted(by_consumer.items()):
        merged = _merged(observations)
        for issue in request_issues(op, merged, index, col.policy):
            col.add(
                op,
                ref,
                issue,
                status=None,
                consumer=consumer or None,
                per_consumer={consumer: (issue.count, merged)},
            )


def _operation_findings(
    col: _Collector,
    op: Operation | None,
    ref: OperationRef,
    by_consumer: dict[str, list[Observation]],
) -> None:
    per_consumer = {c: (sum(o.count for o in obs), _merged(obs)) for c, obs in by_consumer.items()}
    total = sum(n for n, _ in per_consumer.values())
    if op is None:
        issue = Issue("operation.undocumented", "operation", "", total, total)
        col.add(None, ref, issue, status=None, consumer=None, per_consumer=per_consumer)
        return
    if op.deprecated or op.sunset:
        for consumer, (count, obs) in sorted(per_consumer.items()):
            declared = "deprecated" + (f", sunset {op.sunset}" if op.sunset else "")
            issue = Issue(
                "operation.deprecated-in-use", "operation", "", count, total, declared, None
            )
            col.add(
                op,
                ref,
                issue,
                status=None,
                consumer=consumer or None,
                per_consumer={consumer: (count, obs)},
            )


def _span(observations: Iterable[Observation]) -> Observation:
    """Only the count and first / last seen of `observations` (all evidence needs of them)."""
    out = Observation()
    for obs in observations:
        out.count += obs.count
        for moment in (obs.first_seen, obs.last_seen):
            if moment is not None:
                out.first_seen = moment if out.first_seen is None else min(out.first_seen, moment)
                out.last_seen = moment if out.last_seen is None else max(out.last_seen, moment)
    return out


def _timing_findings(
    col: _Collector,
    op: Operation,
    ref: OperationRef,
    by_status: dict[int, dict[str, Observation]],
    by_consumer: dict[str, list[Observation]],
) -> None:
    def emit(
        issue: Issue,
        consumer: str | None,
        per_consumer: Mapping[str, tuple[int, Observation]],
        floor: Severity | None,
    ) -> None:
        col.add(
            op, ref, issue, status=None, consumer=consumer, per_consumer=per_consumer, floor=floor
        )

    latency = op.guarantees.latency
    if latency:
        answered: dict[str, list[Observation]] = defaultdict(list)
        for status, per_consumer in by_status.items():
            if 100 <= status < 500:  # 5xx are failures, not slow successes; 0 is no response
                for consumer, obs in per_consumer.items():
                    answered[consumer].append(obs)
        groups = {}
        for consumer, observations in answered.items():
            hist = Histogram()
            for obs in observations:
                hist = hist.merge(obs.latency)
            groups[consumer] = LatencyGroup(hist, _span(observations))
        latency_breaches(latency, groups, col.policy, emit)
    limits = op.guarantees.rate_limit
    if limits and ("peak" in limits or "hard" in limits):
        rates = {}
        for consumer, observations in by_consumer.items():
            minutes: dict[int, int] = {}
            for obs in observations:
                for minute, n in obs.minutes.items():
                    minutes[minute] = minutes.get(minute, 0) + n
            rates[consumer] = RateGroup(minutes, _span(observations))
        rate_breaches(limits, rates, emit)


def _consumer_findings(
    col: _Collector,
    declared: Mapping[tuple[str, str], Operation],
    ops: Mapping[OpKey, dict[str, list[Observation]]],
) -> None:
    """`consumer.undeclared`: service-wide under the root's list, per operation under its own."""
    root = col.contract.guarantees.consumers
    service_wide: dict[str, Calls] = {}
    for (method, path, is_declared), by_consumer in sorted(ops.items()):
        op = _lookup(declared, method, path) if is_declared else None
        allowed = op.guarantees.consumers if op is not None else root
        if allowed is None:
            continue
        calls = {c: (sum(o.count for o in obs), _span(obs)) for c, obs in by_consumer.items()}
        if allowed == root:
            service_wide[f"{method} {path}"] = calls
            continue
        ref = OperationRef(method, path, is_declared)
        for issue, consumer, per in undeclared_consumers(allowed, {f"{method} {path}": calls}):
            col.add(op, ref, issue, status=None, consumer=consumer, per_consumer=per)
    if root is not None and service_wide:
        for issue, consumer, per in undeclared_consumers(root, service_wide):
            col.add(None, SERVICE, issue, status=None, consumer=consumer, per_consumer=per)


def _lookup(
    declared: Mapping[tuple[str, str], Operation], method: str, path: str
) -> Operation | None:
    """The declared operation; HEAD is served by GET where HEAD is not declared (as routing does)."""
    op = declared.get((method, path))
    if op is None and method == "HEAD":
        op = declared.get(("GET", path))
    return op


def compare(
    contract: Contract,
    observations: Mapping[ObservationKey, Observation],
    policy: Policy | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """Every disagreement between `contract` and `observations` of its service.

    `now` (passed in, never read from a clock) decides whether a sunset date has passed.
    """
    policy = policy or Policy()
    col = _Collector(contract, policy, now)
    index = SchemaIndex()
    declared = {(op.method, op.path): op for op in contract.operations}
    ops: dict[OpKey, dict[str, list[Observation]]] = defaultdict(lambda: defaultdict(list))
    statuses: dict[OpKey, dict[int, dict[str, Observation]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for key, obs in observations.items():
        if key.service != contract.service:
            continue
        known = key.declared and _lookup(declared, key.method, key.path) is not None
        op_key = (key.method, key.path, known)
        ops[op_key][key.consumer].append(obs)
        per = statuses[op_key][key.status]
        per[key.consumer] = per[key.consumer].merge(obs) if key.consumer in per else obs
    for op_key, by_consumer in sorted(ops.items()):
        method, path, is_declared = op_key
        op = _lookup(declared, method, path) if is_declared else None
        ref = OperationRef(method, path, is_declared)
        _operation_findings(col, op, ref, by_consumer)
        if op is not None:
            _response_findings(col, op, ref, statuses[op_key], index)
            _request_findings(col, op, ref, by_consumer, index)
            _timing_findings(col, op, ref, statuses[op_key], by_consumer)
    _consumer_findings(col, declared, ops)
    if policy.report_unused:
        seen = {(m, p) for m, p, d in ops if d}
        for op in contract.operations:
            if (op.method, op.path) not in seen:
                col.add(
                    op,
                    OperationRef(op.method, op.path),
                    Issue("operation.unused", "operation", "", 0, 0),
                    status=None,
                    consumer=None,
                    per_consumer={},
                )
    return col.findings
