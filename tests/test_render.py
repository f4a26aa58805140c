"""Renderers (text, JSON, Markdown) and the report JSON Schema."""

from __future__ import annotations

import json
import os
import random
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from drift.core.findings import ConsumerCount, Evidence, Finding, OperationRef
from drift.core.kinds import KINDS, Severity
from drift.core.render import RENDERERS, render, render_json, render_markdown, render_text
from drift.core.render.document import report_to_dict
from drift.core.report import Report, Window, build_report

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "drift" / "schemas" / "report.schema.json"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


# --- helpers ---------------------------------------------------------------------------------


def make_finding(**overrides: Any) -> Finding:
    """A valid response-body finding; any field can be overridden."""
    fields: dict[str, Any] = {
        "kind": "response.body.type-mismatch",
        "severity": Severity.ERROR,
        "service": "pets-api",
        "operation": OperationRef("GET", "/pets/{id}"),
        "location": "response.body",
        "pointer": "/items/*/price",
        "message": "`price` is a string in 12 of 340 responses; the contract says integer.",
        "evidence": Evidence(
            count=12,
            total=340,
            first_seen=T0 - timedelta(hours=20),
            last_seen=T0 - timedelta(minutes=3),
            consumers=(ConsumerCount("billing", 10), ConsumerCount("web", 2)),
        ),
        "status": "200",
        "owner": "team-pets",
        "declared": "integer",
        "observed": "string",
    }
    fields.update(overrides)
    return Finding(**fields)


def make_report(findings: list[Finding], **overrides: Any) -> Report:
    options: dict[str, Any] = {
        "generated_at": T0,
        "window": Window(T0 - timedelta(days=1), T0),
        "sources": {"contracts": ["contracts/pets.yaml"], "traffic": ["traffic/day.har"]},
        "stats": {"exchanges_read": 340, "exchanges_skipped": {"not-json": 2, "no-route": 1}},
    }
    options.update(overrides)
    return build_report(findings, **options)


def four_findings() -> list[Finding]:
    """The fixed findings behind the snapshots: every severity, two services, one shadow op."""
    invoices = OperationRef("GET", "/invoices")
    return [
        make_finding(),
        make_finding(
            kind="operation.undocumented",
            severity=Severity.WARNING,
            operation=OperationRef("DELETE", "/pets/{id}", declared=False),
            location="",
            pointer="",
            status=None,
            declared=None,
            observed=None,
            message="DELETE /pets/{id} is called but not declared in the contract.",
            evidence=Evidence(
                7,
                7,
                T0 - timedelta(hours=5),
                T0 - timedelta(hours=1),
                (ConsumerCount("admin-tool", 7),),
            ),
        ),
        make_finding(
            kind="request.parameter.undocumented",
            severity=Severity.WARNING,
            service="billing-api",
            operation=invoices,
            location="request.query",
            pointer="/debug",
            status=None,
            consumer="web",
            owner="team-billing",
            declared=None,
            observed="string",
            message="Query parameter `debug` is sent but not declared.",
            evidence=Evidence(
                40,
                1200,
                T0 - timedelta(hours=23),
                T0 - timedelta(minutes=9),
                (ConsumerCount("web", 40),),
            ),
        ),
        make_finding(
            kind="consumer.undeclared",
            severity=Severity.INFO,
            service="billing-api",
            operation=invoices,
            location="request",
            pointer="",
            status=None,
            consumer="reporting-job",
            owner="team-billing",
            declared=["web", "mobile"],
            observed="reporting-job",
            message="reporting-job calls GET /invoices but is not listed in x-consumers.",
            evidence=Evidence(5, 1200, consumers=(ConsumerCount("reporting-job", 5),)),
        ),
    ]


def fixed_report() -> Report:
    warnings = ["contracts/pets.yaml: components.schemas.Legacy is never referenced"]
    return make_report(four_findings(), warnings=warnings)


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    checker = FormatChecker()  # jsonschema checks date-time only with an optional extra; do it here

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        datetime.fromisoformat(value)
        return RFC3339.fullmatch(value) is not None

    return Draft202012Validator(schema, format_checker=checker)


def errors_for(doc: dict[str, Any]) -> list[str]:
    return [error.message for error in validator().iter_errors(doc)]


