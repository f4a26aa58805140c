"""Lifecycle events → routed outbox messages (Slack, webhooks) → delivery.

Routing (`drift.core.owners`): a finding goes to its producer owner's channel, consumer-
attributed findings also to the consumer's owner, undocumented dependencies to both sides;
anything without a routed channel goes to the default Slack channel. Immediate alerts are new
or regressed findings at or above `notify.slack.immediate`; everything else waits for the
digest. Dedupe keys (see `drift.edges.notify.compose`) make each alert go out once per cooldown.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from drift.core.findings import Finding
from drift.core.lifecycle import Event
from drift.core.owners import Owner, recipients
from drift.core.report import Report, Window, build_report
from drift.edges.config.model import DriftConfig
from drift.edges.notify import (
    NotifyConfigError,
    OutboxMessage,
    Sender,
    Sink,
    SlackSink,
    WebhookSink,
    enqueue,
    slack_alerts,
    slack_digest,
    slack_resolved,
    webhook_events,
    window_start,
)
from drift.edges.store import Store

__all__ = ["ConfiguredNotifier", "notifier_for"]

log = logging.getLogger(__name__)


class ConfiguredNotifier:
    def __init__(self, config: DriftConfig, store: Store, sinks: dict[str, Sink]) -> None:
        self.store = store
        self.sender = Sender(store.engine, sinks)
        self.slack = config.notify.slack if "slack" in sinks else None
        self.webhooks = list(config.notify.webhooks) if "webhook" in sinks else []
        self.service_owners = {
            s.name or "": Owner(s.owner, s.slack_channel) for s in config.services if s.owner
        }
        self.consumer_owners = {
            name: Owner(o.team or name, o.slack_channel) for name, o in config.owners.items()
        }

    # -- routing -----------------------------------------------------------------------------

    def _channels(self, finding: Finding) -> list[str]:
        assert self.slack is not None
        service_owner = self.service_owners.get(finding.service) or next(
            iter(self.service_owners.values()), None
        )
        default = Owner("default", self.slack.channel)
        found = recipients(
            finding,
            service_owner=service_owner,
            consumer_owners=self.consumer_owners,
            default=default,
        )
        channels = [r.channel for r in found if r.channel]
        return list(dict.fromkeys(channels)) or [self.slack.channel]

    # -- Notifier protocol -------------------------------------------------------------------

    def review_events(
        self, events: Sequence[Event], report: Report, report_paths: Sequence[Path], now: datetime
    ) -> int:
        link = str(report_paths[0]) if report_paths else None
        messages: list[OutboxMessage] = []
        slack = self.slack
        if slack is not None:
            cooldown = timedelta(seconds=slack.cooldown)
            by_channel: dict[tuple[str, str], list[Finding]] = defaultdict(list)
            for event in events:
                finding = event.finding or event.tracked.finding
                kind: str = "new" if event.kind == "waiver-expired" else event.kind
                alert = (kind in ("new", "regressed") and finding.severity >= slack.immediate) or (
                    kind == "resolved" and slack.resolved_notices
                )
                if alert:
                    for channel in self._channels(finding):
                        by_channel[(kind, channel)].append(finding)
            for (kind, channel), found in sorted(by_channel.items()):
                if kind == "resolved":
                    messages += slack_resolved(
                        found, channel=channel, now=now, cooldown=cooldown, report=link
                    )
                else:
                    messages += slack_alerts(
                        found, event=kind, channel=channel, now=now, cooldown=cooldown, report=link
                    )
        for hook in self.webhooks:
            for event in events:
                finding = event.finding or event.tracked.finding
                if event.alert and finding.severity >= hook.min_severity:
                    messages += webhook_events(
                        [finding],
                        event=event.kind,
                        target=hook.name,
                        now=now,
                        cooldown=timedelta(days=1),
                        report=link,
                    )
        return enqueue(self.store.engine, messages)  # delivery timing is real time

    def digest(
        self, findings: Sequence[Finding], report_paths: Sequence[Path], now: datetime
    ) -> int:
        slack = self.slack
        if slack is None or not findings:
            return 0
        link = str(report_paths[0]) if report_paths else None
        period = window_start(now, timedelta(days=1))
        by_channel: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            for channel in self._channels(finding):
                by_channel[channel].append(finding)
        messages = [
            slack_digest(
                build_report(found, generated_at=now, window=Window(None, now)),
                channel=channel,
                period_start=period,
                scope=channel,
                link=link,
            )
            for channel, found in sorted(by_channel.items())
        ]
        return enqueue(self.store.engine, messages)  # delivery timing is real time

    def send_due(self) -> int:
        result = self.sender.send_due()
        if result.errors:
            log.warning(
                "some notifications failed; they will be retried",
                extra={"failed": result.failed, "errors": result.errors[:3]},
            )
        return result.delivered


def notifier_for(config: DriftConfig, store: Store) -> ConfiguredNotifier | None:
    """The notifier the config asks for, with what the environment allows (no token: no Slack)."""
    sinks: dict[str, Sink] = {}
    slack = config.notify.slack
    if slack is not None:
        try:
            if slack.base_url:
                sinks["slack"] = SlackSink.from_env(slack.token_env, base_url=slack.base_url)
            else:
                sinks["slack"] = SlackSink.from_env(slack.token_env)
        except NotifyConfigError as exc:
            log.info("Slack alerts are off", extra={"reason": str(exc)})  # config check warns
    if config.notify.webhooks:
        try:
            sinks["webhook"] = WebhookSink.from_env(
                {w.name: w.url_env for w in config.notify.webhooks}
            )
        except NotifyConfigError as exc:
            log.warning("webhooks are off", extra={"reason": str(exc)})
    return ConfiguredNotifier(config, store, sinks) if sinks else None
