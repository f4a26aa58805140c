"""The configuration as typed, frozen values. Defaults here equal the schema's defaults (a test
keeps them in step), so a `DriftConfig` can also be built by hand in tests.

Durations are seconds (float), sizes are bytes (int), paths are absolute once loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from drift.core.compare import Policy
from drift.core.identity import ConsumerIdentifier, Rule
from drift.core.kinds import Severity
from drift.core.privacy import NamePolicy
from drift.core.sampling import SamplingPolicy
from drift.core.waivers import Waiver
from drift.edges.config.units import cron_trigger, parse_timezone

__all__ = [
    "ConsumerOwner",
    "DriftConfig",
    "LifecycleConfig",
    "NotifyConfig",
    "PolicyConfig",
    "PrivacyConfig",
    "ProxyConfig",
    "ReportsConfig",
    "RetentionConfig",
    "SamplingConfig",
    "ScheduleConfig",
    "ServiceConfig",
    "SlackConfig",
    "TriggerConfig",
    "WaiverConfig",
    "WaiverMatch",
    "WebhookConfig",
]

MiB = 1024 * 1024
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    contract: Path
    name: str | None = None  # None: derived from the contract's title when it is loaded
    owner: str | None = None  # used where the contract has no x-owner
    slack_channel: str | None = None
    upstream: str | None = None  # no upstream: no sidecar for this service
    listen: str = "127.0.0.1:8080"

    @property
    def listen_host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]") or "127.0.0.1"

    @property
    def listen_port(self) -> int:
        return int(self.listen.rpartition(":")[2])


@dataclass(frozen=True, slots=True)
class ConsumerOwner:
    team: str | None = None
    slack_channel: str | None = None


@dataclass(frozen=True, slots=True)
class SamplingConfig:
    first_n: int = 3
    route_rate: float = 5.0
    global_rate: float = 50.0
    burst_seconds: float = 1.0
    new_shapes: bool = True
    all: bool = False

    def policy(self) -> SamplingPolicy:
        if self.all:
            return SamplingPolicy.everything()
        return SamplingPolicy(
            self.first_n, self.route_rate, self.global_rate, self.burst_seconds, self.new_shapes
        )


@dataclass(frozen=True, slots=True)
class PrivacyConfig:
    header_allow: tuple[str, ...] = ()  # lower-case
    header_deny: tuple[str, ...] = ()  # lower-case
    param_allow: tuple[str, ...] = ()
    param_deny: tuple[str, ...] = ()

    def policy(self) -> NamePolicy:
        return NamePolicy.of(
            header_allow=self.header_allow,
            header_deny=self.header_deny,
            param_allow=self.param_allow,
            param_deny=self.param_deny,
        )


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    enabled: bool = False
    flush_interval: float = 5.0
    metrics: str = "127.0.0.1:9464"  # "" = no /healthz, /metrics
    stream_large_bodies: int = 8 * MiB
    body_limit: int = 4 * MiB
    queue_max: int = 10_000
    queue_max_bytes: int = 64 * MiB
    confdir: Path | None = None


@dataclass(frozen=True, slots=True)
class TriggerConfig:
    """Exactly one of `every` (seconds) and `cron` (a standard crontab expression)."""

    every: float | None = None
    cron: str | None = None

    @property
    def interval(self) -> timedelta | None:
        return timedelta(seconds=self.every) if self.every is not None else None

    def trigger(self, timezone: tzinfo | str = UTC) -> BaseTrigger:
        """The APScheduler trigger; crontab weekday numbers keep their crontab meaning."""
        if self.cron is not None:
            return cron_trigger(self.cron, timezone)
        if self.every is None:
            raise ValueError("a trigger needs `every` or `cron`")
        tz = parse_timezone(timezone) if isinstance(timezone, str) else timezone
        return IntervalTrigger(seconds=self.every, timezone=tz)


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    review: TriggerConfig = TriggerConfig(every=900.0)
    digest: TriggerConfig = TriggerConfig(cron="0 9 * * 1-5")
    retention: TriggerConfig = TriggerConfig(cron="30 3 * * *")
    window: float = DAY
    misfire_grace: float = 300.0
    timezone: str = "UTC"

    @property
    def tzinfo(self) -> tzinfo:
        return parse_timezone(self.timezone)


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    resolve_after: int = 3


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    observations: float = 30 * DAY


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    report_unused: bool = False
    min_count: int = 1
    severity: Mapping[str, Severity] = field(default_factory=dict)
    timing_per_consumer: bool = False
    min_latency_samples: int = 20
    ignore_headers: tuple[str, ...] = ()  # lower-case

    def to_policy(self, extra_ignore: Iterable[str] = ()) -> Policy:
        ignore = frozenset(self.ignore_headers) | {h.lower() for h in extra_ignore}
        return Policy(
            report_unused=self.report_unused,
            severity=dict(self.severity),
            ignore_headers=ignore,
            min_count=self.min_count,
            min_latency_samples=self.min_latency_samples,
            timing_per_consumer=self.timing_per_consumer,
        )


@dataclass(frozen=True, slots=True)
class ReportsConfig:
    directory: Path = Path("reports")
    formats: tuple[str, ...] = ("html", "markdown", "json")
    keep: float | None = 30 * DAY  # None: keep every report


@dataclass(frozen=True, slots=True)
class SlackConfig:
    channel: str
    token_env: str = "SLACK_BOT_TOKEN"
    immediate: Severity = Severity.ERROR
    cooldown: float = DAY
    resolved_notices: bool = True
    base_url: str | None = None

    def token(self, env: Mapping[str, str]) -> str | None:
        """The bot token from the environment (None when unset or empty)."""
        return env.get(self.token_env) or None


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    name: str
    url_env: str
    min_severity: Severity = Severity.WARNING

    def url(self, env: Mapping[str, str]) -> str | None:
        return env.get(self.url_env) or None


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    slack: SlackConfig | None = None
    webhooks: tuple[WebhookConfig, ...] = ()


@dataclass(frozen=True, slots=True)
class WaiverMatch:
    """Fields a finding must all equal (None: any)."""

    kind: str | None = None
    service: str | None = None
    method: str | None = None  # upper-case
    path: str | None = None
    location: str | None = None
    status: str | None = None
    pointer: str | None = None
    consumer: str | None = None

    def fields(self) -> dict[str, str]:
        """The fields that are set, as `drift.core.waivers.Waiver.match` wants them."""
        names = ("kind", "service", "method", "path", "location", "status", "pointer", "consumer")
        return {name: value for name in names if (value := getattr(self, name)) is not None}


@dataclass(frozen=True, slots=True)
class WaiverConfig:
    """By finding id, or by `match`; exactly one of them is set."""

    reason: str
    by: str
    finding: str | None = None
    match: WaiverMatch | None = None
    expires: datetime | None = None  # UTC; None: until removed

    def active(self, now: datetime) -> bool:
        return self.expires is None or now < self.expires

    def to_waiver(self) -> Waiver:
        """The waiver as the lifecycle applies it (`drift.core.waivers.applies`)."""
        return Waiver(
            finding_id=self.finding,
            match=self.match.fields() if self.match is not None else None,
            reason=self.reason,
            by=self.by,
            expires=self.expires,
            source="config",
        )


@dataclass(frozen=True, slots=True)
class DriftConfig:
    path: Path  # the config file (absolute)
    services: tuple[ServiceConfig, ...]
    store: str = "sqlite:///drift.db"  # DRIFT_STORE_URL applied; sqlite paths absolute
    consumers: tuple[Rule, ...] = ()
    owners: Mapping[str, ConsumerOwner] = field(default_factory=dict)
    sampling: SamplingConfig = SamplingConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    proxy: ProxyConfig = ProxyConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    lifecycle: LifecycleConfig = LifecycleConfig()
    retention: RetentionConfig = RetentionConfig()
    policy: PolicyConfig = PolicyConfig()
    reports: ReportsConfig = ReportsConfig()
    notify: NotifyConfig = NotifyConfig()
    waivers: tuple[WaiverConfig, ...] = ()

    def identifier(self) -> ConsumerIdentifier:
        return ConsumerIdentifier(self.consumers)

    def identity_headers(self) -> frozenset[str]:
        """Lower-case headers the identity rules read (never undocumented parameters)."""
        return self.identifier().header_names()

    def compare_policy(self) -> Policy:
        """`policy` as the comparison's `Policy`, ignoring the identity headers."""
        return self.policy.to_policy(self.identity_headers())
