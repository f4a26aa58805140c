"""Who is calling: a consumer id from ordered identification rules.

The capture edge extracts `RequestFacts` per request (a few header look-ups, the client address,
the mTLS client certificate's common name); `ConsumerIdentifier.identify` tries the rules in
order and the first one that yields a value wins, else the default (`unknown`). Rule kinds, as
written in the registry (`consumers:` list):

* `{header: X-Consumer-Id}` — the header's value, trimmed.
* `{user_agent: '^(?P<consumer>[a-z-]+)/\\d'}` — the `consumer` group of the regex, searched in
  the User-Agent (anchor it with `^` to match at the start).
* `{jwt_claim: azp}` or `{jwt_claim: [azp, client_id, sub], header: Authorization}` — the first
  of the claims that is a string in the payload of a JWT (optionally after `Bearer ` or `DPoP `)
  in the header (default `Authorization`). The token is decoded, NOT verified: drift only
  labels traffic with it, it grants nothing. Malformed, non-JSON or over-8-KiB tokens do not
  match; decoding never raises.
* `{cidr: {10.1.0.0/16: billing, 2001:db8::/32: web}}` — the name of the most specific network
  holding the client address (IPv4 and IPv6; IPv4-mapped IPv6 addresses count as IPv4).
* `{mtls_cn: true}` or `{mtls_cn: {pattern: '^(?P<consumer>.+)\\.svc$'}}` — the client
  certificate's common name, whole or the regex's `consumer` group.

A consumer id is an identity, not a secret, but it ends up in reports and Slack messages, so
every value is checked and cleaned the same way whichever rule produced it:

* **Credentials are refused.** A value that `drift.core.privacy.looks_like_credential` (an auth
  scheme such as `Bearer …` / `Basic …`, a JWT `eyJ…`, over 64 characters of base64) never
  becomes a consumer id: the rule does not match and the next one is tried. So even a
  misconfigured `Authorization` header rule cannot leak tokens into reports; `from_config` also
  refuses header rules on headers whose values are credentials (`privacy.is_secret_header`).
* **Cleaned.** Characters outside `[A-Za-z0-9_.:@/-]` become `_`, the result is cut to
  `max_length`; a result without any letter or digit does not match.
* **Bounded.** Header, User-Agent and CN values over 1 KiB, and tokens over 8 KiB, do not match.

Pure, stateless after construction and safe to share between threads.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from drift.core.pointer import join
from drift.core.privacy import is_secret_header, looks_like_credential
from drift.errors import InputError

__all__ = [
    "MAX_TOKEN_BYTES",
    "MAX_VALUE_LENGTH",
    "CidrRule",
    "ConsumerIdentifier",
    "HeaderRule",
    "JwtClaimRule",
    "MtlsCnRule",
    "RequestFacts",
    "Rule",
    "UserAgentRule",
    "clean_consumer",
    "jwt_payload",
]

MAX_VALUE_LENGTH = 1024  # longer header / User-Agent / CN values are not identities
MAX_TOKEN_BYTES = 8 * 1024  # longer tokens are not decoded
GROUP = "consumer"  # the named regex group holding the consumer id

_UNSAFE = re.compile(r"[^A-Za-z0-9_.:@/-]")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")  # RFC 9110 token
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_TOKEN_SCHEMES = ("bearer", "dpop")


class HeaderLookup(Protocol):
    """Case-insensitive header access: a dict of lower-case names, or a view of raw fields."""

    def get(self, name: str, /) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the capture edge extracts per request, cheaply."""

    headers: HeaderLookup | Mapping[str, str]  # name -> first value; only `.get` is used
    client_ip: str | None = None
    client_cert_cn: str | None = None  # mTLS client certificate common name


