"""Human wording of findings, in one place (numbers are the final, aggregated ones)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from drift.core.findings import OperationRef

__all__ = ["describe"]


def _where(pointer: str) -> str:
    return f"`{pointer}`" if pointer else "the body"


def _types(observed: Any) -> str:
    if isinstance(observed, dict):
        return ", ".join(f"{k} ({v})" for k, v in observed.items())
    return str(observed)


def _objects(kind: str, pointer: str) -> str:
    """What the counts of a field-level finding are counted over."""
    parent = pointer.rsplit("/", 1)[0]
    if not parent:
        return "requests" if kind.startswith("request.") else "responses"
    return f"`{parent}` objects"


def _number(value: Any) -> str:
    """`200.0` → `200`, `312.4` → `312.4`."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _latency(
    op: OperationRef, consumer: str | None, count: int, total: int, declared: Any, observed: Any
) -> str:
    bounds = declared if isinstance(declared, Mapping) else {}
    shown = observed if isinstance(observed, Mapping) else {}
    parts = [
        f"{name} is {_number(shown.get(name))} ms (declared {_number(bound)} ms)"
        for name, bound in bounds.items()
    ]
    tightest = _number(min(bounds.values())) if bounds else "?"
    who = f" for {consumer}" if consumer else ""
    return (
        f"{op.method} {op.path} is slower than its x-latency{who}: {', '.join(parts)}; "
        f"{count} of {total} responses took longer than {tightest} ms."
    )


def _rate(
    op: OperationRef, consumer: str | None, count: int, total: int, declared: Any, observed: Any
) -> str:
    level, limit = next(iter(declared.items())) if isinstance(declared, Mapping) else ("?", "?")
    shown = observed if isinstance(observed, Mapping) else {}
    minute = shown.get("minute")
    when = f" (minute from {minute:%Y-%m-%d %H:%M} UTC)" if isinstance(minute, datetime) else ""
    who = f"Consumer {consumer} called" if consumer else "Consumers together called"
    return (
        f"{who} {op.method} {op.path} at up to {_number(shown.get('rate'))} requests/s{when}, "
        f"above the declared {level} rate of {_number(limit)}/s; {count} of {total} requests "
        "fell in minutes above it."
    )


def _calls(observed: Any) -> str:
    calls = observed if isinstance(observed, Mapping) else {}
    ranked = sorted(calls.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{label} {n}" for label, n in ranked[:3])
    return shown + (", …" if len(ranked) > 3 else "")


def describe(
    kind: str,
    op: OperationRef,
    pointer: str,
    subject: str,
    count: int,
    total: int,
    declared: Any,
    observed: Any,
    consumer: str | None,
    sunset: str | None = None,
) -> str:
    of = f"{count} of {total}"
    verb = "sent" if kind.startswith("request.") else "returned"
    if kind == "operation.undocumented":
        return f"{op.method} {op.path} is called ({count} calls) but not declared in the contract."
    if kind == "operation.unused":
        return f"{op.method} {op.path} is declared but was not called in the window."
    if kind == "operation.deprecated-in-use":
        who = consumer or "unidentified consumers"
        until = f" (sunset {sunset})" if sunset else ""
        return (
            f"{op.method} {op.path} is deprecated{until} but {who} still called it {count} times."
        )
    if kind == "request.parameter.undocumented":
        return f"Parameter `{subject}` is sent in {of} requests but not declared."
    if kind == "request.parameter.missing-required":
        return f"Required parameter `{subject}` is absent in {of} requests."
    if kind.endswith(".undocumented-field"):
        return (
            f"Field {_where(pointer)} is {verb} in {of} {_objects(kind, pointer)} but not declared."
        )
    if kind == "request.body.missing-required" and not pointer:
        return f"The request body is required but absent in {of} requests."
    if kind.endswith(".missing-required"):
        return f"Required field {_where(pointer)} is absent in {of} {_objects(kind, pointer)}."
    if kind.endswith(".type-mismatch"):
        return (
            f"{_where(pointer)} has the wrong type in {of} values (observed {_types(observed)}); the contract says "
            f"{' or '.join(declared) if isinstance(declared, list) else declared}."
        )
    if kind.endswith(".enum-violation"):
        values = ", ".join(f"{v!r}" for v in (observed or {}))
        return f"{_where(pointer)} has values outside the declared enum: {values} ({of} values)."
    if kind.endswith(".format-mismatch"):
        return (
            f"{_where(pointer)} does not match format {declared} in {of} values "
            f"(observed {_types(observed)})."
        )
    if kind == "timing.latency-breach":
        return _latency(op, consumer, count, total, declared, observed)
    if kind == "timing.rate-breach":
        return _rate(op, consumer, count, total, declared, observed)
    if kind == "consumer.undeclared":
        who = f"Consumer {consumer}" if consumer else "An unidentified consumer"
        if op.path == "*":
            n = len(observed) if isinstance(observed, Mapping) else 0
            ops = "1 operation" if n == 1 else f"{n} operations"
            return (
                f"{who} calls {ops} ({count} of {total} calls: {_calls(observed)}) "
                "but is not listed in x-consumers."
            )
        return (
            f"{who} calls {op.method} {op.path} ({count} of {total} calls) "
            "but is not listed in x-consumers."
        )
    if kind == "response.status.undocumented":
        return f"Status {subject} is returned in {of} responses but not declared."
    if kind == "response.content-type.undocumented":
        return f"Responses are sent as `{subject}` ({of}), which is not declared for this status."
    return f"{kind} at {_where(pointer)} ({of})."
