"""Response rules: status codes, media types, and the response body."""

from __future__ import annotations

from drift.core.compare.body import BodyWalker
from drift.core.compare.issue import Issue
from drift.core.compare.media import match_media
from drift.core.contract.model import Operation
from drift.core.contract.schema import SchemaIndex
from drift.core.observation import Observation

__all__ = ["response_issues"]


def response_issues(
    op: Operation, status: int, obs: Observation, index: SchemaIndex, op_total: int
) -> list[Issue]:
    response = op.response_for(status)
    if response is None:
        declared = sorted(op.responses)
        return [
            Issue(
                "response.status.undocumented",
                "response.status",
                "",
                obs.count,
                op_total,
                declared,
                str(status),
                subject=str(status),
            )
        ]
    out: list[Issue] = []
    undeclared = {
        media: count
        for media, count in sorted(obs.response.with_body.items())
        if media and match_media(media, response.content) is None
    }
    if undeclared:
        out.append(
            Issue(
                "response.content-type.undocumented",
                "response.header",
                "/content-type",
                sum(undeclared.values()),
                obs.response.count,
                sorted(c.media_type for c in response.content),
                undeclared,
                subject=", ".join(undeclared),
            )
        )
    walker = BodyWalker(index, "response")
    for media, shapes in sorted(obs.response.bodies.items()):
        content = match_media(media, response.content)
        if content is not None and content.schema is not None:
            out.extend(walker.walk(content.schema, shapes.root))
    return out
