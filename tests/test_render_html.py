"""HTML report (escaping, structure, inline SVG charts, a real headless Chromium) and SARIF."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from drift.core.findings import ConsumerCount, Evidence, Finding, OperationRef
from drift.core.kinds import KINDS, Severity
from drift.core.render import RENDERERS, render
from drift.core.render.html import render_html
from drift.core.render.sarif import artifact_uri, render_sarif, sarif_level
from drift.core.render.svg import (
    WIDTH,
    format_ms,
    latency_chart,
    nice_ceiling,
    operation_stats,
    scale,
    status_bar,
)
from drift.core.report import Report, Window, build_report

SARIF_SUBSET = Path(__file__).resolve().parent / "sarif-2.1.0-subset.schema.json"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"
PETS = OperationRef("GET", "/pets/{id}")


# --- fixtures ----------------------------------------------------------------------------------


def finding(**overrides: Any) -> Finding:
    fields: dict[str, Any] = {
        "kind": "response.body.type-mismatch",
        "severity": Severity.ERROR,
        "service": "pets-api",
        "operation": PETS,
        "location": "response.body",
        "pointer": "/items/*/price",
        "message": "`price` is a string in 12 of 340 responses; the contract says integer.",
        "evidence": Evidence(
            12,
            340,
            T0 - timedelta(hours=20),
            T0 - timedelta(minutes=3),
            (ConsumerCount("billing", 10), ConsumerCount("web", 2)),
        ),
        "status": "200",
        "owner": "team-pets",
        "declared": "integer",
        "observed": "string",
    }
    fields.update(overrides)
    return Finding(**fields)


def findings() -> list[Finding]:
    """Several kinds and severities over two services, a shadow operation and hostile text."""
    invoices = OperationRef("GET", "/invoices")
    return [
        finding(),
        finding(
            pointer=f"/{XSS}",
            message=f"the field `{XSS}` is a string; see {XSS}",
            consumer="<b>x</b>",
            evidence=Evidence(3, 10, consumers=(ConsumerCount("<b>x</b>", 3),)),
        ),
        finding(
            kind="timing.latency-breach",
            severity=Severity.WARNING,
            location="timing",
            pointer="",
            status=None,
            declared={"p95": 200},
            observed={"p95": 250.4},
            message="p95 latency is 250 ms; the contract promises 200 ms.",
        ),
        finding(
            kind="operation.undocumented",
            severity=Severity.WARNING,
            operation=OperationRef("DELETE", "/pets/{id}", declared=False),
            location="",
            pointer="",
            status=None,
            declared=None,
            observed=None,
            message="DELETE /pets/{id} is called but not declared in the contract.",
            evidence=Evidence(7, 7, consumers=(ConsumerCount("admin-tool", 7),)),
        ),
        finding(
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
            message="Query parameter `debug` is sent but not declared.",
            evidence=Evidence(40, 1200, consumers=(ConsumerCount("web", 40),)),
        ),
        finding(
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


def op_stats(service: str, method: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"service": service, "method": method, "path": path, **extra}


OPERATIONS = [
    op_stats(
        "pets-api",
        "GET",
        "/pets/{id}",
        count=340,
        status_counts={"200": 300, "404": 30, "500": 10},
        latency_ms={"p50": 42.5, "p95": 250.4, "p99": 610},
        declared_latency_ms={"p95": 200, "p99": 500},
    ),
    op_stats(
        "pets-api",
        "GET",
        "/pets",
        count=1200,
        status_counts={"200": 1190, "304": 10},
        latency_ms={"p50": 12, "p95": 48, "p99": 90},
        declared_latency_ms={"p95": 200},
    ),
    op_stats(
        "billing-api",
        "GET",
        "/invoices",
        count=1200,
        status_counts={"200": 1150, "401": 50},
        latency_ms={"p50": 80, "p95": 140, "p99": 180},
        declared_latency_ms=None,
    ),
    op_stats("audit-api", "POST", "/events", count=9, status_counts={"202": 9}, latency_ms=None),
]


def report(items: list[Finding] | None = None, **overrides: Any) -> Report:
    options: dict[str, Any] = {
        "generated_at": T0,
        "window": Window(T0 - timedelta(days=1), T0),
        "sources": {"contract": "contracts/pets.yaml", "har": ["traffic/day.har"]},
        "stats": {"exchanges": 2749, "skipped": 3, "operations": OPERATIONS},
        "warnings": [f"contracts/pets.yaml: schema {XSS} is never referenced"],
    }
    options.update(overrides)
    return build_report(findings() if items is None else items, **options)


class Outline(HTMLParser):
    """Start tags with their attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self.inside: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in {"br", "meta", "link", "rect", "line", "input"}:
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            del self._stack[len(self._stack) - 1 - self._stack[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for tag in self._stack:
            self.inside.setdefault(tag, []).append(data)


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    return parser


def with_attr(parsed: Outline, tag: str, **attrs: str) -> list[dict[str, str]]:
    return [
        a
        for t, a in parsed.tags
        if t == tag and all(a.get(k.rstrip("_"), None) == v for k, v in attrs.items())
    ]


# --- SVG helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (184, 200),
        (200, 200),
        (201, 250),
        (260, 500),
        (610, 1000),
        (1001, 2000),
        (7.2, 10),
        (0.3, 0.5),
        (0.0, 1),
        (-3, 1),
        (math.nan, 1),
        (math.inf, 1),
    ],
)
def test_nice_ceiling(value: float, expected: float) -> None:
    assert expected == nice_ceiling(value)


