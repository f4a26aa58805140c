"""SARIF 2.1.0 renderer: one run of the tool `drift`, one result per finding.

Rules are the finding kinds present in the report. Results point at the contract file (there is
no line to point at: a finding is about an operation, so each result also carries a logical
location, `METHOD path` plus the JSON pointer) and keep the full evidence in `properties`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from drift import __version__
from drift.core.findings import Finding
from drift.core.kinds import KINDS, Severity
from drift.core.render.document import finding_to_dict, iso, iso_or_none
from drift.core.report import Report

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_sarif", "sarif_level", "sarif_log"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT = "driftFindingId/v1"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# Keys of the finding document that SARIF already says elsewhere (or that `properties` repeats).
_SAID_ELSEWHERE = ("id", "kind", "message", "advice")
_PARAMETER_LOCATIONS = ("request.query", "request.header", "request.cookie", "request.path")


def sarif_level(severity: Severity) -> str:
    """error → error, warning → warning, info → note."""
    return _LEVELS[severity]


def artifact_uri(path: str) -> str:
    """A URI reference for a contract path: relative paths stay relative (to the checkout, as
    code-scanning tools expect); absolute ones become `file://` URIs; URLs pass through."""
    if "://" in path:
        return path
    posix = path.replace("\\", "/")
    if len(posix) > 1 and posix[1] == ":":  # a Windows drive: C:/contracts/pets.yaml
        return "file:///" + quote(posix, safe="/:")
    if posix.startswith("/"):
        return "file://" + quote(posix, safe="/")
    return quote(posix.removeprefix("./"), safe="/")


def _contract_for(sources: Mapping[str, Any], service: str) -> str | None:
    """The contract file of `service`: `contract` (one file), or `contracts` as a mapping of
    service to file, or a list holding exactly one file."""
    single = sources.get("contract")
    if isinstance(single, str) and single:
        return single
    many = sources.get("contracts")
    if isinstance(many, Mapping):
        found = many.get(service)
        return found if isinstance(found, str) and found else None
    if isinstance(many, list | tuple) and len(many) == 1 and isinstance(many[0], str):
        return many[0] or None
    return None


def _rule(kind: str, fallback: Severity) -> dict[str, Any]:
    known = KINDS.get(kind)
    severity = known.severity if known else fallback
    rule: dict[str, Any] = {
        "id": kind,
        "shortDescription": {"text": known.summary if known else kind},
        "help": {"text": known.advice if known else "See the finding's message."},
        "defaultConfiguration": {"level": sarif_level(severity)},
        "properties": {"tags": ["api-contract", "drift", kind.split(".", 1)[0]]},
    }
    if known:
        rule["fullDescription"] = {"text": f"{known.summary}. {known.advice}"}
    return rule


def _logical_location(finding: Finding) -> dict[str, Any]:
    """`METHOD path` plus the pointer; named after the pointer's last segment where there is
    one ('price' for /items/*/price)."""
    operation = f"{finding.operation.method} {finding.operation.path}"
    if not finding.pointer.startswith("/"):
        return {"name": operation, "fullyQualifiedName": operation, "kind": "function"}
    last = finding.pointer.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
    is_parameter = finding.location.startswith(_PARAMETER_LOCATIONS)
    return {
        "name": last,
        "fullyQualifiedName": operation + finding.pointer,
        "kind": "parameter" if is_parameter else "property",
    }


def _location(finding: Finding, contract: str | None) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [_logical_location(finding)]}
    if contract:
        location["physicalLocation"] = {"artifactLocation": {"uri": artifact_uri(contract)}}
    return location


def _result(finding: Finding, rule_index: int, contract: str | None) -> dict[str, Any]:
    details = finding_to_dict(finding)
    properties = {key: value for key, value in details.items() if key not in _SAID_ELSEWHERE}
    return {
        "ruleId": finding.kind,
        "ruleIndex": rule_index,
        "level": sarif_level(finding.severity),
        "message": {"text": finding.message or finding.kind},
        "locations": [_location(finding, contract)],
        "partialFingerprints": {FINGERPRINT: finding.id},
        "properties": properties,
    }


def sarif_log(report: Report) -> dict[str, Any]:
    """The SARIF log as plain JSON-ready data."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in sorted(report.findings, key=lambda f: f.kind):
        if finding.kind not in index:
            index[finding.kind] = len(rules)
            rules.append(_rule(finding.kind, finding.severity))
    results = [
        _result(f, index[f.kind], _contract_for(report.sources, f.service)) for f in report.findings
    ]
    driver = {
        "name": "drift",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": rules,
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "results": results,
        "properties": {
            "generatedAt": iso(report.generated_at),
            "window": {
                "start": iso_or_none(report.window.start),
                "end": iso_or_none(report.window.end),
            },
            "services": list(report.services),
            "reportSchemaVersion": report.schema_version,
        },
    }
    if report.warnings:  # problems with the inputs that did not stop the run
        notes = [{"level": "warning", "message": {"text": w}} for w in report.warnings]
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notes}]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report) -> str:
    """The report as a SARIF 2.1.0 log (JSON, two-space indent)."""
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