def check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("DRIFT_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"missing snapshot {path}; run with DRIFT_UPDATE_SNAPSHOTS=1 to create it")
    assert actual == path.read_bytes().decode("utf-8")


# --- JSON document and schema -----------------------------------------------------------------


def test_json_output_validates_against_schema() -> None:
    doc = json.loads(render_json(fixed_report()))
    assert errors_for(doc) == []
    assert doc == report_to_dict(fixed_report())


def test_empty_report_validates() -> None:
    report = make_report([], window=Window(None, None), stats={}, sources={})
    assert errors_for(report_to_dict(report)) == []


def test_finding_with_every_field_round_trips() -> None:
    finding = make_finding(
        consumer="billing",
        declared={"type": "integer", "enum": (1, 2)},
        observed={
            "types": {"string"},
            "at": datetime(2024, 4, 30, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        },
        extra={"sample_size": 340, "formats": ("uuid",)},
    )
    doc = json.loads(render_json(make_report([finding])))
    assert errors_for(doc) == []
    assert doc["findings"] == [
        {
            "id": finding.id,
            "kind": "response.body.type-mismatch",
            "severity": "error",
            "service": "pets-api",
            "operation": {"method": "GET", "path": "/pets/{id}", "declared": True},
            "status": "200",
            "location": "response.body",
            "pointer": "/items/*/price",
            "consumer": "billing",
            "owner": "team-pets",
            "declared": {"type": "integer", "enum": [1, 2]},
            "observed": {"types": ["string"], "at": "2024-04-30T12:00:00Z"},
            "evidence": {
                "count": 12,
                "total": 340,
                "first_seen": "2024-04-30T16:00:00Z",
                "last_seen": "2024-05-01T11:57:00Z",
                "consumers": [{"name": "billing", "count": 10}, {"name": "web", "count": 2}],
            },
            "message": finding.message,
            "advice": KINDS["response.body.type-mismatch"].advice,
            "extra": {"sample_size": 340, "formats": ["uuid"]},
        }
    ]
    assert list(doc["findings"][0])[:3] == ["id", "kind", "severity"]


def test_document_top_level() -> None:
    doc = report_to_dict(fixed_report())
    assert doc["generated_at"] == "2024-05-01T12:00:00Z"
    assert doc["window"] == {"start": "2024-04-30T12:00:00Z", "end": "2024-05-01T12:00:00Z"}
    assert doc["summary"]["by_severity"] == {"error": 1, "warning": 2, "info": 1}
    assert doc["services"] == ["billing-api", "pets-api"]
    assert "extra" not in doc["findings"][0]


def test_naive_datetimes_are_taken_as_utc() -> None:
    report = make_report([], generated_at=datetime(2024, 5, 1, 12, 0))
    assert report_to_dict(report)["generated_at"] == "2024-05-01T12:00:00Z"


def test_schema_kind_enum_matches_kinds() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert set(schema["$defs"]["kind"]["enum"]) == set(KINDS)
    assert set(schema["$defs"]["severity"]["enum"]) == {s.label for s in Severity}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "response.body.vibes-off"),
        ("id", "XYZ"),
        ("id", "0123456789ABCDEF"),
        ("severity", "critical"),
        ("pointer", "items/0"),
        ("surprise", 1),
        ("extra", {}),
    ],
)
def test_schema_rejects_bad_findings(field: str, value: Any) -> None:
    doc = report_to_dict(fixed_report())
    doc["findings"][0][field] = value
    assert errors_for(doc) != []


def test_schema_rejects_bad_evidence_and_dates() -> None:
    doc = report_to_dict(fixed_report())
    doc["findings"][0]["evidence"]["ratio"] = 0.5
    assert errors_for(doc) != []
    doc = report_to_dict(fixed_report())
    doc["generated_at"] = "yesterday"
    assert errors_for(doc) != []
    doc["generated_at"] = "2024-05-01T12:00:00+02:00"  # a date-time, but not UTC with Z
    assert errors_for(doc) != []


def test_schema_keeps_open_objects_open() -> None:
    doc = report_to_dict(fixed_report())
    doc["stats"]["anything"] = {"nested": [1, 2]}
    doc["sources"]["store"] = "postgresql://db/drift"
    doc["findings"][0]["extra"] = {"whatever": True}
    assert errors_for(doc) == []