def test_scale_is_proportional_and_clamped() -> None:
    assert 25.0 == scale(50, 200, 100)
    assert 100.0 == scale(300, 200, 100)
    assert 0.0 == scale(-1, 200, 100)
    assert 0.0 == scale(10, 0, 100)


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0.42, "0.42 ms"), (8.46, "8.5 ms"), (184.4, "184 ms"), (1250, "1.25 s"), (120_000, "120 s")],
)
def test_format_ms(ms: float, text: str) -> None:
    assert text == format_ms(ms)


def parse_svg(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def test_latency_chart_scales_bars_and_marks_breaches() -> None:
    svg = latency_chart({"p99": 610, "p50": 42.5, "p95": 250}, {"p95": 200}, ident="c1")
    root = parse_svg(svg)
    bars = root.findall(f"{SVG}rect")
    # axis 0..1000 ms (nice ceiling of 610) over a bar area of 420 - 40 - 160 = 220 units
    assert [9.35, 55.0, 134.2] == [float(b.get("width", "")) for b in bars]
    assert ["bar", "bar breach", "bar"] == [b.get("class") for b in bars]
    assert "#c0262d" == bars[1].get("fill")
    assert "#c0262d" != bars[2].get("fill")  # p99 has no declared limit: not a breach
    (limit,) = root.findall(f"{SVG}line[@class='limit']")
    assert "84" == limit.get("x1")  # 40 + 200 / 1000 * 220
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert ["p50", "42 ms", "p95", "250 ms over 200 ms", "p99", "610 ms"] == texts[:6]
    assert ["0", "500 ms", "1 s"] == texts[6:]
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert "p95 250 ms, above the declared 200 ms" in (desc.text or "")
    assert "c1-t c1-d" == root.get("aria-labelledby")
    assert "img" == root.get("role")


def test_latency_chart_within_limit_and_unmeasured_percentiles() -> None:
    root = parse_svg(latency_chart({"p95": 48}, {"p95": 200, "p99": 500}, ident="c2"))
    assert ["bar"] == [b.get("class") for b in root.findall(f"{SVG}rect")]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert ["p95", "48 ms ≤ 200 ms", "p99", "not measured"] == texts[:4]
    assert 2 == len(root.findall(f"{SVG}line[@class='limit']"))
    assert "" == latency_chart({}, None, ident="c3")


def test_svg_escapes_every_text() -> None:
    svg = latency_chart({"p95": 5}, None, ident='x"><script>', title=f"GET /{XSS} & 'q'")
    assert "<script" not in svg
    root = parse_svg(svg)
    title = root.find(f"{SVG}title")
    assert title is not None
    assert f"GET /{XSS} & 'q'" == title.text
    assert 'x"><script>-t x"><script>-d' == root.get("aria-labelledby")
    bar = status_bar({"<b>": 3, "200": 1}, ident="s", title=XSS)
    assert "<b>" not in bar
    assert "&lt;b&gt;: 3 (75.0%)" in bar


def test_status_bar_segments_fill_the_width_and_are_labelled() -> None:
    root = parse_svg(status_bar({"500": 10, "200": 300, "404": 30, "302": 0}, ident="s"))
    segments = [r for r in root.findall(f"{SVG}rect") if r.get("height") == "14"]
    assert WIDTH == pytest.approx(sum(float(s.get("width", "")) for s in segments), abs=0.02)
    assert ["#2f855a", "#b7791f", "#c0262d"] == [s.get("fill") for s in segments]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert ["200: 300 (88.2%)", "404: 30 (8.8%)", "500: 10 (2.9%)"] == labels
    assert "" == status_bar({}, ident="empty")
    assert "" == status_bar({"200": 0}, ident="zero")


def test_operation_stats_skips_malformed_entries() -> None:
    stats = {
        "operations": [
            "nonsense",
            {"service": "a", "method": "get"},  # no path
            {
                "service": "a",
                "method": "get",
                "path": "/x",
                "count": True,
                "status_counts": {"200": 5, "500": "many", "404": False},
                "latency_ms": {"p95": "250ms", "p99": "1.5s", "avg": 3, "p50": -1},
                "declared_latency_ms": [200],
            },
        ]
    }
    (only,) = operation_stats(stats).values()
    assert ("a", "GET", "/x", 0) == (only.service, only.method, only.path, only.count)
    assert {"200": 5} == only.status_counts
    assert {"p95": 250.0, "p99": 1500.0} == only.latency_ms
    assert {} == only.declared_latency_ms
    assert {} == operation_stats({"operations": "nope"})
    assert {} == operation_stats({})


# --- HTML ----------------------------------------------------------------------------------


def test_html_escapes_all_report_text() -> None:
    hostile = finding(
        service="<i>svc</i>",
        owner="<u>team</u>",
        operation=OperationRef("GET", f"/{XSS}"),
        declared={"<k>": "<v>"},
    )
    sources = {"contract": f"{XSS}.yaml", "<key>": ["<a href=x>"]}
    html = render_html(report([*findings(), hostile], sources=sources))
    parsed = outline(html)
    assert 1 == html.count("<script")  # the page's own filter script only
    assert [] == [t for t, _ in parsed.tags if t in {"i", "u"}]
    assert [] == [a for t, a in parsed.tags if t == "a" and not a["href"].startswith("#")]
    bold = parsed.inside.get("b", [])
    assert "<b>x</b>" in bold and "x" not in bold  # the consumer name, shown as text
    text = "".join(parsed.text)
    for raw in (XSS, "<b>x</b>", "<i>svc</i>", "<u>team</u>", "<a href=x>", '"<k>": "<v>"'):
        assert raw in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'data-kind="{KINDS["timing.latency-breach"].name}"' in html


def test_html_page_outline() -> None:
    """A light snapshot: the headings, tables and charts the page is made of."""
    parsed = outline(render_html(report()))
    assert [("html", "en")] == [(t, a["lang"]) for t, a in parsed.tags if t == "html"]
    headings = [a["id"] for t, a in parsed.tags if t in {"h1", "h2", "h3"} and "id" in a]
    assert [
        "overview-h",
        "svc-1-h",
        "op-1-h",
        "op-2-h",
        "svc-2-h",
        "op-4-h",
        "svc-3-h",
        "kinds-h",
        "warnings-h",
    ] == headings
    sections = [a["id"] for t, a in parsed.tags if t == "section" and "id" in a]
    assert ["svc-1", "op-1", "op-2", "svc-2", "op-4", "svc-3"] == sections
    tables = [a.get("class", "") for t, a in parsed.tags if t == "table"]
    assert ["findings", "findings", "traffic", "findings", "traffic", ""] == tables
    captions = parsed.inside["caption"]
    assert "3 findings on GET /pets/{id}" == captions[0]
    assert "1 finding on DELETE /pets/{id}" == captions[1]
    assert "Operations seen without drift in audit-api" == captions[4]
    assert 6 == len(with_attr(parsed, "tbody", class_="finding"))
    assert 4 == len(with_attr(parsed, "svg", class_="chart status"))
    assert 3 == len(with_attr(parsed, "svg", class_="chart latency"))
    cards = [a["class"] for t, a in parsed.tags if t == "article"]
    assert ["card worst-error", "card worst-warning", "card"] == cards
    assert all(t != "link" or a["href"].startswith("data:") for t, a in parsed.tags)
    links = [a["href"] for t, a in parsed.tags if t == "a"]
    assert ["#svc-1", "#svc-2", "#svc-3"] == links[:3]  # the cards lead to their services
    ids = {a["id"] for _, a in parsed.tags if "id" in a}
    assert [] == [link for link in links if link[1:] not in ids]


def test_html_findings_table_cells() -> None:
    html = render_html(report())
    parsed = outline(html)
    heads = [text.strip() for text in parsed.inside["thead"] if text.strip()]
    assert ["Severity", "Kind", "Status", "Where", "Observed vs declared"] == heads[:5]
    assert ["Evidence", "Seen", "Consumers"] == heads[5:8]
    assert "12 / 340" in html and "(3.5%)" in html
    assert '<time datetime="2024-04-30T16:00:00Z">2024-04-30 16:00Z</time>' in html
    assert "<code>price</code> is a string in 12 of 340 responses" in html
    assert '<span class="tag">undocumented</span>' in html
    for kind in {f.kind for f in findings()}:
        assert f'id="kind-{kind}"' in html
        assert KINDS[kind].advice in "".join(parsed.text)
    assert html.index('id="warnings-h"') > html.index('id="kinds-h"')
    assert "exchanges 2749, skipped 3" in html  # stats, without the operations list


def test_html_charts_follow_operations() -> None:
    html = render_html(report())
    section = html.split('<section class="operation" id="op-1"')[1].split("</section>")[0]
    assert "GET</span> <code>/pets/{id}</code>" in section
    assert "250 ms over 200 ms" in section and "610 ms over 500 ms" in section
    assert "Responses · 340 requests" in section
    assert "1,540 requests" in html  # the pets-api card adds up its operations
    audit = html.split('id="svc-3"')[1]
    assert "POST /events" in audit and "chart latency" not in audit


def test_html_without_operation_stats_or_findings() -> None:
    html = render_html(report(stats={"exchanges": 3}))
    assert "<svg" not in html
    assert 6 == html.count('<tbody class="finding"')
    empty = render_html(report([], stats={"operations": "garbage"}, warnings=[]))
    assert "No drift found." in empty
    assert 'id="filters"' not in empty and "Input warnings" not in empty
    assert "<svg" not in empty


def test_html_tolerates_a_kind_drift_does_not_know() -> None:
    html = render_html(report([finding(kind="response.body.vibes-off")]))
    assert 'id="kind-response.body.vibes-off"' in html
    assert 'href="#kind-response.body.vibes-off"' in html


def test_html_content_security_policy_hashes_match() -> None:
    html = render_html(report())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    for tag in ("style", "script"):
        body = re.search(f"<{tag}>(.*?)</{tag}>", html, flags=re.S)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy


def test_html_is_deterministic_and_registered() -> None:
    assert {"html", "sarif"} <= set(RENDERERS)
    assert render(report(), "html") == render_html(report())
    shuffled = findings()[::-1]
    assert render_html(report()) == render_html(report(shuffled))


# --- SARIF ---------------------------------------------------------------------------------


def sarif_errors(doc: dict[str, Any]) -> list[str]:
    schema = json.loads(SARIF_SUBSET.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return [e.message for e in Draft4Validator(schema).iter_errors(doc)]


@pytest.mark.parametrize(
    "case", ["fixed", "empty", "no-contract", "contracts-by-service", "unknown-kind"]
)
def test_sarif_validates_against_the_schema(case: str) -> None:
    cases: dict[str, Report] = {
        "fixed": report(),
        "empty": report([], warnings=[]),
        "no-contract": report(sources={}),
        "contracts-by-service": report(sources={"contracts": {"pets-api": "pets.yaml"}}),
        "unknown-kind": report([finding(kind="response.body.vibes-off")]),
    }
    doc = json.loads(render_sarif(cases[case]))
    assert [] == sarif_errors(doc)


@pytest.mark.parametrize(
    "path",
    [
        ("results", 0, "level"),
        ("results", 0, "ruleId"),
        ("results", 0, "partialFingerprints"),
        ("results", 0, "locations", 0, "physicalLocation", "artifactLocation"),
        ("tool", "driver", "rules", 0, "defaultConfiguration", "level"),
    ],
)
def test_sarif_schema_subset_catches_mistakes(path: tuple[str | int, ...]) -> None:
    doc = json.loads(render_sarif(report()))
    node: Any = doc["runs"][0]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = "fatal" if path[-1] == "level" else 42
    assert [] != sarif_errors(doc)
    del doc["runs"][0]["tool"]["driver"]["name"]
    assert "'name' is a required property" in sarif_errors(doc)


def test_sarif_rules_are_the_kinds_present() -> None:
    run = json.loads(render_sarif(report()))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert sorted({f.kind for f in findings()}) == [r["id"] for r in rules]
    by_id = {r["id"]: r for r in rules}
    rule = by_id["consumer.undeclared"]
    assert KINDS["consumer.undeclared"].summary == rule["shortDescription"]["text"]
    assert KINDS["consumer.undeclared"].advice == rule["help"]["text"]
    assert "note" == rule["defaultConfiguration"]["level"]
    assert "error" == by_id["response.body.type-mismatch"]["defaultConfiguration"]["level"]
    assert "warning" == by_id["timing.latency-breach"]["defaultConfiguration"]["level"]
    assert "drift" == run["tool"]["driver"]["name"]


def test_sarif_results_map_findings() -> None:
    built = report()
    run = json.loads(render_sarif(built))["runs"][0]
    results = run["results"]
    assert len(built.findings) == len(results)
    rules = run["tool"]["driver"]["rules"]
    for item, result in zip(built.findings, results, strict=True):
        assert item.kind == result["ruleId"] == rules[result["ruleIndex"]]["id"]
        assert sarif_level(item.severity) == result["level"]
        assert item.message == result["message"]["text"]
        assert {"driftFindingId/v1": item.id} == result["partialFingerprints"]
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert "contracts/pets.yaml" == uri
        evidence = result["properties"]["evidence"]
        assert (item.evidence.count, item.evidence.total) == (evidence["count"], evidence["total"])
    first = next(r for r in results if r["properties"]["pointer"] == "/items/*/price")
    assert {
        "name": "price",
        "fullyQualifiedName": "GET /pets/{id}/items/*/price",
        "kind": "property",
    } == first["locations"][0]["logicalLocations"][0]
    assert "pets-api" == first["properties"]["service"]
    assert [{"name": "billing", "count": 10}, {"name": "web", "count": 2}] == first["properties"][
        "evidence"
    ]["consumers"]
    query = next(r for r in results if r["ruleId"] == "request.parameter.undocumented")
    assert "parameter" == query["locations"][0]["logicalLocations"][0]["kind"]
    info = next(r for r in results if r["ruleId"] == "consumer.undeclared")
    assert "note" == info["level"]
    assert "GET /invoices" == info["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    (invocation,) = run["invocations"]
    assert [f"contracts/pets.yaml: schema {XSS} is never referenced"] == [
        n["message"]["text"] for n in invocation["toolExecutionNotifications"]
    ]


@pytest.mark.parametrize(
    ("sources", "uri"),
    [
        ({"contract": "/srv/api specs/pets.yaml"}, "file:///srv/api%20specs/pets.yaml"),
        ({"contract": "./contracts/pets.yaml"}, "contracts/pets.yaml"),
        ({"contract": "C:\\api\\pets.yaml"}, "file:///C:/api/pets.yaml"),
        ({"contracts": ["one.yaml"]}, "one.yaml"),
        ({"contracts": {"pets-api": "pets.yaml", "other": "x.yaml"}}, "pets.yaml"),
        ({"contracts": ["one.yaml", "two.yaml"]}, None),
        ({"contracts": {"other": "x.yaml"}}, None),
        ({}, None),
    ],
)
def test_sarif_contract_location(sources: dict[str, Any], uri: str | None) -> None:
    doc = json.loads(render_sarif(report([finding()], sources=sources)))
    (location,) = doc["runs"][0]["results"][0]["locations"]
    found = location.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
    assert uri == found
    assert [] == sarif_errors(doc)


def test_artifact_uri_keeps_urls() -> None:
    assert "https://example.org/pets.yaml" == artifact_uri("https://example.org/pets.yaml")


@pytest.mark.parametrize(
    ("severity", "level"),
    [(Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "note")],
)
def test_sarif_levels(severity: Severity, level: str) -> None:
    assert level == sarif_level(severity)


def test_sarif_is_deterministic() -> None:
    assert render_sarif(report()) == render_sarif(report(findings()[::-1]))
    assert render(report(), "sarif") == render_sarif(report())


# --- a real browser ------------------------------------------------------------------------


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = chromium_binary()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (Debian: apt-get install chromium)"
)


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert 0 == done.returncode, done.stderr[-2000:]
    return done


def console_lines(stderr: str) -> list[str]:
    """Console messages (errors, CSP violations, uncaught exceptions) Chromium logged."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@needs_chromium
@pytest.mark.slow
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(report()), encoding="utf-8")
    done = run_chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert [] == console_lines(done.stderr)
    dom = outline(done.stdout)
    assert 6 == len(with_attr(dom, "tbody", class_="finding"))
    assert 7 == len([t for t, _ in dom.tags if t == "svg"])
    assert 1 == len([t for t, _ in dom.tags if t == "script"])  # ours, not the injected one
    assert "x" not in dom.inside["b"]  # the consumer <b>x</b> is text, not an element
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.stdout
    text = "".join(dom.text)
    assert XSS in text and "<b>x</b>" in text
    # the filter script ran (the page's CSP hash let it): the form is shown, the count filled in
    (form,) = with_attr(dom, "form", id="filters")
    assert "hidden" not in form
    assert ["6 shown"] == dom.inside["output"]


@needs_chromium
@pytest.mark.slow
def test_report_screenshot_is_a_real_picture(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(report()), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = run_chromium(
        tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()
    )
    assert [] == console_lines(done.stderr)
    data = shot.read_bytes()
    assert b"\x89PNG\r\n\x1a\n" == data[:8]
    assert (1280, 2000) == (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    assert len(data) > 10_000
