"""Outbox messages for the daemon's events, and the dedupe keys that make them "once".

Keys are `{sink}:{target}:{event}:{subject}:{window start}`, where the window is a fixed slot of
time counted from the Unix epoch:

- an alert (`new`, `regressed`) or a `resolved` notice: subject = the finding id, window = the
  cooldown, so a finding alerts at most once per event and cooldown window, however often
  reviews run or replicas race;
- a digest: subject = the digest's scope (an owner, a service, or `all`), window = the digest
  period, so each period's digest goes out once.

When one review brings more than `bundle_over` findings for one target, they go out as one
message keyed by the set of ids, so a bad deploy does not flood a channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from drift.core.findings import Finding, fingerprint
from drift.core.render.document import iso
from drift.core.render.slack import (
    SlackMessage,
    alert_message,
    digest_message,
    resolved_message,
    webhook_payload,
)
from drift.core.report import Report, window_start
from drift.edges.notify.outbox import OutboxMessage

__all__ = [
    "dedupe_key",
    "slack_alerts",
    "slack_digest",
    "slack_resolved",
    "webhook_events",
    "window_start",
]


def dedupe_key(sink: str, target: str, event: str, subject: str, window: datetime) -> str:
    return f"{sink}:{target}:{event}:{subject}:{iso(window)}"


def _slack(key: str, channel: str, message: SlackMessage) -> OutboxMessage:
    return OutboxMessage(key, "slack", channel, message.payload())


def _each_or_bundle(
    findings: Sequence[Finding],
    *,
    event: str,
    channel: str,
    window: datetime,
    bundle_over: int,
    build: Callable[[Sequence[Finding]], SlackMessage],
) -> list[OutboxMessage]:
    if len(findings) > bundle_over:
        subject = "set-" + fingerprint(*sorted(f.id for f in findings))
        key = dedupe_key("slack", channel, event, subject, window)
        return [_slack(key, channel, build(findings))]
    return [
        _slack(dedupe_key("slack", channel, event, f.id, window), channel, build([f]))
        for f in findings
    ]


def slack_alerts(
    findings: Sequence[Finding],
    *,
    event: str,
    channel: str,
    now: datetime,
    cooldown: timedelta,
    report: str | None = None,
    bundle_over: int = 5,
) -> list[OutboxMessage]:
    """Immediate alerts for `new` or `regressed` findings: one message each, or one bundle."""
    return _each_or_bundle(
        findings,
        event=event,
        channel=channel,
        window=window_start(now, cooldown),
        bundle_over=bundle_over,
        build=lambda found: alert_message(found, event=event, report=report),
    )


def slack_resolved(
    findings: Sequence[Finding],
    *,
    channel: str,
    now: datetime,
    cooldown: timedelta,
    report: str | None = None,
    bundle_over: int = 5,
) -> list[OutboxMessage]:
    """Resolved notices: one message each, or one bundle."""
    return _each_or_bundle(
        findings,
        event="resolved",
        channel=channel,
        window=window_start(now, cooldown),
        bundle_over=bundle_over,
        build=lambda found: resolved_message(found, report=report),
    )


def slack_digest(
    report: Report,
    *,
    channel: str,
    period_start: datetime,
    scope: str = "all",
    link: str | None = None,
    limit: int = 25,
) -> OutboxMessage:
    """The digest of one period for one scope (owner, service or `all`)."""
    key = dedupe_key("slack", channel, "digest", scope, period_start)
    return _slack(key, channel, digest_message(report, link=link, limit=limit))


def webhook_events(
    findings: Sequence[Finding],
    *,
    event: str,
    target: str,
    now: datetime,
    cooldown: timedelta,
    report: str | None = None,
) -> list[OutboxMessage]:
    """One webhook call per finding and event (machines prefer one document per event)."""
    window = window_start(now, cooldown)
    return [
        OutboxMessage(
            dedupe_key("webhook", target, event, f.id, window),
            "webhook",
            target,
            webhook_payload(event, [f], generated_at=now, report=report),
        )
        for f in findings
    ]
