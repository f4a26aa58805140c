"""Consumer identity: each rule kind, rule order, the default, cleaning, credential refusal, config."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift.core.identity import (
    MAX_TOKEN_BYTES,
    MAX_VALUE_LENGTH,
    CidrRule,
    ConsumerIdentifier,
    HeaderRule,
    JwtClaimRule,
    MtlsCnRule,
    RequestFacts,
    UserAgentRule,
    jwt_payload,
)
from drift.errors import InputError

UA_PATTERN = r"^(?P<consumer>[a-z-]+)/\d"
SAFE_ID = re.compile(r"[A-Za-z0-9_.:@/-]+")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload: Any, *, prefix: str = "Bearer ") -> str:
    header = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return f"{prefix}{header}.{b64(json.dumps(payload).encode())}.c2lnbmF0dXJl"


def facts(
    headers: dict[str, str] | None = None, ip: str | None = None, cn: str | None = None
) -> RequestFacts:
    return RequestFacts(headers or {}, client_ip=ip, client_cert_cn=cn)


def identify(config: list[dict[str, Any]], request: RequestFacts, **kwargs: Any) -> str:
    return ConsumerIdentifier.from_config(config, **kwargs).identify(request)


def config_error(config: Any, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as info:
        ConsumerIdentifier.from_config(config, **kwargs)
    return info.value


CIDRS = {"10.1.0.0/16": "billing", "10.1.2.0/24": "billing-batch", "10.2.0.0/16": "web"}


# -- header --------------------------------------------------------------------------------------


def test_header_rule_takes_the_trimmed_header_value() -> None:
    request = facts({"x-consumer-id": "  billing  "})

    assert "billing" == identify([{"header": "X-Consumer-Id"}], request)


def test_header_rule_without_the_header_gives_the_default() -> None:
    assert "unknown" == identify([{"header": "X-Consumer-Id"}], facts({"accept": "*/*"}))


def test_header_rule_ignores_overlong_values() -> None:
    rule = [{"header": "X-Consumer-Id"}]

    assert "a" * 64 == identify(rule, facts({"x-consumer-id": "a" * MAX_VALUE_LENGTH}))
    assert "unknown" == identify(rule, facts({"x-consumer-id": "a" * (MAX_VALUE_LENGTH + 1)}))


# -- user agent ----------------------------------------------------------------------------------


def test_user_agent_rule_takes_the_consumer_group() -> None:
    request = facts({"user-agent": "billing-worker/2.3 python-requests/2.31"})

    assert "billing-worker" == identify([{"user_agent": UA_PATTERN}], request)


@pytest.mark.parametrize(
    "user_agent", ["Mozilla/5.0 (X11; Linux x86_64)", "billing-worker", "curl/8.4.0 x" * 100]
)
def test_user_agent_rule_without_a_match_gives_the_default(user_agent: str) -> None:
    assert "unknown" == identify([{"user_agent": UA_PATTERN}], facts({"user-agent": user_agent}))


def test_user_agent_rule_without_a_user_agent_gives_the_default() -> None:
    assert "unknown" == identify([{"user_agent": UA_PATTERN}], facts())


# -- jwt claim -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "BEARER   ", "DPoP ", ""])
def test_jwt_claim_rule_reads_the_claim_with_or_without_a_bearer_prefix(prefix: str) -> None:
    request = facts({"authorization": jwt({"azp": "billing", "sub": "u-1"}, prefix=prefix)})

    assert "billing" == identify([{"jwt_claim": "azp"}], request)


def test_jwt_claim_list_is_tried_in_order() -> None:
    rule = [{"jwt_claim": ["azp", "client_id", "sub"]}]
    both = facts({"authorization": jwt({"client_id": "web", "azp": "billing"})})
    only_client_id = facts({"authorization": jwt({"client_id": "web", "sub": "user-7"})})
    only_sub = facts({"authorization": jwt({"sub": "user-7"})})

    assert "billing" == identify(rule, both)
    assert "web" == identify(rule, only_client_id)
    assert "user-7" == identify(rule, only_sub)


def test_jwt_claims_that_are_not_strings_are_skipped() -> None:
    token = jwt({"azp": ["billing"], "client_id": 42, "sub": "user-7"})

    assert "user-7" == identify(
        [{"jwt_claim": ["azp", "client_id", "sub"]}], facts({"authorization": token})
    )


def test_jwt_without_the_claim_gives_the_default() -> None:
    request = facts({"authorization": jwt({"sub": "user-7"})})

    assert "unknown" == identify([{"jwt_claim": ["azp", "client_id"]}], request)


def test_jwt_claim_rule_reads_the_configured_header() -> None:
    token = jwt({"sub": "billing"}, prefix="")
    rule = [{"jwt_claim": "sub", "header": "X-Jwt-Assertion"}]

    assert "billing" == identify(rule, facts({"x-jwt-assertion": token}))
    assert "unknown" == identify(rule, facts({"authorization": "Bearer " + token}))


PAYLOAD = b64(b'{"azp":"billing"}')
MALFORMED_TOKENS = {
    "empty": "",
    "scheme only": "Bearer",
    "one segment": "Bearer abc",
    "two segments": f"Bearer x.{PAYLOAD}",
    "four segments": f"Bearer x.{PAYLOAD}.y.z",
    "jwe five segments": f"Bearer a.b.{PAYLOAD}.d.e",
    "other scheme": f"Basic x.{PAYLOAD}.y",
    "not base64": "Bearer x.eyJhe$$.y",
    "impossible base64 length": "Bearer x.abcde.y",
    "empty payload": "Bearer x..y",
    "not json": "Bearer x." + b64(b"azp=billing") + ".y",
    "json array": "Bearer x." + b64(b'["azp","billing"]') + ".y",
    "json string": "Bearer x." + b64(b'"billing"') + ".y",
    "not utf-8": "Bearer x." + b64(b'{"azp":"\xff\xfe"}') + ".y",
    "deeply nested": "Bearer x." + b64(b'{"":' * 1100 + b"1" + b"}" * 1100) + ".y",
}


@pytest.mark.parametrize("token", MALFORMED_TOKENS.values(), ids=MALFORMED_TOKENS.keys())
def test_malformed_jwt_does_not_match_and_does_not_raise(token: str) -> None:
    assert "unknown" == identify([{"jwt_claim": "azp"}], facts({"authorization": token}))


def test_jwt_over_8_kib_is_not_decoded() -> None:
    token = jwt({"azp": "billing"})  # the signature segment is padded to the length wanted
    at_limit = token + "s" * (MAX_TOKEN_BYTES - len(token))
    over_limit = at_limit + "s"

    assert MAX_TOKEN_BYTES == len(at_limit)
    assert MAX_TOKEN_BYTES < len(over_limit)

    assert "billing" == identify([{"jwt_claim": "azp"}], facts({"authorization": at_limit}))
    assert "unknown" == identify([{"jwt_claim": "azp"}], facts({"authorization": over_limit}))


def test_jwt_payload_is_the_decoded_object_without_verification() -> None:
    assert {"azp": "billing", "n": 1} == jwt_payload(jwt({"azp": "billing", "n": 1}))
    assert None is jwt_payload(None)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.binary(max_size=200))
def test_arbitrary_authorization_values_never_raise(text: str, payload: bytes) -> None:
    identifier = ConsumerIdentifier.from_config([{"jwt_claim": ["azp", "sub"]}])
    for value in (text, f"Bearer {text}.{b64(payload)}.s", f"x.{b64(payload)}.y"):
        consumer = identifier.identify(facts({"authorization": value}))
        assert SAFE_ID.fullmatch(consumer)
        assert len(consumer) <= 64


# -- cidr ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("10.1.9.9", "billing"),
        ("10.1.2.7", "billing-batch"),
        ("10.2.0.1", "web"),
        ("10.3.0.1", "unknown"),
        ("::ffff:10.2.0.1", "web"),
        (None, "unknown"),
        ("", "unknown"),
        ("not-an-ip", "unknown"),
    ],
)
def test_cidr_rule_names_the_network_of_the_client(ip: str | None, expected: str) -> None:
    assert expected == identify([{"cidr": CIDRS}], facts(ip=ip))


@pytest.mark.parametrize("order", [list(CIDRS.items()), list(reversed(CIDRS.items()))])
def test_most_specific_cidr_wins_whatever_the_order(order: list[tuple[str, str]]) -> None:
    assert "billing-batch" == identify([{"cidr": dict(order)}], facts(ip="10.1.2.200"))


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("2001:db8:1::5", "payments"),
        ("2001:db8:2::5", "web"),
        ("fe80::1%eth0", "link-local"),
        ("2001:db9::1", "unknown"),
        ("10.1.2.3", "unknown"),
    ],
)
def test_cidr_rule_handles_ipv6_networks(ip: str, expected: str) -> None:
    networks = {"2001:db8::/32": "web", "2001:db8:1::/48": "payments", "fe80::/10": "link-local"}

    assert expected == identify([{"cidr": networks}], facts(ip=ip))


def test_cidr_bare_address_is_a_single_host() -> None:
    rule = [{"cidr": {"10.9.9.9": "gateway"}}]

    assert "gateway" == identify(rule, facts(ip="10.9.9.9"))
    assert "unknown" == identify(rule, facts(ip="10.9.9.10"))


def test_cidr_rule_rejects_a_network_listed_twice() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        CidrRule((("10.1.0.0/16", "a"), ("10.1.0.0/16", "b")))


# -- mtls ----------------------------------------------------------------------------------------


def test_mtls_rule_takes_the_common_name() -> None:
    assert "billing.svc" == identify([{"mtls_cn": True}], facts(cn="billing.svc"))
    assert "unknown" == identify([{"mtls_cn": True}], facts())


def test_mtls_pattern_takes_the_consumer_group() -> None:
    rule = [{"mtls_cn": {"pattern": r"^(?P<consumer>.+)\.svc$"}}]

    assert "billing" == identify(rule, facts(cn="billing.svc"))
    assert "unknown" == identify(rule, facts(cn="billing.example.com"))
    assert "unknown" == identify(rule, facts())


# -- order and default ---------------------------------------------------------------------------

CHAIN: list[dict[str, Any]] = [
    {"header": "X-Consumer-Id"},
    {"jwt_claim": "azp"},
    {"cidr": {"10.0.0.0/8": "internal"}},
]


def test_first_rule_that_yields_a_value_wins() -> None:
    everything = facts(
        {"x-consumer-id": "billing", "authorization": jwt({"azp": "web"})}, "10.0.0.1"
    )
    no_header = facts({"authorization": jwt({"azp": "web"})}, "10.0.0.1")
    only_ip = facts({}, "10.0.0.1")

    assert "billing" == identify(CHAIN, everything)
    assert "web" == identify(CHAIN, no_header)
    assert "internal" == identify(CHAIN, only_ip)


def test_rule_order_is_the_config_order() -> None:
    request = facts({"x-consumer-id": "billing"}, "10.0.0.1")

    assert "internal" == identify(list(reversed(CHAIN)), request)


def test_default_when_no_rule_matches() -> None:
    assert "unknown" == identify(CHAIN, facts())
    assert "anonymous" == identify(CHAIN, facts(), default="anonymous")
    assert "unknown" == ConsumerIdentifier([]).identify(facts({"x-consumer-id": "billing"}))


@pytest.mark.parametrize("default", ["", "  ", "!!!", "Bearer abcdef"])
def test_unusable_default_is_refused(default: str) -> None:
    with pytest.raises(ValueError, match="default consumer"):
        ConsumerIdentifier([], default=default)


def test_max_length_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_length"):
        ConsumerIdentifier([], max_length=0)


# -- cleaning ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("billing", "billing"),
        ("team/billing:v2@eu-west-1.prod", "team/billing:v2@eu-west-1.prod"),
        ("billing service!", "billing_service_"),
        ("Zürich <script>", "Z_rich__script_"),
        ("line\nbreak", "line_break"),
        ("x" * 100, "x" * 64),
    ],
)
def test_values_are_cleaned_to_safe_characters_and_cut(value: str, expected: str) -> None:
    assert expected == identify([{"header": "X-Consumer-Id"}], facts({"x-consumer-id": value}))


def test_max_length_cuts_consumer_ids() -> None:
    request = facts({"x-consumer-id": "billing-worker"})

    assert "billing-" == identify([{"header": "X-Consumer-Id"}], request, max_length=8)


@pytest.mark.parametrize("value", ["", "   ", "!!!", "___", "ü"])
def test_value_with_nothing_usable_falls_through_to_the_next_rule(value: str) -> None:
    rules = [{"header": "X-Consumer-Id"}, {"header": "X-Client"}]

    assert "web" == identify(rules, facts({"x-consumer-id": value, "x-client": "web"}))


# -- credential refusal --------------------------------------------------------------------------

JWT = jwt({"sub": "user-7"}, prefix="")
CREDENTIALS = {
    "bearer jwt": "Bearer " + JWT,
    "bare jwt": JWT,
    "basic": "Basic dXNlcjpwYXNzd29yZA==",
    "digest": 'Digest username="u", response="6629fae49393a05397450978507c4ef1"',
    "long base64": "dGhpcyBpcyBhIHZlcnkgbG9uZyBzZWNyZXQ" + "A1b2C3d4E5" * 3,
}


@pytest.mark.parametrize("value", CREDENTIALS.values(), ids=CREDENTIALS.keys())
def test_credential_values_never_become_consumer_ids(value: str) -> None:
    misconfigured = ConsumerIdentifier([HeaderRule("Authorization"), HeaderRule("X-Client")])

    assert "unknown" == misconfigured.identify(facts({"authorization": value}))
    assert "web" == misconfigured.identify(facts({"authorization": value, "x-client": "web"}))


def test_base64_of_64_characters_is_not_yet_a_credential_but_65_is() -> None:
    run = "A1b2C3d4E5" * 7
    rule = [{"header": "X-Consumer-Id"}]

    assert run[:64] == identify(rule, facts({"x-consumer-id": run[:64]}))
    assert "unknown" == identify(rule, facts({"x-consumer-id": run[:65]}))


def test_long_slug_of_words_is_cut_not_refused() -> None:
    slug = "billing-service-production-eu-west-1-canary-deployment-worker-pool"

    assert slug[:64] == identify([{"header": "X-Consumer-Id"}], facts({"x-consumer-id": slug}))


def test_jwt_claim_holding_a_token_is_refused() -> None:
    request = facts({"authorization": jwt({"azp": JWT, "sub": "user-7"})})

    assert "user-7" == identify([{"jwt_claim": "azp"}, {"jwt_claim": "sub"}], request)


@pytest.mark.parametrize("header", ["Authorization", "cookie", "X-Api-Key", "X-Auth-Token"])
def test_config_refuses_header_rules_on_credential_headers(header: str) -> None:
    error = config_error([{"header": "X-Consumer-Id"}, {"header": header}])

    assert "consumers/1/header" == error.pointer
    assert "carries credentials" in error.message
    assert f"{{jwt_claim: azp, header: {header}}}" in (error.hint or "")


# -- config --------------------------------------------------------------------------------------


def test_config_builds_typed_rules_in_order() -> None:
    identifier = ConsumerIdentifier.from_config(
        [
            {"header": "X-Consumer-Id"},
            {"user_agent": UA_PATTERN},
            {"jwt_claim": ["azp", "sub"], "header": "X-Token"},
            {"jwt_claim": "client_id"},
            {"cidr": {"10.1.0.0/16": "billing"}},
            {"mtls_cn": True},
            {"mtls_cn": {"pattern": r"(?P<consumer>\w+)"}},
        ]
    )

    assert (
        HeaderRule("x-consumer-id"),
        UserAgentRule(UA_PATTERN),
        JwtClaimRule(("azp", "sub"), "x-token"),
        JwtClaimRule(("client_id",)),
        CidrRule((("10.1.0.0/16", "billing"),)),
        MtlsCnRule(),
        MtlsCnRule(r"(?P<consumer>\w+)"),
    ) == identifier.rules


def test_config_error_text_names_pointer_and_hint() -> None:
    error = config_error([{"header": "X-Consumer-Id"}, {"jwt_clam": "azp"}])

    assert (
        "at 'consumers/1/jwt_clam': unknown key 'jwt_clam'\n  hint: did you mean 'jwt_claim'?"
        == str(error)
    )


@pytest.mark.parametrize(
    ("config", "pointer", "message", "hint"),
    [
        (
            {"header": "x"},
            "consumers",
            "expected a list of rules, got a mapping",
            "e.g. consumers:",
        ),
        (["header"], "consumers/0", "expected a rule mapping, got 'header'", "a rule is one of"),
        ([{}], "consumers/0", "expected a rule mapping, got a mapping", "a rule is one of"),
        (
            [{"heder": "X-Consumer-Id"}],
            "consumers/0/heder",
            "unknown key 'heder'",
            "did you mean 'header'?",
        ),
        (
            [{"user_agnet": "x"}],
            "consumers/0/user_agnet",
            "unknown key 'user_agnet'",
            "did you mean 'user_agent'?",
        ),
        ([{"mtls": True}], "consumers/0/mtls", "unknown key 'mtls'", "did you mean 'mtls_cn'?"),
        ([{"color": "red"}], "consumers/0/color", "unknown key 'color'", "a rule is one of"),
        (
            [{"jwt_claim": "azp", "heaader": "X-Token"}],
            "consumers/0/heaader",
            "unknown key 'heaader'",
            "did you mean 'header'?",
        ),
        (
            [{"cidr": {"10.0.0.0/8": "a"}, "header": "X"}],
            "consumers/0/header",
            "'header' cannot be combined with 'cidr': one kind per rule",
            "write each kind as its own list entry",
        ),
        ([{"header": ""}], "consumers/0/header", "expected a header name, got ''", None),
        ([{"header": "X Consumer"}], "consumers/0/header", "not a header name: 'X Consumer'", None),
        (
            [{"mtls_cn": {"patern": "(?P<consumer>.+)"}}],
            "consumers/0/mtls_cn/patern",
            "unknown key 'patern'",
            "did you mean 'pattern'?",
        ),
        (
            [{"mtls_cn": False}],
            "consumers/0/mtls_cn",
            "expected true or {pattern: ...}, got False",
            "{mtls_cn: true}",
        ),
        (
            [{"mtls_cn": "yes"}],
            "consumers/0/mtls_cn",
            "expected true or {pattern: ...}, got 'yes'",
            "{mtls_cn: true}",
        ),
    ],
)
def test_config_errors_name_the_bad_entry(
    config: Any, pointer: str, message: str, hint: str | None
) -> None:
    error = config_error(config)

    assert pointer == error.pointer
    assert message == error.message
    if hint is None:
        assert None is error.hint
    else:
        assert (error.hint or "").startswith(hint)


@pytest.mark.parametrize(
    ("config", "pointer", "message"),
    [
        (
            [{"user_agent": "(?P<consumer>[a-z"}],
            "consumers/0/user_agent",
            "invalid regular expression: unterminated character set at position 13",
        ),
        (
            [{"user_agent": r"^([a-z-]+)/\d"}],
            "consumers/0/user_agent",
            "the regular expression has no (?P<consumer>...) group",
        ),
        (
            [{"mtls_cn": {"pattern": r"^(?P<name>.+)\.svc$"}}],
            "consumers/0/mtls_cn/pattern",
            "the regular expression has no (?P<consumer>...) group",
        ),
    ],
)
def test_config_checks_regexes_compile_and_have_the_consumer_group(
    config: Any, pointer: str, message: str
) -> None:
    error = config_error(config)

    assert pointer == error.pointer
    assert message == error.message
    assert "the consumer id is the part matched by (?P<consumer>...)" == error.hint


@pytest.mark.parametrize(
    ("cidr", "pointer", "message", "hint"),
    [
        (
            {"10.1.0.0/16": "billing", "10.300.0.0/16": "web"},
            "consumers/0/cidr/10.300.0.0~116",
            "not an IP network: '10.300.0.0/16' does not appear to be an IPv4 or IPv6 network",
            "write address/prefix, e.g. 10.1.0.0/16 or 2001:db8::/32",
        ),
        (
            {"10.1.2.0/16": "billing"},
            "consumers/0/cidr/10.1.2.0~116",
            "not an IP network: 10.1.2.0/16 has host bits set",
            "did you mean 10.1.0.0/16?",
        ),
        (
            {"10.1.0.0/16": "billing", "10.1.0.0/16 ": "web"},
            "consumers/0/cidr/10.1.0.0~116 ",
            "network 10.1.0.0/16 is already listed as 'billing'",
            None,
        ),
        (
            {"10.1.0.0/16": 7},
            "consumers/0/cidr/10.1.0.0~116",
            "expected a consumer name, got 7",
            None,
        ),
        (
            {"10.1.0.0/16": "!!"},
            "consumers/0/cidr/10.1.0.0~116",
            "'!!' is not a usable consumer id",
            None,
        ),
    ],
)
def test_config_checks_cidr_networks(
    cidr: dict[str, Any], pointer: str, message: str, hint: str | None
) -> None:
    error = config_error([{"cidr": cidr}])

    assert pointer == error.pointer
    assert message == error.message
    assert hint == error.hint


@pytest.mark.parametrize("cidr", [{}, ["10.0.0.0/8"], "10.0.0.0/8"])
def test_config_cidr_must_be_a_non_empty_mapping(cidr: Any) -> None:
    error = config_error([{"cidr": cidr}])

    assert "consumers/0/cidr" == error.pointer
    assert error.message.startswith("expected a mapping of networks to consumers")


@pytest.mark.parametrize(
    ("claims", "pointer", "message"),
    [
        (["azp", 3], "consumers/0/jwt_claim/1", "expected a claim name, got 3"),
        (["azp", ""], "consumers/0/jwt_claim/1", "expected a claim name, got ''"),
        ([], "consumers/0/jwt_claim", "expected at least one claim name"),
        (
            {"azp": 1},
            "consumers/0/jwt_claim",
            "expected a claim name or a list of them, got a mapping",
        ),
        (None, "consumers/0/jwt_claim", "expected a claim name or a list of them, got None"),
    ],
)
def test_config_checks_jwt_claim_lists(claims: Any, pointer: str, message: str) -> None:
    error = config_error([{"jwt_claim": claims}])

    assert pointer == error.pointer
    assert message == error.message


def test_config_jwt_header_must_be_a_header_name() -> None:
    error = config_error([{"jwt_claim": "azp", "header": "X Token"}])

    assert "consumers/0/header" == error.pointer
    assert "not a header name: 'X Token'" == error.message


def test_config_pointer_starts_at_where() -> None:
    error = config_error([{"jwt_clam": "azp"}], where="services/orders/consumers")

    assert "services/orders/consumers/0/jwt_clam" == error.pointer


def test_rules_check_their_arguments_when_built_directly() -> None:
    with pytest.raises(ValueError, match="no"):
        UserAgentRule(r"^([a-z]+)/")
    with pytest.raises(ValueError, match="invalid regular expression"):
        MtlsCnRule("(")
    with pytest.raises(ValueError, match="not an IP network"):
        CidrRule((("10.0.0.0/33", "a"),))
    with pytest.raises(ValueError, match="claims"):
        JwtClaimRule(())
    with pytest.raises(ValueError, match="not a header name"):
        HeaderRule("x consumer")


# -- speed ---------------------------------------------------------------------------------------


def test_identify_with_three_rules_and_a_jwt_takes_microseconds() -> None:
    identifier = ConsumerIdentifier.from_config(
        [{"header": "X-Consumer-Id"}, {"user_agent": UA_PATTERN}, {"jwt_claim": ["azp", "sub"]}]
    )
    token = (
        jwt(
            {
                "iss": "https://idp.example.com/realms/prod",
                "sub": "service-account-billing",
                "azp": "billing-worker",
                "aud": ["orders", "invoices"],
                "exp": 1_700_000_000,
                "iat": 1_699_990_000,
                "scope": "orders:read orders:write",
            }
        )
        + "x" * 300
    )  # an RS256 signature is about 342 characters
    request = facts({"authorization": token, "user-agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    calls = 20_000

    assert "billing-worker" == identifier.identify(request)
    started = time.perf_counter()
    for _ in range(calls):
        identifier.identify(request)
    per_call_us = (time.perf_counter() - started) / calls * 1e6

    print(f"\nidentify, 3 rules ending in a JWT claim: {per_call_us:.2f} µs per call")
    assert per_call_us < 200  # measured about 5 µs; a wide margin for slow CI machines
