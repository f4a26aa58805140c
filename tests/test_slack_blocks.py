"""The pure Slack message builders: content, escaping, and Slack's size limits."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drift.core.findings import ConsumerCount, Evidence, Finding, OperationRef
from drift.core.kinds import Severity
from drift.core.render.document import finding_to_dict
from drift.core.render.slack import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_SECTION,
    MAX_TEXT,
    SlackMessage,
    alert_message,
    digest_message,
    escape,
    report_block,
    resolved_message,
    webhook_payload,
)
from drift.core.report import Window, build_report

SEEN = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def finding(i: int = 0, **overrides: Any) -> Finding:
    base = Finding(
        kind="response.body.type-mismatch",
        severity=Severity.ERROR,
        service="pets",
        operation=OperationRef("GET", "/pets/{id}"),
        location="response.body",
        pointer=f"/price{i or ''}",
        message="`price` is a string in 3 of 40 responses & <b>not</b> a number",
        evidence=Evidence(
            3, 40, SEEN, SEEN + timedelta(hours=2), (ConsumerCount("web", 2), ConsumerCount("b", 1))
        ),
        status="200",
        owner="team-pets",
        declared="number",
        observed="string",
    )
    return replace(base, **overrides)


def texts(message: SlackMessage) -> list[str]:
    """Every text in the blocks: header, section and context texts."""
    found = []
    for block in message.blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", [])]
    return found


def mrkdwn(message: SlackMessage) -> list[str]:
    return [t for b in message.blocks if b["type"] != "header" for t in texts_of(b)]


def texts_of(block: dict[str, Any]) -> list[str]:
    own = [block["text"]["text"]] if "text" in block else []
    return own + [element["text"] for element in block.get("elements", [])]


def check_limits(message: SlackMessage) -> None:
    assert len(message.blocks) <= MAX_BLOCKS
    assert len(message.text) <= MAX_TEXT
    for block in message.blocks:
        limit = MAX_HEADER if block["type"] == "header" else MAX_SECTION
        assert all(len(text) <= limit for text in texts_of(block)), block
    for text in [message.text, *mrkdwn(message)]:
        assert [] == BARE_AMPERSAND.findall(text), text
        assert "<" not in re.sub(r"<https?://[^<>|]+\|[^<>]+>", "", text), text


# -- content ---------------------------------------------------------------------------------------


def test_an_alert_says_what_where_who_how_sure_and_what_to_do() -> None:
    message = alert_message([finding()], event="new", report="https://drift.example/r?a=1&b=2")
    header, section, context, link = message.blocks
    assert {"type": "plain_text", "text": "New drift error in pets (owner team-pets)"} == header[
        "text"
    ]
    assert [
        ":red_circle: *response.body.type-mismatch* · error · new",
        "`GET /pets/{id}` · status 200 · `response.body` · `/price`",
        "`price` is a string in 3 of 40 responses &amp; &lt;b&gt;not&lt;/b&gt; a number",
        "declared `number` · observed `string`",
        "evidence: 3 of 40 (7.5%) · consumers: web 2, b 1",
        "first seen 2024-05-01T10:00:00Z · last seen 2024-05-01T12:00:00Z",
        "_Fix the producer, or declare the observed type (e.g. nullable) if it is intended._",
    ] == section["text"]["text"].split("\n")
    assert f"id `{finding().id}` · service `pets` · owner team-pets" == texts_of(context)[0]
    assert [":page_facing_up: <https://drift.example/r?a=1&amp;b=2|Full report>"] == texts_of(link)
    assert (
        "New drift error in pets (owner team-pets): "
        "response.body.type-mismatch on GET /pets/{id} 200 /price"
    ) == message.text


def test_an_alert_for_several_findings_counts_them_in_the_header() -> None:
    message = alert_message([finding(1), finding(2), finding(3)], event="regressed")
    assert "3 regressed drift errors in pets (owner team-pets)" == texts(message)[0]
    assert 1 + 3 * 2 == len(message.blocks)  # header, then a section and an id line each


def test_a_mixed_alert_speaks_of_findings_not_errors() -> None:
    warning = finding(1, severity=Severity.WARNING, kind="response.body.undocumented-field")
    assert (
        "2 new drift findings in pets (owner team-pets)"
        == texts(alert_message([finding(), warning]))[0]
    )


def test_a_digest_counts_per_service_then_lists_findings_worst_first() -> None:
    warning = finding(1, severity=Severity.WARNING, kind="response.body.undocumented-field")
    info = finding(2, severity=Severity.INFO, kind="consumer.undeclared", service="orders")
    report = build_report(
        [warning, info, finding()], generated_at=SEEN, window=Window(SEEN - timedelta(1), SEEN)
    )
    message = digest_message(report, link="/var/drift/report.html")
    found = texts(message)
    assert "drift digest · 3 findings" == found[0]
    assert (
        "3 findings: 1 error, 1 warning, 1 info\nwindow 2024-04-30T10:00:00Z → 2024-05-01T10:00:00Z"
    ) == found[1]
    assert (
        "*orders* (owner team-pets): 1 info — consumer.undeclared 1\n"
        "*pets* (owner team-pets): 1 error, 1 warning — response.body.type-mismatch 1, "
        "response.body.undocumented-field 1"
    ) == found[2]
    listed = found[3].split("\n")
    assert [":red_circle:", ":large_yellow_circle:", ":large_blue_circle:"] == [
        line.split()[1] for line in listed
    ]
    assert ":page_facing_up: Full report: `/var/drift/report.html`" == found[4]
    assert "generated 2024-05-01T10:00:00Z" == found[5]
    assert not any("more" in text for text in found)


def test_an_empty_digest_says_so_without_a_list() -> None:
    report = build_report([], generated_at=SEEN, window=Window(None, SEEN))
    message = digest_message(report)
    assert ["header", "section", "context"] == [b["type"] for b in message.blocks]
    assert "drift digest · 0 findings" == message.text


def test_a_resolved_notice_lists_the_findings_that_went_away() -> None:
    message = resolved_message([finding(), finding(1)])
    assert "Resolved: 2 drift findings in pets" == texts(message)[0]
    lines = texts(message)[1].split("\n")
    assert 2 == len(lines)
    assert lines[0].startswith(
        "• :white_check_mark: `response.body.type-mismatch` `GET /pets/{id} 200`"
    )
    assert lines[0].endswith(f"(3/40) · `{finding().id}`")


def test_report_block_links_urls_and_shows_paths() -> None:
    assert [":page_facing_up: <https://x.example/a%7Cb%3E|Full report>"] == texts_of(
        report_block("https://x.example/a|b>")
    )
    assert [":page_facing_up: Full report: `reports/a&amp;b.html`"] == texts_of(
        report_block("reports/a&b.html")
    )
    [too_long] = texts_of(report_block("https://x.example/" + "y" * 3000))
    assert too_long.startswith(":page_facing_up: Full report: `https://x.example/yyy")
    assert too_long.endswith("y…`")


def test_webhook_payload_is_the_finding_documents_and_the_event() -> None:
    payload = webhook_payload("resolved", [finding()], generated_at=SEEN, report="r.json")
    assert {
        "schema_version": "1.0",
        "source": "drift",
        "event": "resolved",
        "generated_at": "2024-05-01T10:00:00Z",
        "report": "r.json",
        "count": 1,
        "findings": [finding_to_dict(finding())],
    } == payload


# -- escaping and limits ---------------------------------------------------------------------------


def test_escape_replaces_the_three_control_characters() -> None:
    assert "a &amp;&amp; &lt;b&gt; &amp;amp;" == escape("a && <b> &amp;")


def test_backticks_in_code_do_not_break_the_span() -> None:
    message = alert_message([finding(pointer="/a`b")])
    assert "`/a'b`" in texts(message)[1]


def test_a_long_alert_ends_with_and_n_more() -> None:
    message = alert_message([finding(i) for i in range(100)], limit=100, report="r.html")
    check_limits(message)
    assert MAX_BLOCKS - 1 == len(message.blocks)  # header, 23 findings of 2 blocks, more, link
    assert "…and 77 more findings" == texts(message)[-2]
    assert message.text.endswith("more")


def test_huge_texts_are_cut_at_the_limits_not_inside_an_entity() -> None:
    huge = finding(
        service="s" * 500,
        message="&" * 5000,
        pointer="/" + "<" * 4000,
        operation=OperationRef("GET", "/" + "x" * 5000),
    )
    message = alert_message([huge] * 3, report="https://x.example/" + "y" * 4000)
    check_limits(message)
    assert texts(message)[0].endswith("…")
    assert texts(message)[1].count("&amp;") > 100


def test_a_digest_over_the_block_budget_still_fits() -> None:
    services = [f"svc-{n}-" + "x" * 200 for n in range(150)]
    many = [finding(i, service=services[i % 150], message="m " * 400) for i in range(500)]
    report = build_report(many, generated_at=SEEN, window=Window(None, SEEN))
    message = digest_message(report, link="https://x.example/r", limit=500)
    check_limits(message)
    assert message.blocks[-3]["text"]["text"].startswith("…and ")
    shown = sum(t.count("\n• ") + t.startswith("• ") for t in texts(message))
    assert f"…and {500 - shown} more findings" == message.blocks[-3]["text"]["text"]
    assert any(t.startswith("…and ") and t.endswith("more services") for t in texts(message))


def test_a_digest_under_its_limit_lists_everything() -> None:
    report = build_report(
        [finding(i) for i in range(25)], generated_at=SEEN, window=Window(None, SEEN)
    )
    assert 25 == sum(t.count("• ") for t in texts(digest_message(report, limit=25)))
    assert "…and 1 more findings" in texts(
        digest_message(replace(report, findings=(*report.findings, finding(99))), limit=25)
    )


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=600)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 120),
    service=_TEXT,
    message=_TEXT,
    pointer=_TEXT,
    owner=st.one_of(st.none(), _TEXT),
)
def test_every_builder_keeps_slack_limits(
    n: int, service: str, message: str, pointer: str, owner: str | None
) -> None:
    found = [
        finding(i, service=service or "s", message=message, pointer=pointer + str(i), owner=owner)
        for i in range(n)
    ]
    report = build_report(found, generated_at=SEEN, window=Window(None, SEEN))
    for built in (
        alert_message(found, limit=n, report=pointer or None),
        digest_message(report, link=message or None, limit=n),
        resolved_message(found, report=service, limit=n),
    ):
        check_limits(built)