def _compile(pattern: str) -> re.Pattern[str]:
    """A regex with a `consumer` group, or ValueError saying what is wrong."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    if GROUP not in regex.groupindex:
        raise ValueError(f"the regular expression has no (?P<{GROUP}>...) group")
    return regex


def _search(regex: re.Pattern[str], text: str | None) -> str | None:
    if text is None or len(text) > MAX_VALUE_LENGTH:
        return None
    m = regex.search(text)
    return m.group(GROUP) if m else None


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """The value of one request header, trimmed."""

    name: str

    def __post_init__(self) -> None:
        if not _HEADER_NAME.fullmatch(self.name):
            raise ValueError(f"not a header name: {self.name!r}")
        object.__setattr__(self, "name", self.name.lower())

    def extract(self, facts: RequestFacts) -> str | None:
        value = facts.headers.get(self.name)
        return value if value is not None and len(value) <= MAX_VALUE_LENGTH else None


@dataclass(frozen=True, slots=True)
class UserAgentRule:
    """The `consumer` group of a regex searched in the User-Agent header."""

    pattern: str
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", _compile(self.pattern))

    def extract(self, facts: RequestFacts) -> str | None:
        return _search(self._regex, facts.headers.get("user-agent"))


@dataclass(frozen=True, slots=True)
class JwtClaimRule:
    """The first string claim among `claims` in an unverified JWT payload from `header`."""

    claims: tuple[str, ...]
    header: str = "authorization"

    def __post_init__(self) -> None:
        if not self.claims or not all(isinstance(c, str) and c for c in self.claims):
            raise ValueError("claims must be one or more non-empty names")
        if not _HEADER_NAME.fullmatch(self.header):
            raise ValueError(f"not a header name: {self.header!r}")
        object.__setattr__(self, "header", self.header.lower())

    def extract(self, facts: RequestFacts) -> str | None:
        payload = jwt_payload(facts.headers.get(self.header))
        if payload is None:
            return None
        for claim in self.claims:
            value = payload.get(claim)
            if isinstance(value, str):
                return value
        return None


def jwt_payload(value: str | None) -> dict[str, Any] | None:
    """The JSON object in a JWT's payload segment, not verified; None for anything malformed."""
    if value is None or len(value) > MAX_TOKEN_BYTES:
        return None
    token = value.strip()
    scheme, space, rest = token.partition(" ")
    if space:
        if scheme.lower() not in _TOKEN_SCHEMES:
            return None
        token = rest.strip()
    if token.count(".") != 2:  # JWS compact form; JWE (5 parts) payloads are encrypted
        return None
    segment = token.split(".", 2)[1]
    if not _B64URL.fullmatch(segment):
        return None
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        payload = orjson.loads(data)
    except (binascii.Error, ValueError):  # orjson.JSONDecodeError is a ValueError
        return None
    return payload if isinstance(payload, dict) else None


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Per IP version: (netmask, {network address: consumer}) as ints, longest prefix first.
_Table = tuple[tuple[int, dict[int, str]], ...]


def _network(text: str) -> _Network:
    """An IP network in CIDR notation (a bare address is a /32 or /128); ValueError if not."""
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IP network: {exc}") from None


@dataclass(frozen=True, slots=True)
class CidrRule:
    """The consumer named for the most specific network holding the client address."""

    networks: tuple[tuple[str, str], ...]  # (CIDR, consumer), e.g. ("10.1.0.0/16", "billing")
    _v4: _Table = field(init=False, repr=False, compare=False)
    _v6: _Table = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tables: dict[int, dict[int, dict[int, str]]] = {4: {}, 6: {}}
        for text, consumer in self.networks:
            net = _network(text)
            table = tables[net.version].setdefault(int(net.netmask), {})
            if int(net.network_address) in table:
                raise ValueError(f"network {net} is listed twice")
            table[int(net.network_address)] = consumer
        # Longer prefixes have numerically larger masks: most specific first.
        object.__setattr__(self, "_v4", tuple(sorted(tables[4].items(), reverse=True)))
        object.__setattr__(self, "_v6", tuple(sorted(tables[6].items(), reverse=True)))

    def extract(self, facts: RequestFacts) -> str | None:
        if not facts.client_ip:
            return None
        try:
            address = ipaddress.ip_address(facts.client_ip)
        except ValueError:
            return None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        value = int(address)
        for mask, table in self._v4 if address.version == 4 else self._v6:
            consumer = table.get(value & mask)
            if consumer is not None:
                return consumer
        return None


@dataclass(frozen=True, slots=True)
class MtlsCnRule:
    """The mTLS client certificate's common name, or the `consumer` group of `pattern` in it."""

    pattern: str | None = None
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = _compile(self.pattern) if self.pattern is not None else None
        object.__setattr__(self, "_regex", regex)

    def extract(self, facts: RequestFacts) -> str | None:
        cn = facts.client_cert_cn
        if self._regex is None:
            return cn if cn is not None and len(cn) <= MAX_VALUE_LENGTH else None
        return _search(self._regex, cn)


