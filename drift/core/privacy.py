"""Which header, query and cookie *names* drift may store, and which values are credentials.

drift stores names, never values. Names are usually safe (`accept`, `x-request-id`), but some
clients put data or secrets into the name itself: `x-session-3f2a9c8e1b7d4a6f0c1e`,
`x-user-550e8400-e29b-41d4-a716-446655440000`, a cookie named after an account number. The policy:

* **Kept**: short names (at most `MAX_NAME_LENGTH` characters, at most 10 word parts) made of
  the usual name characters — header names `[a-z0-9_.-]`, query / cookie names also `A-Z`,
  `[]` and `$` (`filter[status]`, `$top`).
* **Dropped**: names with other characters, and names where any run of word parts is data by
  `drift.core.templating.classify_segment` — a uuid, ulid, long hex, opaque token, email, date,
  or an integer of 5 digits or more. Names that `drift.core.shape.is_sensitive_name` flags
  (`x-api-key`, `session`, …) get a lower bar: any part of 6 or more characters that
  interleaves letters and digits is a value too (`x-api-key-a1b2c3d4`).
* **Operator lists win**: `deny` drops a name, `allow` keeps it whatever the heuristics say
  (`deny` beats `allow`).
* **Bounded**: `header_names` / `param_names` return at most `MAX_NAMES` distinct names and look
  at no more than `MAX_SCANNED` inputs, so a request with thousands of headers costs little.

Names whose *values* are secret (`SECRET_HEADER_NAMES`, `is_secret_header`) are still kept as
names: only the consumer identity rules ever read a header value, and they refuse values that
`looks_like_credential`.

Pure and stdlib-only; per-name decisions are memoised (bounded).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from drift.core.shape import is_sensitive_name
from drift.core.templating import classify_segment

__all__ = [
    "MAX_NAMES",
    "MAX_NAME_LENGTH",
    "MAX_SCANNED",
    "SECRET_HEADER_NAMES",
    "NamePolicy",
    "cookie_names",
    "header_names",
    "is_secret_header",
    "keep_header_name",
    "keep_param_name",
    "looks_like_credential",
    "param_names",
]

MAX_NAMES = 64  # names returned per message and location
MAX_SCANNED = 128  # input names looked at per call
MAX_NAME_LENGTH = 64
_MAX_PARTS = 10  # real header names have at most 5 or 6 (`sec-ch-ua-platform-version`)

# Headers whose VALUES are credentials (the names are ordinary and kept).
SECRET_HEADER_NAMES: frozenset[str] = frozenset(
    """authorization proxy-authorization cookie set-cookie set-cookie2 x-api-key api-key apikey
    x-apikey x-auth-token x-access-token x-refresh-token x-id-token x-session-token x-csrf-token
    x-xsrf-token x-csrftoken x-amz-security-token x-goog-api-key x-goog-iap-jwt-assertion
    cf-access-jwt-assertion x-jwt-assertion x-forwarded-access-token x-auth-request-access-token
    x-amzn-oidc-accesstoken x-amzn-oidc-data x-vault-token x-consul-token x-nomad-token
    private-token x-gitlab-token ocp-apim-subscription-key x-functions-key x-rapidapi-key
    x-client-secret x-hub-signature x-hub-signature-256 x-slack-signature dpop""".split()
)
# Header names containing these (separators ignored) carry credentials; `key` and `jwt` only as
# a whole word part (`x-functions-key`, not `x-keyboard`).
_SECRET_ANYWHERE = (
    "authorization",
    "token",
    "secret",
    "passw",
    "apikey",
    "credential",
    "session",
    "cookie",
    "signature",
)
_SECRET_PARTS = frozenset({"key", "jwt", "pat"})

_HEADER_NAME = re.compile(r"[a-z0-9_.-]+")
_PARAM_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]$]+")
_SEPARATOR = re.compile(r"[-_.\[\]$]")
_PART = re.compile(r"[^-_.\[\]$]+")
_DIGITS = re.compile(r"\d+")
_DATA_CLASSES = frozenset({"date", "uuid", "hex", "ulid", "email", "token"})
_MIN_ID_DIGITS = 5  # integers this long in a name are ids, shorter ones versions or sizes
_MIN_MIXED = 6  # in a sensitive name, a part this long interleaving letters and digits is a value

# Credential values: an auth scheme followed by its parameter, a base64url JSON object (JWT /
# JOSE: `eyJ` is base64 for `{"`), or a run of more than 64 base64 characters that is not a
# slug of plain words and numbers.
_SCHEME = re.compile(
    r"(?:bearer|basic|digest|token|negotiate|ntlm|dpop|apikey|api-key|hoba|mutual|gssapi|"
    r"aws4-hmac-sha256|sharedaccesssignature)\s+\S",
    re.IGNORECASE,
)
_ENCODED_JSON = re.compile(r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}")
_LONG_RUN = re.compile(r"[A-Za-z0-9+/=_-]{65,}")
_RUN_SEPARATOR = re.compile(r"[-_./+=]")


def looks_like_credential(value: str) -> bool:
    """Whether a header-ish value looks like a credential: `Bearer …`, `Basic …`, a JWT (`eyJ…`)
    or more than 64 characters of base64. Such values never become consumer ids."""
    text = value.strip()
    if _SCHEME.match(text) or _ENCODED_JSON.search(text):
        return True
    return any(not _is_slug(m.group()) for m in _LONG_RUN.finditer(text))


def _is_slug(run: str) -> bool:
    """Words and numbers joined by separators (`eu-west-1-billing-…`), not random base64."""
    return all(p.isalpha() or p.isdigit() or not p for p in _RUN_SEPARATOR.split(run))


@lru_cache(maxsize=1024)
def is_secret_header(name: str) -> bool:
    """Whether the header's value is a credential (`SECRET_HEADER_NAMES`, or a name that says
    token, secret, password, api key, session, cookie, signature, …). Case-insensitive."""
    lower = name.lower()
    if lower in SECRET_HEADER_NAMES:
        return True
    compact = _SEPARATOR.sub("", lower)
    if any(word in compact for word in _SECRET_ANYWHERE):
        return True
    return any(part in _SECRET_PARTS for part in _SEPARATOR.split(lower))


def keep_header_name(name: str) -> bool:
    """Whether drift may store this header name (see the module docstring for the policy)."""
    return _keep(name.lower(), header=True)


def keep_param_name(name: str) -> bool:
    """Whether drift may store this query or cookie parameter name (case is significant)."""
    return _keep(name, header=False)


def header_names(
    names: Iterable[str], *, allow: Collection[str] = (), deny: Collection[str] = ()
) -> tuple[str, ...]:
    """Distinct lower-case header names worth storing, in first-seen order, at most `MAX_NAMES`.

    `allow` keeps names the heuristics would drop, `deny` drops names (both case-insensitive;
    `deny` wins).
    """
    allowed = frozenset(a.lower() for a in allow) if allow else frozenset()
    denied = frozenset(d.lower() for d in deny) if deny else frozenset()
    return _select((n.lower() for n in names), allowed, denied, keep_header_name)


def param_names(
    names: Iterable[str], *, allow: Collection[str] = (), deny: Collection[str] = ()
) -> tuple[str, ...]:
    """Distinct query or cookie names worth storing (case kept), in first-seen order, at most
    `MAX_NAMES`. `allow` / `deny` as in `header_names`, but case-sensitive."""
    return _select(iter(names), frozenset(allow), frozenset(deny), keep_param_name)


def cookie_names(header: str) -> Iterator[str]:
    """Cookie names of a `Cookie` request header (`a=1; b=2`); values are never looked at,
    and a bare token without `=` may be a value, so it is never taken for a name."""
    for pair in header.split(";"):
        name, equals, _ = pair.partition("=")
        name = name.strip()
        if equals and name:
            yield name


@dataclass(frozen=True, slots=True)
class NamePolicy:
    """The operator's allow and deny lists for stored names (config `privacy.*`), ready to
    apply: header names lower-cased once, not per exchange."""

    header_allow: frozenset[str] = frozenset()
    header_deny: frozenset[str] = frozenset()
    param_allow: frozenset[str] = frozenset()
    param_deny: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        header_allow: Iterable[str] = (),
        header_deny: Iterable[str] = (),
        param_allow: Iterable[str] = (),
        param_deny: Iterable[str] = (),
    ) -> NamePolicy:
        return cls(
            frozenset(h.lower() for h in header_allow),
            frozenset(h.lower() for h in header_deny),
            frozenset(param_allow),
            frozenset(param_deny),
        )

    def denying_headers(self, names: Iterable[str]) -> NamePolicy:
        """The same policy, also denying these header names."""
        return replace(self, header_deny=self.header_deny | {n.lower() for n in names})

    def headers(self, names: Iterable[str]) -> tuple[str, ...]:
        """As `header_names` with this policy's lists."""
        return _select(
            (n.lower() for n in names), self.header_allow, self.header_deny, keep_header_name
        )

    def params(self, names: Iterable[str]) -> tuple[str, ...]:
        """As `param_names` with this policy's lists."""
        return _select(iter(names), self.param_allow, self.param_deny, keep_param_name)


