"""Plant drift of one kind into a conforming HAR entry, and say what drift must report.

Targets are found by walking a real response body along the declared schema, so the same code
works on every corpus contract without knowing its fields.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from drift.core.compare.media import match_media
from drift.core.contract.model import Contract, Operation, SchemaRef
from drift.core.contract.schema import SchemaIndex
from drift.core.pointer import join
from drift.core.routing import Router
from drift.core.valueclass import FORMAT_CLASSES, json_type

INJECTED_FIELD = "driftInjectedField"
INJECTED_PARAM = "driftInjectedParam"


@dataclass(frozen=True)
class Expected:
    kind: str
    method: str
    path: str
    status: str | None
    pointer: str


@dataclass
class Target:
    index: int  # entry index in the HAR
    op: Operation
    status: int
    body: Any
    schema: SchemaRef


def response_json(entry: dict[str, Any]) -> Any:
    content = entry["response"].get("content", {})
    text = content.get("text")
    if not text or content.get("encoding") == "base64":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def set_response_json(entry: dict[str, Any], value: Any) -> None:
    entry["response"]["content"]["text"] = json.dumps(value)
    entry["response"]["content"]["size"] = len(entry["response"]["content"]["text"])


def targets(contract: Contract, entries: list[dict[str, Any]]) -> Iterator[Target]:
    router = Router(((op.method, op.path, op) for op in contract.operations), contract.base_paths)
    from urllib.parse import urlsplit

    for i, entry in enumerate(entries):
        route = router.match(entry["request"]["method"], urlsplit(entry["request"]["url"]).path)
        if route is None or route.target is None:
            continue
        status = entry["response"]["status"]
        response = route.target.response_for(status)
        body = response_json(entry)
        mime = (
            (entry["response"].get("content", {}).get("mimeType") or "")
            .split(";")[0]
            .strip()
            .lower()
        )
        if response is None or body is None or not mime:
            continue
        content = match_media(mime, response.content)
        if content is None or content.schema is None:
            continue
        yield Target(i, route.target, status, body, content.schema)


def walk(
    index: SchemaIndex, refs: list[SchemaRef], value: Any, pointer: str, path: list[Any]
) -> Iterator[tuple[str, list[Any], Any, list[Any]]]:
    """(pointer with '*', concrete path, value, alternatives) for every value the schema reaches."""
    alts = index.alternatives_of(refs)
    yield pointer, path, value, alts
    if len(alts) != 1 or alts[0].unresolved:
        return  # keep to unambiguous schemas: the injected drift must be unambiguous too
    alt = alts[0]
    if isinstance(value, dict):
        for key, child in value.items():
            schemas = alt.properties.get(key)
            if schemas:
                yield from walk(index, schemas, child, join(pointer, key), [*path, key])
    elif isinstance(value, list) and value and alt.items:
        yield from walk(index, alt.items, value[0], join(pointer, "*"), [*path, 0])


def _set(body: Any, path: list[Any], value: Any) -> Any:
    body = copy.deepcopy(body)
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return body


def _delete(body: Any, path: list[Any]) -> Any:
    body = copy.deepcopy(body)
    node = body
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return body


def body_mutations(
    contract: Contract, entries: list[dict[str, Any]]
) -> dict[str, tuple[int, Any, Expected]]:
    """kind -> (entry index, new response body, expected finding), first fit per kind."""
    index = SchemaIndex()
    found: dict[str, tuple[int, Any, Expected]] = {}
    for t in targets(contract, entries):

        def expect(kind: str, pointer: str, t: Target = t) -> Expected:
            return Expected(kind, t.op.method, t.op.path, str(t.status), pointer)

        for pointer, path, value, alts in walk(index, [t.schema], t.body, "", []):
            if len(alts) != 1 or alts[0].unresolved:
                continue
            alt = alts[0]
            kind_type = json_type(value)
            if (
                isinstance(value, dict)
                and alt.constrains_keys
                and not alt.additional_free
                and not alt.additional
                and not alt.pattern_properties
            ):
                found.setdefault(
                    "response.body.undocumented-field",
                    (
                        t.index,
                        _set(t.body, [*path, INJECTED_FIELD], 1),
                        expect("response.body.undocumented-field", join(pointer, INJECTED_FIELD)),
                    ),
                )
                for key in sorted(alt.required - alt.write_only):
                    if key in value:
                        found.setdefault(
                            "response.body.missing-required",
                            (
                                t.index,
                                _delete(t.body, [*path, key]),
                                expect("response.body.missing-required", join(pointer, key)),
                            ),
                        )
                        break
            if not path:
                continue
            if alt.types is not None and "null" not in alt.types and alt.enum is None:
                found.setdefault(
                    "response.body.type-mismatch:null",
                    (
                        t.index,
                        _set(t.body, path, None),
                        expect("response.body.type-mismatch", pointer),
                    ),
                )
                for wrong in (True, 12345, "drift", [], {}):
                    if not alt.allows(json_type(wrong)) and kind_type in (
                        "string",
                        "integer",
                        "number",
                        "boolean",
                    ):
                        found.setdefault(
                            "response.body.type-mismatch",
                            (
                                t.index,
                                _set(t.body, path, wrong),
                                expect("response.body.type-mismatch", pointer),
                            ),
                        )
                        break
            if kind_type == "string" and alt.enum and all(isinstance(v, str) for v in alt.enum):
                found.setdefault(
                    "response.body.enum-violation",
                    (
                        t.index,
                        _set(t.body, path, "driftNotInEnum"),
                        expect("response.body.enum-violation", pointer),
                    ),
                )
            if kind_type == "string" and alt.formats & set(FORMAT_CLASSES):
                found.setdefault(
                    "response.body.format-mismatch",
                    (
                        t.index,
                        _set(t.body, path, "not a formatted value"),
                        expect("response.body.format-mismatch", pointer),
                    ),
                )
    return found


def with_status(contract: Contract, entries: list[dict[str, Any]]) -> tuple[int, Expected] | None:
    for t in targets(contract, entries):
        if t.op.response_for(418) is None:
            return t.index, Expected(
                "response.status.undocumented", t.op.method, t.op.path, "418", ""
            )
    return None


def with_query(contract: Contract, entries: list[dict[str, Any]]) -> tuple[int, Expected] | None:
    for t in targets(contract, entries):
        if not any(p.any_names for p in t.op.parameters):
            return t.index, Expected(
                "request.parameter.undocumented", t.op.method, t.op.path, None, "/" + INJECTED_PARAM
            )
    return None
