"""Privacy of stored names: which header / query / cookie names are kept, bounds, credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift.core.privacy import (
    MAX_NAME_LENGTH,
    MAX_NAMES,
    MAX_SCANNED,
    SECRET_HEADER_NAMES,
    header_names,
    is_secret_header,
    keep_header_name,
    keep_param_name,
    looks_like_credential,
    param_names,
)

KEPT_HEADERS = [
    "accept",
    "content-type",
    "user-agent",
    "x-request-id",
    "x-b3-traceid",
    "traceparent",
    "authorization",
    "cookie",
    "x-api-key",
    "sec-ch-ua-platform-version",
    "http2-settings",
    "content-md5",
    "x-ratelimit-limit-3600",
    "x-v2",
    "x-signature-sha256",  # a word with a number, not interleaved
    "x-build-a1b2c3d4",  # not a sensitive name: a short mixed part may be a build label
    "X-Request-Id",  # upper case is folded
]
DROPPED_HEADERS = {
    "uuid": "x-user-550e8400-e29b-41d4-a716-446655440000",
    "hex": "x-session-3f2a9c8e1b7d4a6f0c1e",
    "hex after api key": "x-api-key-3f2a9c8e1b7d4a6f",
    "short hex after api key": "x-api-key-a1b2c3d4",
    "ulid": "x-01arz3ndektsv4rrffq69g5fav",
    "long integer": "x-account-1234567",
    "date": "x-date-2024-05-01",
    "token across parts": "x-tok_abc123_def456_ghi789_jkl",
    "email": "x-bob@example.com",
    "empty": "",
    "too long": "x-" + "a" * (MAX_NAME_LENGTH - 1),
    "space": "x foo",
    "pseudo header": ":authority",
    "non ascii": "x-zürich",
    "too many parts": "a-b-c-d-e-f-g-h-i-j-k",
    "separators only": "--",
}


@pytest.mark.parametrize("name", KEPT_HEADERS)
def test_ordinary_header_names_are_kept(name: str) -> None:
    assert keep_header_name(name)


@pytest.mark.parametrize("name", DROPPED_HEADERS.values(), ids=DROPPED_HEADERS.keys())
def test_header_names_that_carry_data_are_dropped(name: str) -> None:
    assert not keep_header_name(name)


def test_longest_allowed_header_name_is_kept() -> None:
    assert keep_header_name("x-" + "a" * (MAX_NAME_LENGTH - 2))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("filter[status]", True),
        ("$top", True),
        ("pageSize", True),
        ("page.size", True),
        ("utm_source", True),
        ("550e8400-e29b-41d4-a716-446655440000", False),
        ("user@example.com", False),
        ("session_3f2a9c8e1b7d4a6f", False),
        ("12345678", False),
        ("q name", False),
    ],
)
def test_query_and_cookie_names_follow_the_same_policy(name: str, expected: bool) -> None:
    assert expected == keep_param_name(name)


def test_header_names_are_lower_cased_deduplicated_and_ordered() -> None:
    names = ["Accept", "X-Request-Id", "accept", "ACCEPT", "Content-Type", "x-request-id"]

    assert ("accept", "x-request-id", "content-type") == header_names(names)


def test_header_names_drops_data_names() -> None:
    names = ["Accept", "X-User-550e8400-e29b-41d4-a716-446655440000", "X-Trace", ""]

    assert ("accept", "x-trace") == header_names(names)


def test_allow_keeps_and_deny_drops_whatever_the_heuristics_say() -> None:
    names = ["Accept", "X-Account-1234567", "X-Internal"]

    assert ("accept", "x-account-1234567") == header_names(
        names, allow=["x-account-1234567"], deny=["X-INTERNAL"]
    )


def test_deny_beats_allow() -> None:
    assert ("accept",) == header_names(["accept", "x-trace"], allow=["x-trace"], deny=["x-trace"])


def test_header_names_are_bounded() -> None:
    names = [f"x-custom-{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(200)]

    kept = header_names(names)

    assert MAX_NAMES == len(kept)
    assert tuple(names[:MAX_NAMES]) == kept


def test_header_names_look_at_a_bounded_number_of_inputs() -> None:
    consumed = 0

    def junk_then_accept() -> Iterator[str]:
        nonlocal consumed
        for i in range(10_000):
            consumed += 1
            yield f"x-{i:08d}" if i < 9_999 else "accept"

    assert () == header_names(junk_then_accept())
    assert MAX_SCANNED + 1 >= consumed


def test_param_names_keep_case_and_order() -> None:
    assert ("page", "Page", "filter[status]") == param_names(
        ["page", "Page", "page", "filter[status]", "550e8400-e29b-41d4-a716-446655440000"]
    )


def test_param_names_allow_and_deny_are_case_sensitive() -> None:
    assert ("Page", "12345678") == param_names(
        ["page", "Page", "12345678"], allow=["12345678"], deny=["page"]
    )


# -- secrets -------------------------------------------------------------------------------------

SEEDED = {
    "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl",
    "Cookie": "session=3f2a9c8e1b7d4a6f0c1e; theme=dark",
    "X-Api-Key": "sk_live_51HxYzAbCdEfGh12345678",
    "X-Email": "alice@example.com",
    "X-User-550e8400-e29b-41d4-a716-446655440000": "1",
    "Accept": "application/json",
}


def test_seeded_secret_values_never_appear_in_header_names() -> None:
    kept = header_names(SEEDED)  # iterating a mapping yields its names only
    text = "\n".join(kept)

    assert ("authorization", "cookie", "x-api-key", "x-email", "accept") == kept
    assert [] == [value for value in SEEDED.values() if value.lower() in text]
    assert "550e8400" not in text


@pytest.mark.parametrize("name", sorted(SECRET_HEADER_NAMES))
def test_secret_header_names_are_lower_case_kept_as_names_and_secret(name: str) -> None:
    assert name == name.lower()
    assert keep_header_name(name)
    assert is_secret_header(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Authorization", True),
        ("X-Auth-Request-Access-Token", True),
        ("x-functions-key", True),
        ("x-my-jwt", True),
        ("x-client-secret-v2", True),
        ("x-auth-request-user", False),  # an identity set by an auth proxy, not a credential
        ("x-consumer-id", False),
        ("x-keyboard-layout", False),
        ("user-agent", False),
    ],
)
def test_secret_headers_are_the_list_or_say_so_in_their_name(name: str, expected: bool) -> None:
    assert expected == is_secret_header(name)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bearer abc", True),
        ("basic dXNlcjpwYXNz", True),
        ("eyJhbGciOiJIUzI1NiJ9.e30.sig", True),
        ("token=eyJhbGciOiJIUzI1NiJ9", True),
        ("A1b2C3d4E5" * 6 + "F6g7H", True),  # 65 characters of base64
        ("A1b2C3d4E5" * 6 + "F6g7", False),  # 64
        ("billing-service-production-eu-west-1-canary-deployment-worker-pool", False),
        ("550e8400-e29b-41d4-a716-446655440000", False),
        ("billing", False),
        ("Bearer", False),
        ("heyJude1234567890", False),
    ],
)
def test_credential_values_are_recognised(value: str, expected: bool) -> None:
    assert expected == looks_like_credential(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=150))
def test_header_names_output_is_bounded_lower_case_and_kept(names: list[str]) -> None:
    kept = header_names(names)

    assert len(kept) <= MAX_NAMES
    assert len(set(kept)) == len(kept)
    assert all(name == name.lower() and keep_header_name(name) for name in kept)
    assert set(kept) <= {name.lower() for name in names}


def test_cookie_names_never_look_at_values() -> None:
    from drift.core.privacy import cookie_names

    assert ["a", "b", "c"] == list(cookie_names("a=1; b=x=y;c=;  ; =nameless; bare-token"))
