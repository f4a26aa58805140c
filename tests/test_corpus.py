"""drift on real-world contracts and conforming traffic: nothing on clean traffic, every planted drift found."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from drift.core.findings import Finding
from drift.edges.check import run_check
from drift.edges.contracts import load_contract
from tests.conftest import CORPUS, CORPUS_PAIRS, needs_corpus
from tests.injection import (
    INJECTED_PARAM,
    Expected,
    body_mutations,
    set_response_json,
    with_query,
    with_status,
)

pytestmark = [pytest.mark.corpus, needs_corpus]

NOW = datetime(2026, 11, 21, tzinfo=UTC)
BODY_KINDS = [
    "response.body.undocumented-field",
    "response.body.missing-required",
    "response.body.type-mismatch",
    "response.body.type-mismatch:null",
    "response.body.enum-violation",
    "response.body.format-mismatch",
]


def spec(name: str) -> Path:
    return CORPUS / "specs" / CORPUS_PAIRS[name]


def har_doc(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / "traffic" / f"{name}.har").read_text())


def check(contract: Path, doc: dict[str, Any], tmp_path: Path) -> list[Finding]:
    har = tmp_path / "traffic.har"
    har.write_text(json.dumps(doc))
    return list(run_check(contract, [har], now=NOW).findings)


def assert_found(findings: list[Finding], expected: Expected) -> None:
    got = [(f.kind, f.operation.method, f.operation.path, f.status, f.pointer) for f in findings]
    wanted = (expected.kind, expected.method, expected.path, expected.status, expected.pointer)
    assert wanted in got, f"expected {wanted} among {got}"


def not_deprecation(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind != "operation.deprecated-in-use"]


@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_conforming_traffic_has_no_drift(name: str, tmp_path: Path) -> None:
    findings = check(spec(name), har_doc(name), tmp_path)
    assert [] == [
        (f.kind, f.operation.path, f.pointer, f.message) for f in not_deprecation(findings)
    ]


def test_deprecated_operations_called_in_spotify_traffic_are_reported(tmp_path: Path) -> None:
    contract = load_contract(spec("spotify"))
    deprecated = {(op.method, op.path) for op in contract.operations if op.deprecated}
    findings = check(spec("spotify"), har_doc("spotify"), tmp_path)
    reported = {
        (f.operation.method, f.operation.path)
        for f in findings
        if f.kind == "operation.deprecated-in-use"
    }
    assert reported and reported <= deprecated


@pytest.mark.parametrize("kind", BODY_KINDS)
@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_planted_body_drift_is_found(name: str, kind: str, tmp_path: Path) -> None:
    doc = har_doc(name)
    entries = doc["log"]["entries"]
    mutation = body_mutations(load_contract(spec(name)), entries).get(kind)
    if mutation is None:
        pytest.skip(f"{name} has no response field fit for {kind}")
    index, body, expected = mutation
    set_response_json(entries[index], body)
    assert_found(check(spec(name), doc, tmp_path), expected)


@pytest.mark.parametrize("kind", BODY_KINDS)
def test_every_body_kind_is_planted_in_at_least_two_corpora(kind: str) -> None:
    hits = [
        n
        for n in CORPUS_PAIRS
        if kind in body_mutations(load_contract(spec(n)), har_doc(n)["log"]["entries"])
    ]
    assert len(hits) >= 2, hits


def test_an_undeclared_status_is_planted_in_at_least_two_corpora() -> None:
    """The per-corpus test skips where every operation declares `default`: not everywhere."""
    hits = [
        n
        for n in CORPUS_PAIRS
        if with_status(load_contract(spec(n)), har_doc(n)["log"]["entries"]) is not None
    ]
    assert len(hits) >= 2, hits


@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_planted_undeclared_status_is_found(name: str, tmp_path: Path) -> None:
    doc = har_doc(name)
    planted = with_status(load_contract(spec(name)), doc["log"]["entries"])
    if planted is None:
        pytest.skip(f"every operation of {name} declares a default response")
    index, expected = planted
    doc["log"]["entries"][index]["response"]["status"] = 418
    assert_found(check(spec(name), doc, tmp_path), expected)


@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_planted_undeclared_query_parameter_is_found(name: str, tmp_path: Path) -> None:
    doc = har_doc(name)
    planted = with_query(load_contract(spec(name)), doc["log"]["entries"])
    assert planted is not None
    index, expected = planted
    request = doc["log"]["entries"][index]["request"]
    request["url"] += ("&" if "?" in request["url"] else "?") + f"{INJECTED_PARAM}=secret-value"
    request.setdefault("queryString", []).append({"name": INJECTED_PARAM, "value": "secret-value"})
    findings = check(spec(name), doc, tmp_path)
    assert_found(findings, expected)
    param = [f for f in findings if f.kind == expected.kind]
    assert [INJECTED_PARAM] == [f.extra.get("parameter") for f in param]
    assert "secret-value" not in repr(findings)


@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_planted_undeclared_endpoint_is_grouped_and_found(name: str, tmp_path: Path) -> None:
    doc = har_doc(name)
    entries = doc["log"]["entries"]
    for n in (7, 12345, 99999):
        extra = copy.deepcopy(entries[0])
        extra["request"]["method"] = "GET"
        scheme_host = extra["request"]["url"].split("/", 3)[:3]
        extra["request"]["url"] = "/".join(scheme_host) + f"/drift-injected/{n}/items"
        extra["request"]["queryString"] = []
        entries.append(extra)
    findings = check(spec(name), doc, tmp_path)
    undocumented = [
        (f.operation.method, f.operation.path, f.evidence.count)
        for f in findings
        if f.kind == "operation.undocumented"
    ]
    assert [("GET", "/drift-injected/{id}/items", 3)] == undocumented


@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_call_to_operation_marked_deprecated_is_found(name: str, tmp_path: Path) -> None:
    import yaml

    document = (
        yaml.safe_load(spec(name).read_text())
        if spec(name).suffix == ".yaml"
        else json.loads(spec(name).read_text())
    )
    doc = har_doc(name)
    contract = load_contract(spec(name))
    from tests.injection import targets

    target = next(targets(contract, doc["log"]["entries"]))
    operation = document["paths"][target.op.path][target.op.method.lower()]
    operation["deprecated"] = True
    operation["x-sunset"] = "2026-01-31"
    changed = tmp_path / "contract.json"
    changed.write_text(json.dumps(document, default=str))
    findings = check(changed, doc, tmp_path)
    hits = [
        f
        for f in findings
        if f.kind == "operation.deprecated-in-use"
        and (f.operation.method, f.operation.path) == (target.op.method, target.op.path)
    ]
    assert 1 == len(hits)
    assert "error" == hits[0].severity.label  # the sunset date has passed
