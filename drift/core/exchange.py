"""`Exchange`: one observed HTTP request/response pair, already stripped of raw values.

Capture edges (HAR reader, mitmproxy addon) build these; the core only ever sees this shape.
Bodies are decoded JSON values (bounded by the edge) or `None` with a reason; header, query and
cookie *names* are kept, never their values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Body", "BodyState", "Exchange"]


class BodyState:
    """Why a body has or has no decoded JSON value (plain strings keep the record JSON-friendly)."""

    EMPTY = "empty"  # no body bytes
    JSON = "json"  # decoded JSON value in `Body.value`
    NOT_JSON = "not-json"  # a media type drift does not parse (counted by media type only)
    INVALID = "invalid"  # claimed JSON but did not parse
    TOO_LARGE = "too-large"  # over the decoding bound; skipped on purpose
    UNDECODABLE = "undecodable"  # content-encoding failed or unknown


@dataclass(frozen=True, slots=True)
class Body:
    """A message body as the core sees it: media type (lower-case, no parameters) and JSON value."""

    media_type: str | None
    state: str
    value: Any = None
    size: int = 0


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request/response pair, as names and decoded JSON only."""

    method: str
    path: str  # raw path without query string, percent-decoding left to routing
    status: int
    request: Body
    response: Body
    query: tuple[str, ...] = ()  # query parameter names, in order, repeats kept
    request_headers: tuple[str, ...] = ()  # lower-case names
    response_headers: tuple[str, ...] = ()  # lower-case names
    cookies: tuple[str, ...] = ()  # cookie names
    consumer: str | None = None
    service: str | None = None
    host: str | None = None
    latency_ms: float | None = None
    timestamp: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