Rule = HeaderRule | UserAgentRule | JwtClaimRule | CidrRule | MtlsCnRule


def clean_consumer(value: str, max_length: int = 64) -> str | None:
    """A value as a consumer id: None for credentials, unsafe characters as `_`, cut to
    `max_length`; None when nothing but separators is left."""
    if looks_like_credential(value):
        return None
    cleaned = _UNSAFE.sub("_", value.strip())[:max_length]
    return cleaned if _ALNUM.search(cleaned) else None


class ConsumerIdentifier:
    """Ordered rules → a consumer id per request (see the module docstring)."""

    __slots__ = ("_default", "_max_length", "_rules")

    def __init__(
        self, rules: Sequence[Rule], *, default: str = "unknown", max_length: int = 64
    ) -> None:
        if max_length < 1:
            raise ValueError("max_length must be at least 1")
        clean_default = clean_consumer(default, max_length)
        if clean_default is None:
            raise ValueError(f"default consumer {default!r} is not a usable id")
        self._rules = tuple(rules)
        self._default = clean_default
        self._max_length = max_length

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    @property
    def default(self) -> str:
        return self._default

    def header_names(self) -> frozenset[str]:
        """Lower-case headers the rules read: identity, never API parameters to record."""
        return frozenset(
            {r.name for r in self._rules if isinstance(r, HeaderRule)}
            | {r.header.lower() for r in self._rules if isinstance(r, JwtClaimRule)}
        )

    @property
    def wants_client_cn(self) -> bool:
        """Whether a rule reads the mTLS client certificate's CN (costly to extract)."""
        return any(isinstance(r, MtlsCnRule) for r in self._rules)

    def identify(self, facts: RequestFacts) -> str:
        """The consumer id from the first rule that yields a usable value, else the default."""
        for rule in self._rules:
            value = rule.extract(facts)
            if value is not None:
                consumer = clean_consumer(value, self._max_length)
                if consumer is not None:
                    return consumer
        return self._default

    @classmethod
    def from_config(
        cls,
        raw: list[dict[str, Any]],
        *,
        where: str = "consumers",
        default: str = "unknown",
        max_length: int = 64,
    ) -> ConsumerIdentifier:
        """Rules from the registry's list; InputError names the bad entry's pointer."""
        if not isinstance(raw, list):
            raise InputError(
                f"expected a list of rules, got {_kind_of(raw)}",
                pointer=where,
                hint="e.g. consumers: [{header: X-Consumer-Id}, {jwt_claim: azp}]",
            )
        rules = [_rule(entry, join(where, i)) for i, entry in enumerate(raw)]
        return cls(rules, default=default, max_length=max_length)


# -- configuration -------------------------------------------------------------------------------

# Each kind's own key first; the kind of an entry is the first of these keys it has.
_KEYS: dict[str, tuple[str, ...]] = {
    "jwt_claim": ("jwt_claim", "header"),
    "user_agent": ("user_agent",),
    "cidr": ("cidr",),
    "mtls_cn": ("mtls_cn",),
    "header": ("header",),
}
_ALL_KEYS = tuple(_KEYS)
_KINDS_HINT = (
    "a rule is one of {header: X-Consumer-Id}, {user_agent: '(?P<consumer>...)'}, "
    "{jwt_claim: azp}, {cidr: {10.0.0.0/8: name}}, {mtls_cn: true}"
)


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _network_hint(text: str) -> str:
    """`did you mean 10.1.0.0/16?` for host bits set, else the expected form."""
    try:
        return f"did you mean {ipaddress.ip_network(text.strip(), strict=False)}?"
    except ValueError:
        return "write address/prefix, e.g. 10.1.0.0/16 or 2001:db8::/32"


def _unknown_key(key: Any, allowed: Sequence[str], where: str, fallback: str) -> InputError:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else fallback
    return InputError(f"unknown key {str(key)!r}", pointer=join(where, key), hint=hint)


def _rule(entry: Any, where: str) -> Rule:
    if not isinstance(entry, dict) or not entry:
        raise InputError(
            f"expected a rule mapping, got {_kind_of(entry)}", pointer=where, hint=_KINDS_HINT
        )
    kinds = [k for k in _ALL_KEYS if k in entry]
    if not kinds:
        raise _unknown_key(next(iter(entry)), _ALL_KEYS, where, _KINDS_HINT)
    kind = kinds[0]
    allowed = _KEYS[kind]
    for key in entry:
        if key not in allowed:
            if key in _KEYS:
                raise InputError(
                    f"{key!r} cannot be combined with {kind!r}: one kind per rule",
                    pointer=join(where, key),
                    hint="write each kind as its own list entry; the first match wins",
                )
            raise _unknown_key(key, allowed, where, f"{kind!r} rules take {', '.join(allowed)}")
    build = _BUILDERS[kind]
    return build(entry, where)


