"""Path templates of the inferred document: tidy inferred templates, path parameters, ids.

Inferred templates (`/orders/{id}`) come from `templating.py`; a literal segment that still
needs percent-encoding (fuzzed or odd ids such as `%C3%A4x`) cannot be a path key routing
matches again, so it becomes a parameter too. Templates that differ only in parameter names
(`/a/{id}` and `/a/{param}`) are one path in OpenAPI, so they are folded into one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from drift.core.routing import split_path

__all__ = ["PathPlan", "operation_id", "path_parameters", "plan_paths"]

_PARAM = re.compile(r"\{([^{}/]*)\}")
_SAFE_LITERAL = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]*")
_WORDS = re.compile(r"[A-Za-z0-9]+")
_TRAILING_DIGITS = re.compile(r"\d+$")
# Parameter names `templating.classify_segment` gives, and what their values are.
_VALUE_SCHEMAS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer"},
    "uuid": {"type": "string", "format": "uuid"},
    "date": {"type": "string", "format": "date"},
    "email": {"type": "string", "format": "email"},
}
_STRING: dict[str, Any] = {"type": "string"}


def _shape(template: str) -> str:
    return _PARAM.sub("{}", template)


def _tidy(template: str) -> str:
    """An inferred template with unsafe literal segments as parameters, names renumbered."""
    parts: list[str] = []
    counts: dict[str, int] = {}
    for segment in split_path(template):
        whole = _PARAM.fullmatch(segment)
        if whole is None and _SAFE_LITERAL.fullmatch(segment):
            parts.append(segment)
            continue
        base = _TRAILING_DIGITS.sub("", whole.group(1)) if whole else "param"
        base = base or "param"
        counts[base] = counts.get(base, 0) + 1
        parts.append("{" + base + ("" if counts[base] == 1 else str(counts[base])) + "}")
    return "/" + "/".join(parts)


class PathPlan:
    """Which document path each observed template goes to, and its parameters' schemas."""

    def __init__(self) -> None:
        self.path_of: dict[str, str] = {}  # observed template -> document path
        self.schemas: dict[str, dict[str, dict[str, Any]]] = {}  # document path -> name -> schema

    def parameters(self, path: str) -> list[dict[str, Any]]:
        return path_parameters(path, self.schemas.get(path, {}))


def plan_paths(templates: Iterable[str], declared: Iterable[str] = ()) -> PathPlan:
    """Group observed templates into document paths; `declared` templates are kept as they are."""
    keep = set(declared)
    groups: dict[str, list[tuple[str, str]]] = {}  # shape -> [(observed, tidied)]
    for template in sorted(set(templates)):
        tidied = template if template in keep else _tidy(template)
        groups.setdefault(_shape(tidied), []).append((template, tidied))
    plan = PathPlan()
    for members in groups.values():
        candidates = sorted({t for _, t in members})
        kept = sorted({t for o, t in members if o in keep})
        path = (kept or candidates)[0]
        for observed, _ in members:
            plan.path_of[observed] = path
        names = [_PARAM.findall(t) for t in candidates]
        schemas: dict[str, dict[str, Any]] = {}
        for position, name in enumerate(_PARAM.findall(path)):
            agreed = {n[position] for n in names}
            base = _TRAILING_DIGITS.sub("", name)
            same = len(agreed) == 1 and not kept
            schemas[name] = dict(_VALUE_SCHEMAS.get(base, _STRING)) if same else dict(_STRING)
        plan.schemas[path] = schemas
    return plan


def path_parameters(path: str, schemas: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": schemas.get(name, dict(_STRING))}
        for name in _PARAM.findall(path)
    ]


def operation_id(method: str, path: str, taken: set[str]) -> str:
    """`getOrdersByOrderIdInvoice` for GET /orders/{orderId}/invoice; unique within `taken`."""
    words: list[str] = []
    for segment in split_path(path):
        for i, piece in enumerate(_PARAM.split(segment)):  # literal, name, literal, …
            found = _WORDS.findall(piece)
            words.extend(["by", *found] if i % 2 and found else found)
    if not words:
        words = ["root"]
    base = method.lower() + "".join(w[:1].upper() + w[1:] for w in words)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate
