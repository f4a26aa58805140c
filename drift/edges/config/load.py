"""`load_config`: the YAML file → schema check (every problem at once) → typed `DriftConfig`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from drift.core.identity import ConsumerIdentifier, Rule
from drift.core.kinds import Severity
from drift.core.pointer import join
from drift.edges.config.issues import ConfigError, Issue, duplicate_keys, locate
from drift.edges.config.model import (
    ConsumerOwner,
    DriftConfig,
    LifecycleConfig,
    NotifyConfig,
    PolicyConfig,
    PrivacyConfig,
    ProxyConfig,
    ReportsConfig,
    RetentionConfig,
    SamplingConfig,
    ScheduleConfig,
    ServiceConfig,
    SlackConfig,
    TriggerConfig,
    WaiverConfig,
    WaiverMatch,
    WebhookConfig,
)
from drift.edges.config.schema import schema_issues, with_defaults
from drift.edges.config.secrets import secret_issues
from drift.edges.config.units import parse_duration, parse_expiry, parse_size
from drift.edges.documents import read_document
from drift.edges.store.engine import parse_url
from drift.edges.store.errors import StoreError
from drift.errors import InputError

__all__ = ["STORE_ENV", "load_config"]

STORE_ENV = "DRIFT_STORE_URL"
MIN_FLUSH_INTERVAL = 0.1
_COMMENTED_CHANNEL = re.compile(r"^\s*(?:-\s+)?(\w*channel)\s*:\s+(#[\w.-]*)")
_EMPTY_HINT = "a minimal config: services: [{contract: openapi.yaml}]"


def _under(pointer: str | None, roots: set[str]) -> bool:
    return pointer is not None and any(pointer == r or pointer.startswith(r + "/") for r in roots)


def _consumer_issues(document: dict[str, Any]) -> list[Issue]:
    try:
        ConsumerIdentifier.from_config(document["consumers"], where="/consumers")
    except InputError as exc:
        return [Issue(exc.pointer, exc.message, exc.hint)]
    return []


def _document_issues(file: Path, document: Any) -> list[Issue]:
    """Secrets, schema violations, duplicate keys and bad identity rules, all together."""
    if document is None:
        return [Issue("", "the config file is empty", _EMPTY_HINT)]
    secrets = secret_issues(document)
    hidden = {i.pointer for i in secrets if i.pointer is not None}
    issues = secrets + [i for i in schema_issues(document) if not _under(i.pointer, hidden)]
    issues += duplicate_keys(file)
    clean = not any(_under(i.pointer, {"/consumers"}) for i in issues)
    if isinstance(document, dict) and "consumers" in document and clean:
        issues += _consumer_issues(document)
    return issues


def _commented_channels(file: Path, issues: list[Issue]) -> list[Issue]:
    """`channel: #api-drift` is a YAML comment, so the value is empty: say so plainly."""
    taken = {i.line for i in issues}
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _COMMENTED_CHANNEL.match(line)
        if m and n not in taken:
            key, value = m.group(1), m.group(2)
            found.append(
                Issue(
                    None,
                    f"the value of {key!r} starts with '#', which YAML reads as a comment",
                    f'quote it: {key}: "{value}"',
                    line=n,
                )
            )
    return found


def _located(file: Path, issues: list[Issue]) -> list[Issue]:
    located = locate(file, issues)
    return located + _commented_channels(file, located)


class _Builder:
    """Validated, defaulted data → dataclasses; collects the checks the schema cannot make."""

    def __init__(self, file: Path, env: Mapping[str, str]) -> None:
        self.file = Path(os.path.abspath(file))
        self.base = self.file.parent
        self.env = env
        self.issues: list[Issue] = []

    def problem(self, pointer: str | None, message: str, hint: str | None = None) -> None:
        self.issues.append(Issue(pointer, message, hint))

    def path(self, text: str) -> Path:
        return Path(os.path.abspath(self.base / Path(text).expanduser()))

    def port(self, listen: str, at: str) -> None:
        port = listen.rpartition(":")[2]
        if port and not 0 < int(port) < 65536:
            self.problem(at, f"port {port} is out of range", "use a port from 1 to 65535")

    # -- sections ------------------------------------------------------------------------------

    def store(self, text: str) -> str:
        from_env = self.env.get(STORE_ENV, "").strip()
        url = from_env or text
        try:
            parsed = parse_url(url)
        except StoreError as exc:
            where = f"environment variable {STORE_ENV}: " if from_env else ""
            self.problem(None if from_env else "/store", where + exc.message, exc.hint)
            return url
        if from_env or parsed.get_backend_name() != "sqlite" or not parsed.database:
            return url
        try:
            database = make_url(text).database or ""
        except ArgumentError:  # pragma: no cover - parse_url accepted it
            return url
        if Path(database).expanduser().is_absolute():
            return url
        resolved = make_url(text).set(database=str(self.path(database)))
        return resolved.render_as_string(hide_password=False)

    def services(self, raw: list[dict[str, Any]], proxy_enabled: bool) -> tuple[ServiceConfig, ...]:
        services = []
        names: dict[str, int] = {}
        listens: dict[str, int] = {}
        for i, entry in enumerate(raw):
            at = join("/services", i)
            name = entry.get("name")
            if name is not None and name in names:
                self.problem(
                    join(at, "name"),
                    f"service name {name!r} is already used by services[{names[name]}]",
                )
            elif name is not None:
                names[name] = i
            self.port(entry["listen"], join(at, "listen"))
            if entry.get("upstream") and proxy_enabled:
                other = listens.setdefault(entry["listen"], i)
                if other != i:
                    self.problem(
                        join(at, "listen"),
                        f"{entry['listen']!r} is already where services[{other}]'s sidecar listens",
                        "give each proxied service its own listen address",
                    )
            services.append(
                ServiceConfig(
                    contract=self.path(entry["contract"]),
                    name=name,
                    owner=entry.get("owner"),
                    slack_channel=entry.get("slack_channel"),
                    upstream=entry.get("upstream"),
                    listen=entry["listen"],
                )
            )
        return tuple(services)

    def proxy(self, raw: dict[str, Any]) -> ProxyConfig:
        flush = parse_duration(raw["flush_interval"])
        if flush < MIN_FLUSH_INTERVAL:
            self.problem(
                "/proxy/flush_interval", "flushing more often than every 0.1s is too often"
            )
        if raw["metrics"]:
            self.port(raw["metrics"], "/proxy/metrics")
        return ProxyConfig(
            enabled=raw["enabled"],
            flush_interval=flush,
            metrics=raw["metrics"],
            stream_large_bodies=parse_size(raw["stream_large_bodies"]),
            body_limit=parse_size(raw["body_limit"]),
            queue_max=raw["queue_max"],
            queue_max_bytes=parse_size(raw["queue_max_bytes"]),
            confdir=self.path(raw["confdir"]) if raw.get("confdir") else None,
        )

    def notify(self, raw: dict[str, Any]) -> NotifyConfig:
        slack = raw.get("slack")
        hooks = []
        seen: set[str] = set()
        for i, hook in enumerate(raw["webhooks"]):
            if hook["name"] in seen:
                self.problem(
                    join("/notify/webhooks", i, "name"), f"webhook {hook['name']!r} is listed twice"
                )
            seen.add(hook["name"])
            hooks.append(
                WebhookConfig(hook["name"], hook["url_env"], Severity.parse(hook["min_severity"]))
            )
        return NotifyConfig(
            slack=SlackConfig(
                channel=slack["channel"],
                token_env=slack["token_env"],
                immediate=Severity.parse(slack["immediate"]),
                cooldown=parse_duration(slack["cooldown"]),
                resolved_notices=slack["resolved_notices"],
                base_url=slack.get("base_url"),
            )
            if slack
            else None,
            webhooks=tuple(hooks),
        )

    def build(self, data: dict[str, Any]) -> DriftConfig:
        rules: tuple[Rule, ...] = ConsumerIdentifier.from_config(
            data["consumers"], where="/consumers"
        ).rules
        sampling, privacy, schedule = data["sampling"], data["privacy"], data["schedule"]
        policy, reports = data["policy"], data["reports"]
        return DriftConfig(
            path=self.file,
            services=self.services(data["services"], data["proxy"]["enabled"]),
            store=self.store(data["store"]),
            consumers=rules,
            owners={
                name: ConsumerOwner(o.get("team"), o.get("slack_channel"))
                for name, o in data["owners"].items()
            },
            sampling=SamplingConfig(
                first_n=sampling["first_n"],
                route_rate=float(sampling["route_rate"]),
                global_rate=float(sampling["global_rate"]),
                burst_seconds=float(sampling["burst_seconds"]),
                new_shapes=sampling["new_shapes"],
                all=sampling["all"],
            ),
            privacy=PrivacyConfig(
                header_allow=tuple(h.lower() for h in privacy["header_allow"]),
                header_deny=tuple(h.lower() for h in privacy["header_deny"]),
                param_allow=tuple(privacy["param_allow"]),
                param_deny=tuple(privacy["param_deny"]),
            ),
            proxy=self.proxy(data["proxy"]),
            schedule=ScheduleConfig(
                review=_trigger(schedule["review"]),
                digest=_trigger(schedule["digest"]),
                retention=_trigger(schedule["retention"]),
                window=parse_duration(schedule["window"]),
                misfire_grace=parse_duration(schedule["misfire_grace"]),
                timezone=schedule["timezone"],
            ),
            lifecycle=LifecycleConfig(resolve_after=data["lifecycle"]["resolve_after"]),
            retention=RetentionConfig(
                observations=parse_duration(data["retention"]["observations"])
            ),
            policy=PolicyConfig(
                report_unused=policy["report_unused"],
                min_count=policy["min_count"],
                severity={k: Severity.parse(v) for k, v in policy["severity"].items()},
                timing_per_consumer=policy["timing_per_consumer"],
                min_latency_samples=policy["min_latency_samples"],
                ignore_headers=tuple(h.lower() for h in policy["ignore_headers"]),
            ),
            reports=ReportsConfig(
                directory=self.path(reports["directory"]),
                formats=tuple(reports["formats"]),
                keep=parse_duration(reports["keep"]) if reports.get("keep") is not None else None,
            ),
            notify=self.notify(data["notify"]),
            waivers=tuple(_waiver(w) for w in data["waivers"]),
        )


def _trigger(raw: dict[str, Any]) -> TriggerConfig:
    every = raw.get("every")
    return TriggerConfig(
        every=parse_duration(every) if every is not None else None, cron=raw.get("cron")
    )


def _waiver(raw: dict[str, Any]) -> WaiverConfig:
    match = raw.get("match")
    status = match.get("status") if match else None
    return WaiverConfig(
        reason=raw["reason"],
        by=raw["by"],
        finding=raw.get("finding"),
        match=WaiverMatch(
            kind=match.get("kind"),
            service=match.get("service"),
            method=match["method"].upper() if match.get("method") else None,
            path=match.get("path"),
            location=match.get("location"),
            status=str(status) if status is not None else None,
            pointer=match.get("pointer"),
            consumer=match.get("consumer"),
        )
        if match
        else None,
        expires=parse_expiry(raw["expires"]) if raw.get("expires") else None,
    )


def load_config(path: str | Path, *, env: Mapping[str, str] = os.environ) -> DriftConfig:
    """Read, validate and type the config file; relative paths are relative to its directory.

    Raises `InputError` (a `ConfigError` listing every problem, by line, for a file that parses
    but is wrong). Contracts are not read here (`check_config` does).
    """
    file = Path(path)
    document = read_document(file)
    issues = _located(file, _document_issues(file, document))
    if issues:
        raise ConfigError(str(path), issues)
    builder = _Builder(file, env)
    config = builder.build(with_defaults(document))
    if builder.issues:
        raise ConfigError(str(path), locate(file, builder.issues))
    return config