# --- text and Markdown ---------------------------------------------------------------------


@pytest.mark.parametrize("renderer", [render_text, render_markdown])
def test_human_formats_mention_every_finding(renderer: Any) -> None:
    output = renderer(fixed_report())
    for finding in four_findings():
        assert finding.kind in output
        assert finding.pointer in output
        assert f"{finding.evidence.count}/{finding.evidence.total}" in output
        for consumer in finding.evidence.consumers:
            assert consumer.name in output
        if finding.consumer:
            assert finding.consumer in output
    assert "billing 10, web 2" in output
    assert "(undocumented)" in output
    assert "components.schemas.Legacy" in output


def test_text_lines() -> None:
    text = render_text(fixed_report())
    assert "4 findings: 1 error, 2 warnings, 1 info" in text
    assert "  GET /pets/{id}\n" in text
    assert "  DELETE /pets/{id}  (undocumented)\n" in text
    assert re.search(
        r"ERROR +response\.body\.type-mismatch +200 /items/\*/price +integer→string"
        r" +\(12/340, consumers: billing 10, web 2\)",
        text,
    )
    assert "first seen 2024-04-30T16:00:00Z · last seen 2024-05-01T11:57:00Z" in text
    assert "\x1b" not in text
    assert text.index("Input warnings") > text.index("consumer.undeclared")
    assert all(len(line) <= 120 for line in text.splitlines())


def test_no_drift_found() -> None:
    report = make_report([])
    text = render_text(report)
    assert "No drift found." in text
    assert "exchanges read 340, exchanges skipped 3 (not-json 2, no-route 1)" in text
    assert "No drift found." in render_markdown(report)


def test_markdown_escapes_pipes_in_cells() -> None:
    report = make_report([make_finding(pointer="/a|b", message="x | y\nsecond line")])
    markdown = render_markdown(report)
    assert r"`/a\|b`" in markdown
    assert r"x \| y<br>second line" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| Severity | Kind")]
    header_cells = len(re.findall(r"(?<!\\)\|", rows[0]))
    table = markdown.split(rows[0])[1].split("\n\n")[0].strip().splitlines()
    assert all(len(re.findall(r"(?<!\\)\|", row)) == header_cells for row in table)


def test_markdown_parses_as_gfm_tables() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark").enable("table")
    odd = make_finding(pointer="/a|b", message="`price|cost` is *odd* | <b>\nsecond line")
    html = parser.render(render_markdown(make_report([*four_findings(), odd])))
    assert html.count("<table>") == 2 + 3  # two summary tables, one per operation
    assert "<code>/a|b</code>" in html
    assert "<code>price|cost</code> is *odd* | &lt;b&gt;<br>second line" in html
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        assert row.count("<td") in (0, 2, 8)


def test_markdown_sections_and_advice() -> None:
    markdown = render_markdown(fixed_report())
    assert markdown.startswith("# drift report\n")
    assert "## Service: pets-api" in markdown
    assert "### `GET /pets/{id}`" in markdown
    assert "### `DELETE /pets/{id}` (undocumented)" in markdown
    assert "## What to do" in markdown
    for kind in {f.kind for f in four_findings()}:
        assert KINDS[kind].advice.split(" ")[0] in markdown


# --- dispatch, determinism, snapshots --------------------------------------------------------


def test_render_dispatch() -> None:
    assert {"text", "json", "markdown", "html", "sarif"} == set(RENDERERS)
    report = fixed_report()
    assert render(report, "json") == render_json(report)
    with pytest.raises(ValueError, match="html, json, markdown, sarif, text"):
        render(report, "yaml")


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_output_is_deterministic(fmt: str) -> None:
    shuffled = four_findings()
    random.Random(7).shuffle(shuffled)
    first = render(fixed_report(), fmt)
    assert first == render(fixed_report(), fmt)
    assert first == render(make_report(shuffled, warnings=list(fixed_report().warnings)), fmt)
    assert first.endswith("\n")


def test_text_snapshot() -> None:
    check_snapshot("report.txt", render_text(fixed_report()))


def test_markdown_snapshot() -> None:
    check_snapshot("report.md", render_markdown(fixed_report()))
