"""`infer_document`: the OpenAPI 3.1 document of what traffic actually exchanged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift.core.compare.policy import Policy
from drift.core.contract.model import Contract
from drift.core.contract.openapi import METHODS
from drift.core.infer.operations import Entry, build_operation, evidence
from drift.core.infer.paths import operation_id, plan_paths
from drift.core.infer.schema import SchemaRules
from drift.core.observation import Observation, ObservationKey

__all__ = ["group_operations", "infer_document"]

OPENAPI_VERSION = "3.1.0"


def group_operations(
    observations: Mapping[ObservationKey, Observation], declared: set[str]
) -> tuple[dict[tuple[str, str], list[Entry]], dict[str, list[dict[str, Any]]]]:
    """(document path, method) -> observations, and each path's path parameters.

    Methods OpenAPI has no field for (PROPFIND, CONNECT…) are left out.
    """
    plan = plan_paths((k.path for k in observations), declared)
    ops: dict[tuple[str, str], list[Entry]] = {}
    for key, obs in sorted(observations.items()):
        method = key.method.lower()
        if method in METHODS:
            ops.setdefault((plan.path_of[key.path], method), []).append((key, obs))
    params = {path: plan.parameters(path) for path, _ in ops}
    return ops, params


def infer_document(
    observations: Mapping[ObservationKey, Observation],
    *,
    title: str,
    version: str = "observed",
    required_threshold: float = 1.0,
    contract: Contract | None = None,
    ignore_headers: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """An OpenAPI 3.1 document describing `observations` (one service), with evidence.

    With `contract`, observations of other services are left out, declared path templates and
    operation ids are kept and the contract's base paths become `servers`; nothing else of the
    contract is copied (the document says what was observed, not what was promised).
    `ignore_headers` (lower-case) are request headers not to document, e.g. the header that
    names consumers; standard headers (`Policy.header_ignored`) are never documented.
    """
    rules = SchemaRules(required_threshold=required_threshold)
    policy = Policy(ignore_headers=ignore_headers)
    if contract is not None:
        observations = {k: o for k, o in observations.items() if k.service == contract.service}
    declared_ops = contract.operations if contract is not None else ()
    ops, path_params = group_operations(observations, {op.path for op in declared_ops})
    ids = {
        (op.method.lower(), op.path): op.operation_id
        for op in declared_ops
        if op.operation_id and (op.method.lower(), op.path) in ops
    }
    taken: set[str] = set()
    kept: dict[tuple[str, str], str] = {}
    for key, op_id in sorted(ids.items()):  # declared ids first, so derived ones avoid them
        if op_id not in taken:
            taken.add(op_id)
            kept[key] = op_id
    paths: dict[str, Any] = {}
    for path in sorted({p for p, _ in ops}):
        item: dict[str, Any] = {}
        if path_params[path]:
            item["parameters"] = path_params[path]
        for method in METHODS:
            entries = ops.get((path, method))
            if entries is None:
                continue
            op_id = kept.get((method, path)) or operation_id(method, path, taken)
            item[method] = build_operation(entries, rules, policy, op_id)
        paths[path] = item
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "Observed by drift: what traffic actually exchanged, with evidence "
            "in x-drift-* extensions. Not a promise: review before guaranteeing any of it.",
        },
    }
    if contract is not None and contract.base_paths:
        doc["servers"] = [{"url": base} for base in contract.base_paths]
    doc["paths"] = paths
    all_entries: list[Entry] = sorted(observations.items())
    totals = evidence(all_entries)
    doc["x-drift-evidence"] = {
        "count": totals["count"],
        "first_seen": totals["first_seen"],
        "last_seen": totals["last_seen"],
        "operations": len(ops),
    }
    return doc
