"""`Policy`: the knobs of a comparison (what to report, how loud)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drift.core.kinds import KINDS, Severity

__all__ = ["STANDARD_HEADERS", "Policy"]

# Request headers every HTTP stack sends or adds on the way; never "undocumented parameters".
STANDARD_HEADERS = frozenset(
    {
        "a-im",
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-datetime",
        "access-control-request-headers",
        "access-control-request-method",
        "authorization",
        "cache-control",
        "connection",
        "content-encoding",
        "content-length",
        "content-md5",
        "content-type",
        "cookie",
        "date",
        "dnt",
        "expect",
        "forwarded",
        "from",
        "host",
        "http2-settings",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "keep-alive",
        "max-forwards",
        "origin",
        "pragma",
        "prefer",
        "priority",
        "proxy-authorization",
        "proxy-connection",
        "range",
        "referer",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "upgrade-insecure-requests",
        "user-agent",
        "via",
        "warning",
        "x-requested-with",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
        "x-forwarded-prefix",
        "x-real-ip",
        "x-request-id",
        "x-correlation-id",
        "traceparent",
        "tracestate",
        "baggage",
        "b3",
        "x-cloud-trace-context",
        "x-amzn-trace-id",
        "x-att-deviceid",
        "x-csrf-token",
        "x-xsrf-token",
        "save-data",
        "purpose",
        "sec-purpose",
    }
)
STANDARD_HEADER_PREFIXES = (
    "sec-",
    "x-b3-",
    "x-envoy-",
    "cf-",
    "x-amz-",
    "x-datadog-",
    "x-ot-",
    "x-forwarded-",
    "x-drift-",
)


@dataclass(frozen=True, slots=True)
class Policy:
    report_unused: bool = False  # `operation.unused` needs a full window of traffic to mean much
    severity: Mapping[str, Severity] = field(default_factory=dict)  # kind -> override
    ignore_headers: frozenset[str] = frozenset()  # lower-case names, e.g. the consumer header
    min_count: int = 1  # drop findings seen fewer times than this
    min_latency_samples: int = 20  # responses needed before a latency percentile is judged
    timing_per_consumer: bool = False  # also judge x-latency per consumer (besides overall)

    def severity_of(self, kind: str) -> Severity:
        return self.severity.get(kind, KINDS[kind].severity)

    def header_ignored(self, name: str) -> bool:
        return (
            name in STANDARD_HEADERS
            or name in self.ignore_headers
            or name.startswith(STANDARD_HEADER_PREFIXES)
        )