def _select(
    names: Iterable[str],
    allowed: frozenset[str],
    denied: frozenset[str],
    keep: Callable[[str], bool],
) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for scanned, name in enumerate(names):
        if scanned >= MAX_SCANNED or len(out) >= MAX_NAMES:
            break
        if name in out or name in denied:
            continue
        if (name and name in allowed) or keep(name):
            out[name] = None
    return tuple(out)


@lru_cache(maxsize=4096)
def _keep(name: str, *, header: bool) -> bool:
    if not 0 < len(name) <= MAX_NAME_LENGTH:
        return False
    if not (_HEADER_NAME if header else _PARAM_NAME).fullmatch(name):
        return False
    parts = [p for p in _SEPARATOR.split(name) if p]
    if not parts or len(parts) > _MAX_PARTS:
        return False
    if is_sensitive_name(name) and any(_mixed(p) for p in parts):
        return False
    return not _has_data(name)


def _mixed(part: str) -> bool:
    """Letters with digits interleaved (`a1b2c3`, `3fa9bc`), not a word with a number
    (`cookie2`, `sha256`)."""
    return (
        len(part) >= _MIN_MIXED
        and len(_DIGITS.findall(part)) >= 2
        and any(c.isalpha() for c in part)
    )


def _has_data(name: str) -> bool:
    """Whether a run of consecutive parts (with the name's own separators) is a value."""
    if not any(c.isdigit() for c in name):
        return False  # ids, dates, hex, ulids and tokens have digits (uuids in practice)
    spans = [m.span() for m in _PART.finditer(name)]
    for i, (start, _) in enumerate(spans):
        for _, end in spans[i:]:
            run = name[start:end]
            kind = classify_segment(run)
            if kind in _DATA_CLASSES or (kind == "id" and len(run) >= _MIN_ID_DIGITS):
                return True
    return False
