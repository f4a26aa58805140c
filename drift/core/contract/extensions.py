"""Parsing drift's contract extensions (x-owner, x-consumers, x-latency, x-rate-limit, …)."""

from __future__ import annotations

import re
from typing import Any

from drift.core.contract.model import Guarantees

__all__ = ["STABILITIES", "parse_duration_ms", "parse_guarantees", "parse_rate"]

STABILITIES = ("stable", "beta", "experimental", "internal", "incidental")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m)?\s*$")
_UNIT_MS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, None: 1.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/|per\s+)\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_UNIT_S = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_duration_ms(value: Any) -> float | None:
    """`200ms`, `1.5s`, `200` (milliseconds) → milliseconds; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNIT_MS[m.group(2)]
    return None


def parse_rate(value: Any) -> float | None:
    """`50/s`, `3000/min`, `100 per hour`, `50` (per second) → requests per second."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _RATE.match(value)
        if m:
            return float(m.group(1)) / _UNIT_S[m.group(2)]
    return None


def _numbers(
    raw: Any, parse: Any, where: str, problems: list[tuple[str, str]]
) -> dict[str, float] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append((where, f"expected a mapping such as {{p95: 200ms}}, got {raw!r}"))
        return None
    out: dict[str, float] = {}
    for key, value in raw.items():
        number = parse(value)
        if number is None:
            problems.append((f"{where}/{key}", f"cannot read {value!r}"))
        else:
            out[str(key)] = number
    return out or None


def parse_guarantees(
    node: dict[str, Any], parent: Guarantees, where: str, problems: list[tuple[str, str]]
) -> Guarantees:
    """Extensions on `node` override those inherited from `parent` (root → operation)."""
    owner = node.get("x-owner", parent.owner)
    if owner is not None and not isinstance(owner, str):
        problems.append((f"{where}/x-owner", f"expected a team name, got {owner!r}"))
        owner = parent.owner
    consumers = parent.consumers
    raw = node.get("x-consumers")
    if isinstance(raw, str):
        consumers = (raw,)
    elif isinstance(raw, list):
        consumers = tuple(str(c.get("name") if isinstance(c, dict) else c) for c in raw)
    elif raw is not None:
        problems.append((f"{where}/x-consumers", f"expected a list of consumer names, got {raw!r}"))
    stability = node.get("x-stability", parent.stability)
    if stability is not None and stability not in STABILITIES:
        problems.append(
            (
                f"{where}/x-stability",
                f"unknown stability {stability!r}; use one of {', '.join(STABILITIES)}",
            )
        )
        stability = parent.stability
    latency = _numbers(node.get("x-latency"), parse_duration_ms, f"{where}/x-latency", problems)
    rate = _numbers(node.get("x-rate-limit"), parse_rate, f"{where}/x-rate-limit", problems)
    return Guarantees(
        owner=owner,
        consumers=consumers,
        stability=stability,
        latency=latency if latency is not None else parent.latency,
        rate_limit=rate if rate is not None else parent.rate_limit,
    )
