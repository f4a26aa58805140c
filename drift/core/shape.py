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

__all__ = [
    "MAX_DEPTH",
    "MAX_KEYS",
    "MAX_KEYSETS",
    "MAX_VALUES",
    "WILDCARD",
    "Node",
    "is_name_key",
    "is_sensitive_name",
]

MAX_VALUES = 24
MAX_KEYSETS = 32
MAX_KEYS = 256
MAX_DEPTH = 48
WILDCARD = "*"  # stands for "any key" in objects used as maps (and every item in arrays)

_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}$")
_KEY = re.compile(r"^[A-Za-z_$@][A-Za-z0-9_$@.\-]{0,63}$")
# Field names whose values are never kept, even as small enums. Long words match anywhere in
# the name (`userPassword`); short ones only as a whole word part (`zip`, not `zipped`… `platform`).
_SENSITIVE_ANYWHERE = tuple(
    """password passwd passphrase passcode passport secret token credential apikey authoriz
    signature session cookie email phone mobile address postal postcode birth iban latitude
    longitude firstname lastname surname fullname username securitycode nationalid license""".split()
)
_SENSITIVE_WORDS = frozenset(
    """pass pw pwd pin otp totp mfa auth key name card cvv cvc pan ssn tax zip lat lon lng geo
    ip dob tel mail street city account""".split()
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_WORD_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@lru_cache(maxsize=4096)
def is_sensitive_name(name: str) -> bool:
    """Whether a field name suggests personal or secret data (its values are not kept)."""
    compact = _NOT_ALNUM.sub("", name.lower())
    if any(word in compact for word in _SENSITIVE_ANYWHERE):
        return True
    return any(part.lower() in _SENSITIVE_WORDS for part in _WORD_PARTS.findall(name))


@lru_cache(maxsize=4096)
def is_name_key(key: str) -> bool:
    """Keys that read like field names are kept; keys that look like data (ids, emails) are not."""
    return bool(_KEY.fullmatch(key)) and string_class(key) == "string" and not key[:1].isdigit()


def _enum_like(text: str) -> bool:
    """Word-like and short: `on_hold`, `EUR`, `v2`, `application.json`; not `sk1aB3xQ9z` (digits
    inside a longer string read as ids, codes or secrets, and are never kept)."""
    if not _WORD.fullmatch(text):
        return False
    return len(text) <= 8 or not any(c.isdigit() for c in text)


def _value_token(value: Any, t: str) -> str | None:
    if t == "string":
        return "s:" + value if _enum_like(value) else None
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

    def add(self, value: Any, name: str = "", depth: int = 0) -> bool:
        """Record one value seen at this node (name = the property it sits under).

        Returns True when the value went deeper than MAX_DEPTH (the part below was not walked).
        """
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
        if t == "object":
            return depth >= MAX_DEPTH or self._add_object(value, name, depth)
        if t == "array":
            if depth >= MAX_DEPTH:
                return True
            items = self.items
            if items is None:
                items = self.items = Node()
            truncated = False
            for item in value:
                truncated |= items.add(item, name, depth + 1)
            return truncated
        return False

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

    def _child(self, key: str) -> tuple[str, Node]:
        """The node for property `key`: its own while among the MAX_KEYS alphabetically first
        names (the same rule `merge` applies), else the shared `extra` node under `*`."""
        child = self.props.get(key)
        if child is not None:
            return key, child
        if is_name_key(key):
            if len(self.props) < MAX_KEYS:
                child = self.props[key] = Node()
                return key, child
            largest = max(self.props)
            if key < largest:
                self._spill(largest)
                child = self.props[key] = Node()
                return key, child
        if self.extra is None:
            self.extra = Node()
        return WILDCARD, self.extra

    def _spill(self, key: str) -> None:
        spilled = self.props.pop(key)
        self.extra = spilled if self.extra is None else self.extra.merge(spilled)
        if self.keysets is not None:
            self.keysets = _relabel(self.keysets, {key})

    def _add_object(self, value: dict[str, Any], name: str, depth: int) -> bool:
        keys: set[str] = set()
        truncated = False
        inherited = name if is_sensitive_name(name) else ""  # members of secrets stay secret
        for key, child_value in value.items():
            label, child = self._child(key)
            keys.add(label)
            truncated |= child.add(child_value, inherited or key, depth + 1)
        if self.keysets is not None:
            # a name spilled while walking this very object is `*` too
            keyset = tuple(sorted({k if k in self.props else WILDCARD for k in keys}))
            self.keysets[keyset] = self.keysets.get(keyset, 0) + 1
            if len(self.keysets) > MAX_KEYSETS:
                self.keysets = None
        return truncated

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
        if spill and out.keysets is not None:
            out.keysets = _relabel(out.keysets, set(spill))
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


def _relabel(
    keysets: dict[tuple[str, ...], int], spilled: set[str]
) -> dict[tuple[str, ...], int] | None:
    """Key sets with spilled names shown as `*` (as if they had been spilled all along)."""
    out: dict[tuple[str, ...], int] = {}
    for keys, count in keysets.items():
        label = tuple(sorted({WILDCARD if k in spilled else k for k in keys}))
        out[label] = out.get(label, 0) + count
    return out if len(out) <= MAX_KEYSETS else None


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