def _string(value: Any, where: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"expected {what}, got {_kind_of(value)}", pointer=where)
    return value.strip()


def _header_rule(entry: dict[str, Any], where: str) -> Rule:
    at = join(where, "header")
    name = _string(entry["header"], at, "a header name")
    if not _HEADER_NAME.fullmatch(name):
        raise InputError(f"not a header name: {name!r}", pointer=at)
    if is_secret_header(name):
        raise InputError(
            f"header {name!r} carries credentials; drift never takes a consumer id from it",
            pointer=at,
            hint="to read a claim of its token use {jwt_claim: azp, header: " + name + "}",
        )
    return HeaderRule(name)


def _regex_rule(value: Any, at: str) -> str:
    pattern = _string(value, at, "a regular expression")
    try:
        _compile(pattern)
    except ValueError as exc:
        raise InputError(
            str(exc), pointer=at, hint=f"the consumer id is the part matched by (?P<{GROUP}>...)"
        ) from None
    return pattern


def _user_agent_rule(entry: dict[str, Any], where: str) -> Rule:
    return UserAgentRule(_regex_rule(entry["user_agent"], join(where, "user_agent")))


def _jwt_rule(entry: dict[str, Any], where: str) -> Rule:
    at = join(where, "jwt_claim")
    raw = entry["jwt_claim"]
    if isinstance(raw, list):
        if not raw:
            raise InputError("expected at least one claim name", pointer=at, hint="e.g. [azp, sub]")
        claims = tuple(_string(c, join(at, i), "a claim name") for i, c in enumerate(raw))
    else:
        claims = (_string(raw, at, "a claim name or a list of them"),)
    header = "authorization"
    if "header" in entry:
        header = _string(entry["header"], join(where, "header"), "a header name")
        if not _HEADER_NAME.fullmatch(header):
            raise InputError(f"not a header name: {header!r}", pointer=join(where, "header"))
    return JwtClaimRule(claims, header)


def _cidr_rule(entry: dict[str, Any], where: str) -> Rule:
    at = join(where, "cidr")
    raw = entry["cidr"]
    if not isinstance(raw, dict) or not raw:
        raise InputError(
            f"expected a mapping of networks to consumers, got {_kind_of(raw)}",
            pointer=at,
            hint="e.g. {10.1.0.0/16: billing, 2001:db8::/32: web}",
        )
    seen: dict[_Network, str] = {}
    pairs: list[tuple[str, str]] = []
    for key, consumer in raw.items():
        here = join(at, key)
        try:
            net = _network(str(key))
        except ValueError as exc:
            raise InputError(str(exc), pointer=here, hint=_network_hint(str(key))) from None
        if net in seen:
            raise InputError(f"network {net} is already listed as {seen[net]!r}", pointer=here)
        name = _string(consumer, here, "a consumer name")
        if clean_consumer(name) is None:
            raise InputError(f"{name!r} is not a usable consumer id", pointer=here)
        seen[net] = name
        pairs.append((str(key), name))
    return CidrRule(tuple(pairs))


def _mtls_rule(entry: dict[str, Any], where: str) -> Rule:
    at = join(where, "mtls_cn")
    raw = entry["mtls_cn"]
    if raw is True:
        return MtlsCnRule()
    if isinstance(raw, dict) and raw:
        for key in raw:
            if key != "pattern":
                raise _unknown_key(key, ("pattern",), at, "mtls_cn takes only 'pattern'")
        return MtlsCnRule(_regex_rule(raw["pattern"], join(at, "pattern")))
    raise InputError(
        f"expected true or {{pattern: ...}}, got {_kind_of(raw)}",
        pointer=at,
        hint="{mtls_cn: true} takes the whole common name",
    )


_BUILDERS = {
    "header": _header_rule,
    "user_agent": _user_agent_rule,
    "jwt_claim": _jwt_rule,
    "cidr": _cidr_rule,
    "mtls_cn": _mtls_rule,
}
