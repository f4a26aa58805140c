"""Hypothesis strategies for JSON bodies and `Exchange`s, bounded so property tests stay fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from drift.core.exchange import Body, BodyState, Exchange

__all__ = [
    "FIELD_NAMES",
    "FORMAT_EXAMPLES",
    "ODD_KEYS",
    "bodies",
    "exchange_lists",
    "exchanges",
    "json_lists",
    "json_values",
    "keys",
    "objects",
    "scalars",
    "strings",
]

# Realistic values of each string class drift tells apart (see drift.core.valueclass).
FORMAT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "uuid": (
        "123e4567-e89b-12d3-a456-426614174000",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "C9BF9E57-1685-4C89-BAFB-FF5AF830BE8A",
    ),
    "date": ("2024-01-15", "1999-12-31", "2030-02-28"),
    "date-time": (
        "2024-01-15T10:30:00Z",
        "2024-01-15T10:30:00.123+02:00",
        "1999-12-31 23:59:59",
    ),
    "time": ("10:30:00", "23:59:59.5Z"),
    "email": ("alice@example.com", "bob.smith+tag@mail.example.org", "x@y.io"),
    "uri": ("https://example.com/a?b=c", "http://localhost:8080/", "urn:isbn:0451450523"),
    "ipv4": ("192.168.0.1", "10.0.0.255", "8.8.8.8"),
    "ipv6": ("::1", "2001:db8::ff00:42:8329"),
}

# Field names, including some drift treats as sensitive (`name`, `email`, `password`, `token`).
FIELD_NAMES = (
    "id",
    "status",
    "kind",
    "count",
    "tags",
    "items",
    "data",
    "name",
    "email",
    "password",
    "token",
    "created_at",
)
# Keys that are not field names: JSON Pointer specials, digits, data used as map keys.
ODD_KEYS = ("a/b", "~x", "123", "user@example.com", "", "with space")

WORDS = ("active", "pending", "closed", "red", "GREEN", "v1.2", "x")

scalars_no_strings: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2000, max_value=2000),
    st.integers(),  # includes big ones (beyond 64 bits)
    st.floats(allow_nan=False, allow_infinity=False),
)

strings: st.SearchStrategy[str] = st.one_of(
    st.text(max_size=12),
    st.text(min_size=38, max_size=48),  # around the 40-character enum bound
    st.sampled_from(WORDS),
    st.sampled_from([v for vs in FORMAT_EXAMPLES.values() for v in vs]),
)

scalars: st.SearchStrategy[Any] = st.one_of(scalars_no_strings, strings)

keys: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(FIELD_NAMES), st.sampled_from(FIELD_NAMES), st.sampled_from(ODD_KEYS)
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(keys, children, max_size=4),
    )


# Any JSON value, at most 6 scalars in all.
json_values: st.SearchStrategy[Any] = st.recursive(scalars, _containers, max_leaves=6)

_members: st.SearchStrategy[Any] = st.one_of(
    scalars, scalars, st.lists(scalars, max_size=3), st.dictionaries(keys, scalars, max_size=3)
)
# Objects of up to 4 members, each member a small JSON value.
objects: st.SearchStrategy[dict[str, Any]] = st.dictionaries(keys, _members, max_size=4)

# Bodies as services send them: mostly objects, sometimes arrays or any other value.
bodies: st.SearchStrategy[Any] = st.one_of(
    objects, objects, st.lists(objects, max_size=2), json_values
)


def json_lists(max_size: int = 4) -> st.SearchStrategy[list[Any]]:
    return st.lists(bodies, max_size=max_size)


# -- exchanges --------------------------------------------------------------------------------

METHODS = ("GET", "POST", "delete")
PATHS = ("/users/1", "/users/42", "/users/7/orders", "/orders/3", "/orders/99", "/health")
STATUSES = (200, 201, 404)
CONSUMERS = (None, "web", "mobile")
MEDIA_TYPES = ("application/json", "application/problem+json")
QUERY_NAMES = ("page", "limit", "q", "bad name")
HEADER_NAMES = ("Accept", "x-request-id", "X-Request-Id", "authorization")
COOKIE_NAMES = ("session", "theme")
EPOCH = datetime(2024, 5, 1, tzinfo=UTC)


@st.composite
def _bodies(draw: st.DrawFn) -> Body:
    if draw(st.booleans()):
        return Body(None, BodyState.EMPTY)
    return Body(draw(st.sampled_from(MEDIA_TYPES)), BodyState.JSON, draw(bodies), 1)


@st.composite
def exchanges(draw: st.DrawFn) -> Exchange:
    return Exchange(
        method=draw(st.sampled_from(METHODS)),
        path=draw(st.sampled_from(PATHS)),
        status=draw(st.sampled_from(STATUSES)),
        request=draw(_bodies()),
        response=draw(_bodies()),
        query=tuple(draw(st.lists(st.sampled_from(QUERY_NAMES), max_size=3))),
        request_headers=tuple(draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=3))),
        cookies=tuple(draw(st.lists(st.sampled_from(COOKIE_NAMES), max_size=2))),
        consumer=draw(st.sampled_from(CONSUMERS)),
        timestamp=EPOCH + timedelta(seconds=draw(st.integers(min_value=0, max_value=86_400))),
    )


def exchange_lists(max_size: int = 6) -> st.SearchStrategy[list[Exchange]]:
    return st.lists(exchanges(), max_size=max_size)
