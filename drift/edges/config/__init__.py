"""The one configuration file of drift (`config/drift.yaml`, reference in docs/configuration.md).

`load_config` validates it against `drift/schemas/config.schema.json`, reporting every problem
at once with its line, and returns frozen dataclasses; `check_config` also loads the contracts
and looks at the environment (`drift config check`).
"""

from __future__ import annotations

from drift.edges.config.check import check_config
from drift.edges.config.issues import ConfigError, Issue
from drift.edges.config.load import STORE_ENV, load_config
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
from drift.edges.config.schema import config_schema, schema_keys
from drift.edges.config.units import cron_trigger, parse_duration, parse_size

__all__ = [
    "STORE_ENV",
    "ConfigError",
    "ConsumerOwner",
    "DriftConfig",
    "Issue",
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
    "check_config",
    "config_schema",
    "cron_trigger",
    "load_config",
    "parse_duration",
    "parse_size",
    "schema_keys",
]
