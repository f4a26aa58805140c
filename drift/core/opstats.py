"""Per-operation traffic statistics for reports: calls, status codes, latency percentiles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift.core.contract.model import Contract
from drift.core.observation import Observation, ObservationKey
from drift.core.timing import Histogram

__all__ = ["operation_stats"]

PERCENTILES = (50.0, 95.0, 99.0)


def operation_stats(
    contract: Contract, observations: Mapping[ObservationKey, Observation]
) -> list[dict[str, Any]]:
    """One entry per observed operation of the contract's service, busiest first."""
    declared = {(op.method, op.path): op for op in contract.operations}
    grouped: dict[tuple[str, str, bool], dict[str, Any]] = {}
    latency: dict[tuple[str, str, bool], Histogram] = {}
    for key, obs in observations.items():
        if key.service != contract.service:
            continue
        op_key = (key.method, key.path, key.declared)
        entry = grouped.setdefault(op_key, {"count": 0, "status_counts": {}, "consumers": {}})
        entry["count"] += obs.count
        status = str(key.status)
        entry["status_counts"][status] = entry["status_counts"].get(status, 0) + obs.count
        name = key.consumer or "(unidentified)"
        entry["consumers"][name] = entry["consumers"].get(name, 0) + obs.count
        if key.status < 500:
            held = latency.get(op_key)
            latency[op_key] = obs.latency if held is None else held.merge(obs.latency)
    out = []
    for (method, path, is_declared), entry in grouped.items():
        hist = latency.get((method, path, is_declared))
        op = declared.get((method, path)) if is_declared else None
        out.append(
            {
                "service": contract.service,
                "method": method,
                "path": path,
                "declared": is_declared and op is not None,
                "count": entry["count"],
                "status_counts": dict(sorted(entry["status_counts"].items())),
                "consumers": dict(sorted(entry["consumers"].items(), key=lambda i: (-i[1], i[0]))),
                "latency_ms": _percentiles(hist) if hist is not None and len(hist) else None,
                "declared_latency_ms": dict(op.guarantees.latency)
                if op and op.guarantees.latency
                else None,
            }
        )
    return sorted(out, key=lambda e: (-e["count"], e["path"], e["method"]))


def _percentiles(hist: Histogram) -> dict[str, float]:
    out = {}
    for p in PERCENTILES:
        value = hist.percentile(p)
        if value is not None:
            out[f"p{p:g}"] = round(value, 2)
    return out
