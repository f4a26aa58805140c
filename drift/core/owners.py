"""Owner routing: which teams (and Slack channels) hear about a finding, as producer or consumer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from drift.core.findings import Finding

__all__ = [
    "CONSUMER_KINDS",
    "DEPENDENCY_KINDS",
    "Owner",
    "Recipient",
    "Role",
    "recipients",
]

Role = Literal["producer", "consumer"]

# Kinds about what a consumer does: its owner hears about them too.
CONSUMER_KINDS = frozenset({"operation.deprecated-in-use", "consumer.undeclared"})
# "Consumer X relies on something never promised": both sides hear, every consumer that saw it.
DEPENDENCY_KINDS = frozenset(
    {
        "response.body.undocumented-field",
        "response.status.undocumented",
        "response.content-type.undocumented",
        "operation.undocumented",
    }
)


@dataclass(frozen=True, slots=True)
class Owner:
    team: str
    slack_channel: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    team: str
    channel: str | None  # None: no channel is configured for this team; the notifier decides
    role: Role


def _consumers(finding: Finding) -> list[str]:
    """The consumers a finding is about, by name."""
    kind = finding.kind
    if kind in DEPENDENCY_KINDS:
        names = {c.name for c in finding.evidence.consumers}
        if finding.consumer:
            names.add(finding.consumer)
        return sorted(names)
    if kind.startswith("request.") or kind in CONSUMER_KINDS:
        if finding.consumer:
            return [finding.consumer]
        return sorted({c.name for c in finding.evidence.consumers})
    if kind.startswith("timing.") and finding.consumer:
        return [finding.consumer]
    return []


def _channel(team: str, known: Iterable[Owner]) -> str | None:
    """The first configured channel of `team` among the owners drift knows."""
    return next((o.slack_channel for o in known if o.team == team and o.slack_channel), None)


def _producer(
    finding: Finding,
    service_owner: Owner | None,
    consumer_owners: Mapping[str, Owner],
    default: Owner | None,
) -> Owner | None:
    if finding.owner:  # x-owner wins over the registry's owner of the service
        known = [o for o in (service_owner, default) if o is not None]
        known += [consumer_owners[name] for name in sorted(consumer_owners)]
        return Owner(finding.owner, _channel(finding.owner, known))
    return service_owner or default


def recipients(
    finding: Finding,
    *,
    service_owner: Owner | None,
    consumer_owners: Mapping[str, Owner],
    default: Owner | None,
) -> list[Recipient]:
    """Who hears about `finding`: the producer's owner first, then consumers' owners by team.

    The producer's owner is the finding's `owner` (x-owner), else `service_owner`, else
    `default`. Consumers without a configured owner are skipped. One recipient per team; a team
    that is both producer and consumer is listed once, as producer.
    """
    out: dict[str, Recipient] = {}
    producer = _producer(finding, service_owner, consumer_owners, default)
    if producer is not None:
        out[producer.team] = Recipient(producer.team, producer.slack_channel, "producer")
    owners = [consumer_owners[name] for name in _consumers(finding) if name in consumer_owners]
    for owner in sorted(
        owners, key=lambda o: (o.team, o.slack_channel is None, o.slack_channel or "")
    ):
        if owner.team not in out:
            out[owner.team] = Recipient(owner.team, owner.slack_channel, "consumer")
    return list(out.values())
