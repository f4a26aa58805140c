"""Notifications: the outbox table (deduplicated, leased, retried), and the Slack and generic
webhook sinks that deliver its rows. Message content comes from `drift.core.render.slack`."""

from __future__ import annotations

from drift.edges.notify.clock import Clock, SystemClock
from drift.edges.notify.compose import (
    dedupe_key,
    slack_alerts,
    slack_digest,
    slack_resolved,
    webhook_events,
    window_start,
)
from drift.edges.notify.outbox import Backoff, OutboxMessage, Sender, SendResult, enqueue
from drift.edges.notify.rows import PARKED, prune, unpark
from drift.edges.notify.sink import Delivery, DeliveryError, NotifyConfigError, Sink
from drift.edges.notify.slack import SlackSink
from drift.edges.notify.webhook import WebhookSink

__all__ = [
    "PARKED",
    "Backoff",
    "Clock",
    "Delivery",
    "DeliveryError",
    "NotifyConfigError",
    "OutboxMessage",
    "SendResult",
    "Sender",
    "Sink",
    "SlackSink",
    "SystemClock",
    "WebhookSink",
    "dedupe_key",
    "enqueue",
    "prune",
    "slack_alerts",
    "slack_digest",
    "slack_resolved",
    "unpark",
    "webhook_events",
    "window_start",
]
