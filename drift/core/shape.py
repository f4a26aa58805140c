"""Shape statistics of JSON bodies: per-pointer counts, types, value classes, small enums.

A `Node` summarises every value seen at one place in a body. Nodes merge exactly (counts add,
bounded sets overflow deterministically), so observations from many sidecars and windows
combine in any order with the same result. Raw values are kept only as *small enums*: short,
word-like strings or small integers of fields whose name does not look sensitive, and only until
more than `MAX_VALUES` distinct values are seen.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from drift.core.valueclass import json_type, string_class

__all__ = ["MAX_KEYS", "MAX_KEYSETS", "MAX_VALUES", "WILDCARD", "Node", "is_sensitive_name"]

MAX_VALUES = 24
MAX_KEYSETS = 32
MAX_KEYS = 256
MAX_DEPTH = 48
WILDCARD = "*"  # stands for "any key" in objects used as maps (and every item in arrays)

_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}$")
_KEY = re.compile(r"^[A-Za-z_$@][A-Za-z0-9_$@.\-]{0,63}$")
# Field names whose values are never kept, even as small enums. Long words match anywhere in
# the name (`userPassword`); short ones only as a whole word part (`zip`, not `zipped`… `platform`).
_SENSITIVE_ANYWHERE = (
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "email",
    "phone",
    "mobile",
    "address",
    "birth",
    "iban",
    "session",
    "cookie",
    "postal",
    "postcode",
    "latitude",
    "longitude",
    "firstname",
    "lastname",
    "surname",
    "fullname",
    "username",
    "signature",
)
_SENSITIVE_WORDS = frozenset(
    {
        "pass",
        "pwd",
        "pin",
        "auth",
        "key",
        "name",
        "card",
        "cvv",
        "cvc",
        "pan",
        "ssn",
        "tax",
        "zip",
        "lat",
        "lon",
        "lng",
        "geo",
        "ip",
        "dob",
        "tel",
        "mail",
        "street",
        "city",
        "account",
    }
)
_WORD_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@lru_cache(maxsize=4096)
def is_sensitive_name(name: str) -> bool:
    """Whether a field name suggests personal or secret data (its values are not kept)."""
    lower = name.lower()
    if any(word in lower for word in _SENSITIVE_ANYWHERE):
        return True
    return any(part.lower() in _SENSITIVE_WORDS for part in _WORD_PARTS.findall(name))


@lru_cache(maxsize=4096)
def _key_is_name(key: str) -> bool:
    """Keys that read like field names are kept; keys that look like data (ids, emails) are not."""
    return bool(_KEY.match(key)) and string_class(key) == "string" and not key[:1].isdigit()


def _value_token(value: Any, t: str) -> str | None:
    if t == "string":
        return "s:" + value if _WORD.match(value) else None
    if t == "integer" and -1000 < value < 1000:
        return f"i:{int(value)}"
    if t == "boolean":
        return "b:" + ("true" if value else "false")
    return None


class Node:
    __slots__ = ("count", "extra", "formats", "items", "keysets", "props", "types", "values")

    def __init__(self) -> None:
        self.count = 0
        self.types: dict[str, int] = {}
        self.formats: dict[str, int] = {}
        # Small enum of tokens ("s:active", "i:3", "b:true") -> count; None once withheld/overflowed.
        self.values: dict[str, int] | None = {}
        self.props: dict[str, Node] = {}
        self.extra: Node | None = None  # values under keys that look like data (map entries)
        self.items: Node | None = None
        # Sorted key tuples of objects seen here -> count; None once more than MAX_KEYSETS.
        self.keysets: dict[tuple[str, ...], int] | None = {}

    # -- building ---------------------------------------------------------------------------

    def add(self, value: Any, name: str = "", depth: int = 0) -> None:
        """Record one value seen at this node (name = the property it sits under)."""
        self.count += 1
        t = json_type(value)
        self.types[t] = self.types.get(t, 0) + 1
        if t == "string":
            cls = string_class(value)
            self.formats[cls] = self.formats.get(cls, 0) + 1
            if cls != "string":
                self.values = None
        if self.values is not None:
            self._add_value(value, t, name)
        if depth >= MAX_DEPTH:
            return
        if t == "object":
            self._add_object(value, depth)
        elif t == "array":
            items = self.items
            if items is None:
                items = self.items = Node()
            for item in value:
                items.add(item, name, depth + 1)

    def _add_value(self, value: Any, t: str, name: str) -> None:
        values = self.values
        assert values is not None
        token = _value_token(value, t) if not is_sensitive_name(name) else None
        if token is None:
            if t in ("string", "integer"):
                self.values = None
            return
        values[token] = values.get(token, 0) + 1
        if len(values) > MAX_VALUES:
            self.values = None

    def _add_object(self, value: dict[str, Any], depth: int) -> None:
        keys: list[str] = []
        for key, child_value in value.items():
            if _key_is_name(key) and (key in self.props or len(self.props) < MAX_KEYS):
                child = self.props.get(key)
                if child is None:
                    child = self.props[key] = Node()
                keys.append(key)
            else:
                child = self.extra
                if child is None:
                    child = self.extra = Node()
                keys.append(WILDCARD)
            child.add(child_value, key, depth + 1)
        if self.keysets is not None:
            keyset = tuple(sorted(set(keys)))
            self.keysets[keyset] = self.keysets.get(keyset, 0) + 1
            if len(self.keysets) > MAX_KEYSETS:
                self.keysets = None

    # -- algebra ----------------------------------------------------------------------------

    def merge(self, other: Node) -> Node:
        """A new node equal to having seen both nodes' values (associative, commutative)."""
        out = Node()
        out.count = self.count + other.count
        out.types = _add(self.types, other.types)
        out.formats = _add(self.formats, other.formats)
        out.values = _bounded(self.values, other.values, MAX_VALUES)
        out.keysets = _bounded(self.keysets, other.keysets, MAX_KEYSETS)
        names = sorted(set(self.props) | set(other.props))
        keep, spill = names[:MAX_KEYS], names[MAX_KEYS:]
        out.props = {k: _merge_opt(self.props.get(k), other.props.get(k)) for k in keep}  # type: ignore[misc]
        out.extra = _merge_opt(self.extra, other.extra)
        for k in spill:
            spilled = _merge_opt(self.props.get(k), other.props.get(k))
            out.extra = spilled if out.extra is None else out.extra.merge(spilled)  # type: ignore[arg-type]
        out.items = _merge_opt(self.items, other.items)
        return out

    def present(self, key: str) -> int:
        child = self.props.get(key)
        return child.count if child is not None else 0

    @property
    def objects(self) -> int:
        return self.types.get("object", 0)

    # -- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n": self.count, "t": dict(sorted(self.types.items()))}
        if self.formats:
            out["f"] = dict(sorted(self.formats.items()))
        if self.values is None:
            out["v"] = None
        elif self.values:
            out["v"] = dict(sorted(self.values.items()))
        if self.keysets is None:
            out["k"] = None
        elif self.keysets:
            out["k"] = [[list(k), c] for k, c in sorted(self.keysets.items())]
        if self.props:
            out["p"] = {k: v.to_dict() for k, v in sorted(self.props.items())}
        if self.extra is not None:
            out["x"] = self.extra.to_dict()
        if self.items is not None:
            out["i"] = self.items.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Node:
        node = cls()
        node.count = int(data["n"])
        node.types = {str(k): int(v) for k, v in data.get("t", {}).items()}
        node.formats = {str(k): int(v) for k, v in data.get("f", {}).items()}
        raw_values = data.get("v", {})
        node.values = (
            None if raw_values is None else {str(k): int(v) for k, v in raw_values.items()}
        )
        raw_keysets = data.get("k", [])
        node.keysets = None if raw_keysets is None else {tuple(k): int(c) for k, c in raw_keysets}
        node.props = {str(k): cls.from_dict(v) for k, v in data.get("p", {}).items()}
        node.extra = cls.from_dict(data["x"]) if "x" in data else None
        node.items = cls.from_dict(data["i"]) if "i" in data else None
        return node

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Node({self.to_dict()!r})"


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _bounded(
    a: dict[Any, int] | None, b: dict[Any, int] | None, limit: int
) -> dict[Any, int] | None:
    if a is None or b is None:
        return None
    out = _add(a, b)
    return out if len(out) <= limit else None


def _merge_opt(a: Node | None, b: Node | None) -> Node | None:
    if a is None:
        return b.merge(Node()) if b is not None else None
    return a.merge(b) if b is not None else a.merge(Node())
