"""Value classes: what kind of value a JSON scalar is, without keeping the value.

Strings get one class each (uuid, date-time, date, time, email, ipv4, ipv6, uri, or plain
`string`); the classes do not overlap, so counts per class add up to the string count.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

__all__ = ["FORMAT_CLASSES", "accepts_format", "json_type", "string_class"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
_SECONDS = r":(?:[0-5]\d|60)(?:[.,]\d+)?"
_OFFSET = r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):?[0-5]\d)"
_DAY = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_DATE_TIME = re.compile(rf"^{_DAY}[Tt ]{_CLOCK}(?:{_SECONDS})?{_OFFSET}?$")
_DATE = re.compile(rf"^{_DAY}$")
_TIME = re.compile(rf"^{_CLOCK}{_SECONDS}{_OFFSET}?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:.")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")

# Declared formats drift checks, and the observed classes each accepts.
FORMAT_CLASSES: dict[str, frozenset[str]] = {
    "uuid": frozenset({"uuid"}),
    "date-time": frozenset({"date-time"}),
    "date": frozenset({"date"}),
    "time": frozenset({"time"}),
    "email": frozenset({"email"}),
    "ipv4": frozenset({"ipv4"}),
    "ipv6": frozenset({"ipv6"}),
    "uri": frozenset({"uri"}),
}


def json_type(value: Any) -> str:
    """JSON Schema type name; integral floats count as integers (as JSON Schema says)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def string_class(text: str) -> str:
    """The one format class of a string (cheap checks first)."""
    n = len(text)
    if n == 0 or n > 2048:
        return "string"
    first = text[0]
    if first.isdigit():
        if n == 36 and _UUID.fullmatch(text):
            return "uuid"
        if n == 10 and _DATE.fullmatch(text):
            return "date"
        if n >= 16 and _DATE_TIME.fullmatch(text):
            return "date-time"
        if 8 <= n <= 20 and ":" in text and _TIME.fullmatch(text):
            return "time"
        if n <= 15 and _IPV4.match(text) and all(int(p) < 256 for p in text.split(".")):
            return "ipv4"
    elif n == 36 and _UUID.fullmatch(text):
        return "uuid"
    if "@" in text and " " not in text and _EMAIL.fullmatch(text) and ":" not in text:
        return "email"
    if ":" in text:
        if n <= 45 and set(text) <= _IPV6_CHARS and _is_ipv6(text):
            return "ipv6"
        if _URI.fullmatch(text):
            return "uri"
    return "string"


def accepts_format(declared: str, observed_class: str) -> bool:
    accepted = FORMAT_CLASSES.get(declared)
    return accepted is None or observed_class in accepted
