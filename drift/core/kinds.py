"""The closed set of finding kinds: stable identifiers, default severity and advice.

Kind names are part of drift's public contract; adding one is a feature, renaming one is a
breaking change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["KINDS", "Kind", "Severity"]


class Severity(IntEnum):
    INFO = 10
    WARNING = 20
    ERROR = 30

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r}; choose one of {choices}") from None


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    severity: Severity
    summary: str
    advice: str


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {k.name: k for k in kinds}


W, E, INFO = Severity.WARNING, Severity.ERROR, Severity.INFO

KINDS: dict[str, Kind] = _kinds(
    Kind(
        "operation.undocumented",
        W,
        "method + path seen in traffic, not declared (shadow endpoint)",
        "Declare the operation in the contract, or stop serving it if nobody should call it.",
    ),
    Kind(
        "operation.unused",
        INFO,
        "declared, never seen in the window",
        "Check whether the operation is still needed; it may be a candidate for deprecation.",
    ),
    Kind(
        "operation.deprecated-in-use",
        W,
        "deprecated or past-sunset operation still called",
        "Tell the listed consumers to migrate before the sunset date, or extend the sunset.",
    ),
    Kind(
        "request.parameter.undocumented",
        W,
        "query / header / cookie parameter sent but not declared",
        "Declare the parameter if the producer honours it; otherwise ask the consumer to drop it.",
    ),
    Kind(
        "request.parameter.missing-required",
        E,
        "declared required parameter absent",
        "Make the consumer send it, or declare it optional if the producer copes without it.",
    ),
    Kind(
        "request.body.undocumented-field",
        W,
        "consumer sends a body field not declared",
        "Declare the field if the producer reads it; otherwise ask the consumer to stop sending it.",
    ),
    Kind(
        "request.body.missing-required",
        E,
        "declared required request field absent",
        "Make the consumer send it, or declare it optional if the producer copes without it.",
    ),
    Kind(
        "request.body.type-mismatch",
        E,
        "observed request value type differs from declared",
        "Fix the consumer, or widen the declared type if the producer accepts both.",
    ),
    Kind(
        "request.body.enum-violation",
        E,
        "request value outside the declared enum",
        "Fix the consumer, or add the value to the enum if the producer accepts it.",
    ),
    Kind(
        "request.body.format-mismatch",
        W,
        "request value does not match the declared format",
        "Fix the consumer, or relax the declared format.",
    ),
    Kind(
        "response.status.undocumented",
        W,
        "status code returned but not declared (and no default)",
        "Declare the status (consumers may already branch on it), or stop returning it.",
    ),
    Kind(
        "response.content-type.undocumented",
        W,
        "response media type not declared",
        "Declare the media type, or make the producer return a declared one.",
    ),
    Kind(
        "response.body.undocumented-field",
        W,
        "producer sends a field not declared — even in open schemas",
        "Declare the field (consumers may rely on it) or mark it x-stability: incidental.",
    ),
    Kind(
        "response.body.missing-required",
        E,
        "declared required field absent in some responses",
        "Fix the producer, or declare the field optional (a breaking change for consumers).",
    ),
    Kind(
        "response.body.type-mismatch",
        E,
        "observed type differs from declared (incl. null where not nullable)",
        "Fix the producer, or declare the observed type (e.g. nullable) if it is intended.",
    ),
    Kind(
        "response.body.enum-violation",
        E,
        "value outside the declared enum",
        "Fix the producer, or add the value to the enum and tell consumers.",
    ),
    Kind(
        "response.body.format-mismatch",
        W,
        "value does not match the declared format (date-time, uuid, …)",
        "Fix the producer, or relax the declared format.",
    ),
    Kind(
        "timing.latency-breach",
        W,
        "observed latency percentile above x-latency",
        "Investigate the slow path or revise the latency guarantee with consumers.",
    ),
    Kind(
        "timing.rate-breach",
        W,
        "observed request rate above x-rate-limit",
        "Talk to the consumer about its call rate, or raise the declared limit.",
    ),
    Kind(
        "consumer.undeclared",
        INFO,
        "traffic from a consumer not in x-consumers",
        "Add the consumer to x-consumers so it hears about changes, or block it.",
    ),
)
