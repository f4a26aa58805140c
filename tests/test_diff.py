"""`drift diff`: every change class (positive and near-miss), impact, renderers, gate, end to end."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from drift.core.contract.model import Contract
from drift.core.contract.openapi import build_contract
from drift.core.diff import (
    CATEGORIES,
    CHANGE_KINDS,
    DIFF_FORMATS,
    Change,
    DiffReport,
    build_diff_report,
    diff_contracts,
    exit_code,
    impact,
    render_diff,
)
from drift.core.diff.paths import param_slots, template_shape
from drift.core.diff.schemas import MAX_DEPTH, MAX_SITES
from drift.core.observe import Observer
from drift.edges.contracts import load_contract
from drift.edges.diff import run_diff
from drift.edges.har import iter_har
from drift.edges.store import Batch, Store, bucket_start
from drift.errors import DriftError
from tests.conftest import CORPUS, ROOT, needs_corpus
from tests.contracts import exchange, observe

EXAMPLE = ROOT / "config" / "examples" / "orders"

# --- building contracts ----------------------------------------------------------------------

Paths = dict[str, Any]


def spec(
    paths: Paths, *, schemas: dict[str, Any] | None = None, version: str = "3.0.3"
) -> Contract:
    document = {
        "openapi": version,
        "info": {"title": "T", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }
    return build_contract({"mem:/a": document}, "mem:/a", source="a")


def y(text: str) -> Any:
    return yaml.safe_load(text)


OK = {"204": {"description": "ok"}}


def op(path: str = "/items", method: str = "get", **fields: Any) -> Paths:
    """One operation; `fields` are Operation Object keys (`x_sunset` → `x-sunset`)."""
    operation = {"responses": OK, **{k.replace("_", "-"): v for k, v in fields.items()}}
    return {path: {method: operation}}


def params(*parameters: str) -> Paths:
    """GET /items with these parameters (YAML flow mappings)."""
    return op(parameters=[y(p) for p in parameters])


def post(
    schema: str | None = "{type: object}",
    *,
    required: bool = True,
    media: tuple[str, ...] = ("application/json",),
) -> Paths:
    """POST /items with this request body schema."""
    content = {m: ({"schema": y(schema)} if schema is not None else {}) for m in media}
    return op(method="post", requestBody={"required": required, "content": content})


def reply(
    schema: str,
    *,
    statuses: tuple[str, ...] = ("200",),
    media: str | tuple[str, ...] = "application/json",
) -> Paths:
    """GET /items/{id} answering with this response schema (in every media type given)."""
    content = {m: {"schema": y(schema)} for m in ((media,) if isinstance(media, str) else media)}
    return op(
        "/items/{id}",
        parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        responses={s: {"description": "ok", "content": content} for s in statuses},
    )


def obj(properties: str, required: str = "[]", extra: str = "") -> str:
    """An object schema in YAML flow style."""
    more = f", {extra}" if extra else ""
    return f"{{type: object, required: {required}, properties: {properties}{more}}}"


Fact = tuple[str, str, str, str | None]  # kind, location, pointer, status


def facts(changes: list[Change]) -> list[Fact]:
    return [(c.kind, c.location, c.pointer, c.status) for c in changes]


def kinds(changes: list[Change]) -> set[str]:
    return {c.kind for c in changes}


@dataclass(frozen=True)
class Case:
    old: Paths
    new: Paths
    expected: list[Fact]
    old_version: str = "3.0.3"
    new_version: str = "3.0.3"
    schemas: dict[str, Any] = field(default_factory=dict)

    def run(self) -> list[Change]:
        old = spec(self.old, schemas=self.schemas, version=self.old_version)
        new = spec(self.new, schemas=self.schemas, version=self.new_version)
        return diff_contracts(old, new)


Q = "request.query"
B = "request.body"
R = "response.body"

# --- one positive case per change class: the exact changes it must produce -------------------

POSITIVE: dict[str, Case] = {
    "operation.removed": Case(
        op("/items") | op("/other"), op("/other"), [("operation.removed", "operation", "", None)]
    ),
    "operation.added": Case(
        op("/other"), op("/items") | op("/other"), [("operation.added", "operation", "", None)]
    ),
    "operation.deprecated": Case(
        op(), op(deprecated=True), [("operation.deprecated", "operation", "", None)]
    ),
    "operation.sunset-added": Case(
        op(deprecated=True),
        op(deprecated=True, x_sunset="2027-01-31"),
        [("operation.sunset-added", "operation", "", None)],
    ),
    "operation.sunset-changed": Case(
        op(x_sunset="2027-06-30"),
        op(x_sunset="2027-01-31"),
        [("operation.sunset-changed", "operation", "", None)],
    ),
    "request.parameter.required-added": Case(
        params(),
        params("{name: region, in: query, required: true}"),
        [("request.parameter.required-added", Q, "/region", None)],
    ),
    "request.parameter.optional-added": Case(
        params(),
        params("{name: region, in: query}"),
        [("request.parameter.optional-added", Q, "/region", None)],
    ),
    "request.parameter.removed": Case(
        params("{name: region, in: query}"),
        params(),
        [("request.parameter.removed", Q, "/region", None)],
    ),
    "request.parameter.became-required": Case(
        params("{name: limit, in: query}"),
        params("{name: limit, in: query, required: true}"),
        [("request.parameter.became-required", Q, "/limit", None)],
    ),
    "request.parameter.became-optional": Case(
        params("{name: limit, in: query, required: true}"),
        params("{name: limit, in: query}"),
        [("request.parameter.became-optional", Q, "/limit", None)],
    ),
    "request.parameter.deprecated": Case(
        params("{name: limit, in: query}"),
        params("{name: limit, in: query, deprecated: true}"),
        [("request.parameter.deprecated", Q, "/limit", None)],
    ),
    "request.body.became-required": Case(
        post(required=False),
        post(required=True),
        [("request.body.became-required", B, "", None)],
    ),
    "request.body.became-optional": Case(
        post(required=True),
        post(required=False),
        [("request.body.became-optional", B, "", None)],
    ),
    "request.media-type.removed": Case(
        post(media=("application/json", "application/xml")),
        post(media=("application/json",)),
        [("request.media-type.removed", B, "", None)],
    ),
    "request.media-type.added": Case(
        post(media=("application/json",)),
        post(media=("application/json", "application/xml")),
        [("request.media-type.added", B, "", None)],
    ),
    "request.property.required-added": Case(
        post(obj("{a: {type: string}}")),
        post(obj("{a: {type: string}, b: {type: string}}", "[b]")),
        [("request.property.required-added", B, "/b", None)],
    ),
    "request.property.optional-added": Case(
        post(obj("{a: {type: string}}")),
        post(obj("{a: {type: string}, b: {type: string}}")),
        [("request.property.optional-added", B, "/b", None)],
    ),
    "request.property.removed": Case(
        post(obj("{a: {type: string}, b: {type: string}}")),
        post(obj("{a: {type: string}}")),
        [("request.property.removed", B, "/b", None)],
    ),
    "request.property.rejected": Case(
        post(obj("{a: {type: string}, b: {type: string}}", extra="additionalProperties: false")),
        post(obj("{a: {type: string}}", extra="additionalProperties: false")),
        [("request.property.rejected", B, "/b", None)],
    ),
    "request.property.became-required": Case(
        post(obj("{a: {type: string}}")),
        post(obj("{a: {type: string}}", "[a]")),
        [("request.property.became-required", B, "/a", None)],
    ),
    "request.property.became-optional": Case(
        post(obj("{a: {type: string}}", "[a]")),
        post(obj("{a: {type: string}}")),
        [("request.property.became-optional", B, "/a", None)],
    ),
    "request.property.deprecated": Case(
        post(obj("{a: {type: string}}")),
        post(obj("{a: {type: string, deprecated: true}}")),
        [("request.property.deprecated", B, "/a", None)],
    ),
    "request.type.narrowed": Case(
        post(obj("{n: {type: number}}")),
        post(obj("{n: {type: integer}}")),
        [("request.type.narrowed", B, "/n", None)],
    ),
    "request.type.widened": Case(
        post(obj("{n: {type: integer}}")),
        post(obj("{n: {type: number}}")),
        [("request.type.widened", B, "/n", None)],
    ),
    "request.nullable.removed": Case(
        post(obj("{s: {type: string, nullable: true}}")),
        post(obj("{s: {type: string}}")),
        [("request.nullable.removed", B, "/s", None)],
    ),
    "request.nullable.added": Case(
        post(obj("{s: {type: string}}")),
        post(obj("{s: {type: string, nullable: true}}")),
        [("request.nullable.added", B, "/s", None)],
    ),
    "request.enum.value-removed": Case(
        params("{name: state, in: query, schema: {type: string, enum: [a, b, c]}}"),
        params("{name: state, in: query, schema: {type: string, enum: [a, b]}}"),
        [("request.enum.value-removed", Q, "/state", None)],
    ),
    "request.enum.value-added": Case(
        params("{name: state, in: query, schema: {type: string, enum: [a, b]}}"),
        params("{name: state, in: query, schema: {type: string, enum: [a, b, c]}}"),
        [("request.enum.value-added", Q, "/state", None)],
    ),
    "request.format.narrowed": Case(
        post(obj("{id: {type: string}}")),
        post(obj("{id: {type: string, format: uuid}}")),
        [("request.format.narrowed", B, "/id", None)],
    ),
    "request.format.widened": Case(
        post(obj("{id: {type: string, format: uuid}}")),
        post(obj("{id: {type: string}}")),
        [("request.format.widened", B, "/id", None)],
    ),
    "response.status.removed": Case(
        reply("{type: object}", statuses=("200", "404")),
        reply("{type: object}", statuses=("200",)),
        [("response.status.removed", "response.status", "", "404")],
    ),
    "response.status.added": Case(
        reply("{type: object}", statuses=("200",)),
        reply("{type: object}", statuses=("200", "404")),
        [("response.status.added", "response.status", "", "404")],
    ),
    "response.media-type.removed": Case(
        reply("{type: object}", media="application/json"),
        reply("{type: object}", media="text/csv"),
        [
            ("response.media-type.removed", R, "", "200"),
            ("response.media-type.added", R, "", "200"),
        ],
    ),
    "response.media-type.added": Case(
        reply("{type: object}", media="application/json"),
        reply("{type: object}", media=("application/json", "text/csv")),
        [("response.media-type.added", R, "", "200")],
    ),
    "response.property.removed": Case(
        reply(obj("{a: {type: string}, b: {type: string}}")),
        reply(obj("{a: {type: string}}")),
        [("response.property.removed", R, "/b", "200")],
    ),
    "response.property.added": Case(
        reply(obj("{a: {type: string}}")),
        reply(obj("{a: {type: string}, b: {type: string}}")),
        [("response.property.added", R, "/b", "200")],
    ),
    "response.property.became-optional": Case(
        reply(obj("{a: {type: string}}", "[a]")),
        reply(obj("{a: {type: string}}")),
        [("response.property.became-optional", R, "/a", "200")],
    ),
    "response.property.became-required": Case(
        reply(obj("{a: {type: string}}")),
        reply(obj("{a: {type: string}}", "[a]")),
        [("response.property.became-required", R, "/a", "200")],
    ),
    "response.property.deprecated": Case(
        reply(obj("{a: {type: string}}")),
        reply(obj("{a: {type: string, deprecated: true}}")),
        [("response.property.deprecated", R, "/a", "200")],
    ),
    "response.type.widened": Case(
        reply(obj("{n: {type: string}}")),
        reply(obj("{n: {type: integer}}")),
        [("response.type.widened", R, "/n", "200")],
    ),
    "response.type.narrowed": Case(
        reply(obj("{n: {type: number}}")),
        reply(obj("{n: {type: integer}}")),
        [("response.type.narrowed", R, "/n", "200")],
    ),
    "response.nullable.added": Case(
        reply(obj("{s: {type: string}}")),
        reply(obj("{s: {type: string, nullable: true}}")),
        [("response.nullable.added", R, "/s", "200")],
    ),
    "response.nullable.removed": Case(
        reply(obj("{s: {type: string, nullable: true}}")),
        reply(obj("{s: {type: string}}")),
        [("response.nullable.removed", R, "/s", "200")],
    ),
    "response.enum.value-added": Case(
        reply(obj("{state: {type: string, enum: [a, b]}}")),
        reply(obj("{state: {type: string, enum: [a, b, c]}}")),
        [("response.enum.value-added", R, "/state", "200")],
    ),
    "response.enum.value-removed": Case(
        reply(obj("{state: {type: string, enum: [a, b, c]}}")),
        reply(obj("{state: {type: string, enum: [a, b]}}")),
        [("response.enum.value-removed", R, "/state", "200")],
    ),
    "response.format.widened": Case(
        reply(obj("{at: {type: string, format: date-time}}")),
        reply(obj("{at: {type: string, format: date}}")),
        [("response.format.widened", R, "/at", "200")],
    ),
    "response.format.narrowed": Case(
        reply(obj("{at: {type: string}}")),
        reply(obj("{at: {type: string, format: date-time}}")),
        [("response.format.narrowed", R, "/at", "200")],
    ),
}

# --- one near miss per change class: a similar edit that must NOT produce that kind ---------

NEGATIVE: dict[str, Case] = {
    # a renamed path variable is the same operation
    "operation.removed": Case(op("/items/{id}"), op("/items/{itemId}"), []),
    "operation.added": Case(op("/items/{id}/x"), op("/items/{key}/x"), []),
    "operation.deprecated": Case(op(deprecated=True), op(deprecated=True), []),
    "operation.sunset-added": Case(op(x_sunset="2027-01-31"), op(x_sunset="2027-01-31"), []),
    "operation.sunset-changed": Case(
        op(), op(x_sunset="2027-01-31"), [("operation.sunset-added", "operation", "", None)]
    ),
    "request.parameter.required-added": Case(
        params(),
        params("{name: region, in: query}"),
        [("request.parameter.optional-added", Q, "/region", None)],
    ),
    "request.parameter.optional-added": Case(
        params(),
        params("{name: region, in: query, required: true}"),
        [("request.parameter.required-added", Q, "/region", None)],
    ),
    # header names are case-insensitive
    "request.parameter.removed": Case(
        params("{name: X-Trace, in: header}"), params("{name: x-trace, in: header}"), []
    ),
    # path variables are always required; renaming one changes nothing
    "request.parameter.became-required": Case(
        op("/items/{id}", parameters=[y("{name: id, in: path, required: true}")]),
        op("/items/{key}", parameters=[y("{name: key, in: path, required: true}")]),
        [],
    ),
    "request.parameter.became-optional": Case(
        params("{name: limit, in: query, required: true}"),
        params("{name: limit, in: query, required: true}"),
        [],
    ),
    "request.parameter.deprecated": Case(
        params("{name: limit, in: query, deprecated: true}"),
        params("{name: limit, in: query, deprecated: true}"),
        [],
    ),
    "request.body.became-required": Case(post(required=True), post(required=True), []),
    # the body is gone altogether: its media type is removed, it did not "become optional"
    "request.body.became-optional": Case(
        post(required=True), op(method="post"), [("request.media-type.removed", B, "", None)]
    ),
    # still accepted through a wildcard
    "request.media-type.removed": Case(
        post(media=("application/json",)),
        post(media=("application/*",)),
        [("request.media-type.added", B, "", None)],
    ),
    "request.media-type.added": Case(
        post(media=("application/json", "text/csv")),
        post(media=("text/csv", "application/json")),
        [],
    ),
    # readOnly properties are not part of requests
    "request.property.required-added": Case(
        post(obj("{a: {type: string}}")),
        post(obj("{a: {type: string}, id: {type: string, readOnly: true}}", "[id]")),
        [],
    ),
    "request.property.optional-added": Case(
        post(obj("{a: {type: string}}")),
        post(obj("{a: {type: string}, id: {type: string, readOnly: true}}")),
        [],
    ),
    "request.property.removed": Case(
        post(obj("{a: {type: string}, b: {type: string}}", extra="additionalProperties: false")),
        post(obj("{a: {type: string}}", extra="additionalProperties: false")),
        [("request.property.rejected", B, "/b", None)],
    ),
    "request.property.rejected": Case(
        post(obj("{a: {type: string}, b: {type: string}}")),
        post(obj("{a: {type: string}}")),
        [("request.property.removed", B, "/b", None)],
    ),
    "request.property.became-required": Case(
        post(obj("{id: {type: string, readOnly: true}}")),
        post(obj("{id: {type: string, readOnly: true}}", "[id]")),
        [],
    ),
    "request.property.became-optional": Case(
        post(obj("{a: {type: string}}", "[a]")),
        post("{allOf: [" + obj("{a: {type: string}}", "[a]") + ", {type: object}]}"),
        [],
    ),
    "request.property.deprecated": Case(
        post(obj("{a: {type: string, deprecated: true}}")),
        post(obj("{a: {type: string, deprecated: true}}")),
        [],
    ),
    "request.type.narrowed": Case(
        post(obj("{n: {type: integer}}")),
        post(obj("{n: {type: number}}")),
        [("request.type.widened", B, "/n", None)],
    ),
    "request.type.widened": Case(
        post(obj("{n: {type: number}}")),
        post(obj("{n: {type: integer}}")),
        [("request.type.narrowed", B, "/n", None)],
    ),
    # 3.0 `nullable: true` and 3.1 `type: [string, "null"]` say the same thing
    "request.nullable.removed": Case(
        post(obj("{s: {type: string, nullable: true}}")),
        post(obj("{s: {type: [string, 'null']}}")),
        [],
        new_version="3.1.0",
    ),
    "request.nullable.added": Case(
        post(obj("{s: {type: [string, 'null']}}")),
        post(obj("{s: {type: string, nullable: true}}")),
        [],
        old_version="3.1.0",
    ),
    # enum order does not matter
    "request.enum.value-removed": Case(
        params("{name: state, in: query, schema: {type: string, enum: [a, b, c]}}"),
        params("{name: state, in: query, schema: {type: string, enum: [c, b, a]}}"),
        [],
    ),
    "request.enum.value-added": Case(
        params("{name: state, in: query, schema: {enum: [1, 2]}}"),
        params("{name: state, in: query, schema: {enum: [2, 1]}}"),
        [],
    ),
    "request.format.narrowed": Case(
        post(obj("{id: {type: string, format: uuid}}")),
        post(obj("{id: {type: string}}")),
        [("request.format.widened", B, "/id", None)],
    ),
    "request.format.widened": Case(
        post(obj("{id: {type: string}}")),
        post(obj("{id: {type: string, format: uuid}}")),
        [("request.format.narrowed", B, "/id", None)],
    ),
    # `200` is still covered by the new `2XX`
    "response.status.removed": Case(
        reply("{type: object}", statuses=("200",)),
        reply("{type: object}", statuses=("2XX",)),
        [("response.status.added", "response.status", "", "2XX")],
    ),
    "response.status.added": Case(
        reply("{type: object}", statuses=("200", "404")),
        reply("{type: object}", statuses=("404", "200")),
        [],
    ),
    "response.media-type.removed": Case(
        reply("{type: object}", media="application/json"),
        reply("{type: object}", media="application/*"),
        [("response.media-type.added", R, "", "200")],
    ),
    "response.media-type.added": Case(
        reply("{type: object}", media="application/json"),
        reply("{type: object}", media="application/json; charset=utf-8"),
        [],
    ),
    # the same object, written as allOf members
    "response.property.removed": Case(
        reply(obj("{a: {type: string}, b: {type: string}}", "[a]")),
        reply(
            "{allOf: ["
            + obj("{a: {type: string}}", "[a]")
            + ", "
            + obj("{b: {type: string}}")
            + "]}"
        ),
        [],
    ),
    # writeOnly properties are not part of responses
    "response.property.added": Case(
        reply(obj("{a: {type: string}}")),
        reply(obj("{a: {type: string}, secret: {type: string, writeOnly: true}}")),
        [],
    ),
    "response.property.became-optional": Case(
        reply(obj("{a: {type: string}}")),
        reply(obj("{a: {type: string}}", "[a]")),
        [("response.property.became-required", R, "/a", "200")],
    ),
    "response.property.became-required": Case(
        reply(obj("{a: {type: string}}", "[a]")),
        reply(obj("{a: {type: string}}")),
        [("response.property.became-optional", R, "/a", "200")],
    ),
    "response.property.deprecated": Case(
        reply(obj("{a: {type: string, deprecated: true}}")),
        reply(obj("{a: {type: string}}")),
        [],
    ),
    "response.type.widened": Case(
        reply(obj("{n: {type: number}}")),
        reply(obj("{n: {type: integer}}")),
        [("response.type.narrowed", R, "/n", "200")],
    ),
    "response.type.narrowed": Case(
        reply(obj("{n: {type: integer}}")),
        reply(obj("{n: {type: number}}")),
        [("response.type.widened", R, "/n", "200")],
    ),
    # `nullable` beside a `$ref` (3.0 leniency) vs the allOf wrapper idiom: both nullable
    "response.nullable.added": Case(
        reply(obj("{s: {nullable: true, allOf: [{$ref: '#/components/schemas/S'}]}}")),
        reply(obj("{s: {$ref: '#/components/schemas/S', nullable: true}}")),
        [],
        schemas={"S": {"type": "string"}},
    ),
    "response.nullable.removed": Case(
        reply(obj("{s: {type: string, nullable: true}}")),
        reply(obj("{s: {type: string, nullable: true}}")),
        [],
    ),
    "response.enum.value-added": Case(
        reply(obj("{state: {type: string, enum: [a, b]}}")),
        reply(obj("{state: {type: string, enum: [b, a]}}")),
        [],
    ),
    "response.enum.value-removed": Case(
        reply(obj("{state: {type: string, enum: [a, b]}}")),
        reply(obj("{state: {type: string, enum: [a, b, c]}}")),
        [("response.enum.value-added", R, "/state", "200")],
    ),
    "response.format.widened": Case(
        reply(obj("{at: {type: string}}")),
        reply(obj("{at: {type: string, format: date-time}}")),
        [("response.format.narrowed", R, "/at", "200")],
    ),
    "response.format.narrowed": Case(
        reply(obj("{at: {type: string, format: date-time}}")),
        reply(obj("{at: {type: string}}")),
        [("response.format.widened", R, "/at", "200")],
    ),
}


def test_every_change_class_has_a_positive_and_a_negative_case() -> None:
    assert sorted(CHANGE_KINDS) == sorted(POSITIVE)
    assert sorted(CHANGE_KINDS) == sorted(NEGATIVE)


@pytest.mark.parametrize("kind", sorted(POSITIVE))
def test_change_class_is_reported(kind: str) -> None:
    case = POSITIVE[kind]
    changes = case.run()
    assert case.expected == facts(changes)
    assert kind in kinds(changes)
    assert {CHANGE_KINDS[c.kind].category for c in changes} <= set(CATEGORIES)
    assert all(c.category == CHANGE_KINDS[c.kind].category for c in changes)


@pytest.mark.parametrize("kind", sorted(NEGATIVE))
def test_change_class_is_not_reported_for_a_near_miss(kind: str) -> None:
    case = NEGATIVE[kind]
    changes = case.run()
    assert case.expected == facts(changes)
    assert kind not in kinds(changes)


# --- classification details ------------------------------------------------------------------


def test_categories_follow_the_documented_choices() -> None:
    category = {name: k.category for name, k in CHANGE_KINDS.items()}
    assert "breaking" == category["response.enum.value-added"]  # Optic's choice
    assert "non-breaking" == category["request.parameter.removed"]
    assert "non-breaking" == category["request.property.removed"]
    assert "breaking" == category["request.property.rejected"]
    assert "breaking" == category["response.nullable.added"]
    assert "non-breaking" == category["response.nullable.removed"]
    assert "deprecation" == category["operation.sunset-added"]


def test_change_carries_old_new_and_a_message() -> None:
    change = POSITIVE["request.enum.value-removed"].run()[0]
    assert ("breaking", "request", "GET", "/items") == (
        change.category,
        change.direction,
        change.method,
        change.path,
    )
    assert (["a", "b", "c"], ["a", "b"]) == (change.old, change.new)
    assert 'query parameter `state`: enum value "c" removed' == change.message


def test_a_changed_type_is_breaking_in_both_directions() -> None:
    old = post(obj("{v: {type: string}}")) | reply(obj("{v: {type: string}}"))
    new = post(obj("{v: {type: integer}}")) | reply(obj("{v: {type: integer}}"))
    changes = diff_contracts(spec(old), spec(new))
    assert [
        ("request.type.narrowed", B, "/v", None),
        ("response.type.widened", R, "/v", "200"),
    ] == sorted(facts(changes), key=lambda f: f[0])
    assert {"breaking"} == {c.category for c in changes}


def test_enum_introduced_or_dropped() -> None:
    free = reply(obj("{s: {type: string}}")) | params(
        "{name: s, in: query, schema: {type: string}}"
    )
    enum = reply(obj("{s: {type: string, enum: [a]}}")) | params(
        "{name: s, in: query, schema: {type: string, enum: [a]}}"
    )
    assert [
        ("request.enum.value-removed", Q, "/s", None),
        ("response.enum.value-removed", R, "/s", "200"),
    ] == sorted(facts(diff_contracts(spec(free), spec(enum))))
    assert [
        ("response.enum.value-added", R, "/s", "200"),
        ("request.enum.value-added", Q, "/s", None),
    ] == facts(diff_contracts(spec(enum), spec(free)))


def test_a_removed_success_status_is_not_covered_by_default() -> None:
    old = reply("{type: object}", statuses=("201", "default"))
    new = reply("{type: object}", statuses=("200", "default"))
    assert [
        ("response.status.removed", "response.status", "", "201"),
        ("response.status.added", "response.status", "", "200"),
    ] == facts(diff_contracts(spec(old), spec(new)))


def test_a_removed_error_status_covered_by_default_is_compared_with_it() -> None:
    old = reply(obj("{code: {type: integer}}"), statuses=("404",))
    new = reply(obj("{code: {type: string}}"), statuses=("default",))
    assert [
        ("response.type.widened", R, "/code", "404"),
        ("response.status.added", "response.status", "", "default"),
    ] == facts(diff_contracts(spec(old), spec(new)))


def test_changes_inside_arrays_use_the_star_segment() -> None:
    old = reply("{type: array, items: " + obj("{a: {type: string}}", "[a]") + "}")
    new = reply("{type: array, items: " + obj("{b: {type: string}}") + "}")
    assert [
        ("response.property.removed", R, "/*/a", "200"),
        ("response.property.added", R, "/*/b", "200"),
    ] == facts(diff_contracts(spec(old), spec(new)))


def test_oneof_branches_are_compared_as_their_union() -> None:
    cat = obj("{kind: {type: string, enum: [cat]}, meow: {type: string}}", "[kind]")
    dog = obj("{kind: {type: string, enum: [dog]}, bark: {type: string}}", "[kind]")
    old = reply("{oneOf: [" + cat + ", " + dog + "]}")
    new = reply("{oneOf: [" + cat + "]}")
    assert [
        ("response.property.removed", R, "/bark", "200"),
        ("response.enum.value-removed", R, "/kind", "200"),
    ] == facts(diff_contracts(spec(old), spec(new)))


def test_refs_are_followed_and_shared_components_reported_per_operation() -> None:
    paths = reply("{$ref: '#/components/schemas/Item'}") | op(
        "/items",
        responses={
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
                    }
                },
            }
        },
    )
    old_item = y(obj("{a: {type: string}, b: {type: string}}"))
    new_item = y(obj("{a: {type: string}}"))
    old, new = spec(paths, schemas={"Item": old_item}), spec(paths, schemas={"Item": new_item})
    assert [
        ("response.property.removed", R, "/*/b", "200"),
        ("response.property.removed", R, "/b", "200"),
    ] == facts(diff_contracts(old, new))
    assert ["/items", "/items/{id}"] == [c.path for c in diff_contracts(old, new)]


def test_breaking_changes_come_first() -> None:
    old = op("/a") | reply(obj("{x: {type: string}}"))
    new = op("/b") | reply(obj("{x: {type: string}, y: {type: string}}"))
    categories = [c.category for c in diff_contracts(spec(old), spec(new))]
    assert ["breaking", "non-breaking", "non-breaking"] == categories


def test_identical_contracts_have_no_changes() -> None:
    paths = POSITIVE["request.property.rejected"].old | reply(obj("{a: {type: string}}", "[a]"))
    assert [] == diff_contracts(spec(paths), spec(paths))


def test_change_ids_are_stable_and_distinct() -> None:
    case = POSITIVE["response.media-type.removed"]
    first, second = case.run(), case.run()
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


# --- template shapes -------------------------------------------------------------------------


def test_template_shape_ignores_variable_names() -> None:
    assert template_shape("/users/{id}") == template_shape("/users/{userId}")
    assert template_shape("/users/{id}") != template_shape("/users/me")
    assert "/a/{}.{}" == template_shape("/a/{name}.{ext}")


def test_path_variables_are_matched_by_position() -> None:
    assert {"id": "#1.0", "name": "#2.0", "ext": "#2.1"} == param_slots("/u/{id}/{name}.{ext}")


def test_a_renamed_path_variable_with_a_new_type_is_one_parameter_change() -> None:
    old = op(
        "/items/{id}",
        parameters=[y("{name: id, in: path, required: true, schema: {type: string}}")],
    )
    new = op(
        "/items/{key}",
        parameters=[y("{name: key, in: path, required: true, schema: {type: integer}}")],
    )
    changes = diff_contracts(spec(old), spec(new))
    assert [("request.type.narrowed", "request.path", "/id", None)] == facts(changes)
    assert "/items/{id}" == changes[0].path


# --- recursion -------------------------------------------------------------------------------

TREE = {
    "Tree": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            "parent": {"$ref": "#/components/schemas/Tree"},
        },
    }
}


def test_recursive_schemas_terminate_and_report_once() -> None:
    paths = reply("{$ref: '#/components/schemas/Tree'}")
    changed = json.loads(json.dumps(TREE))
    changed["Tree"]["properties"]["name"] = {"type": "integer"}
    old, new = spec(paths, schemas=TREE), spec(paths, schemas=changed)
    assert [] == diff_contracts(old, spec(paths, schemas=json.loads(json.dumps(TREE))))
    assert [("response.type.widened", R, "/name", "200")] == facts(diff_contracts(old, new))


def test_mutually_recursive_schemas_terminate() -> None:
    schemas = {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
    }
    changed = json.loads(json.dumps(schemas))
    changed["B"]["properties"]["x"] = {"type": "string"}
    paths = reply("{$ref: '#/components/schemas/A'}")
    changes = diff_contracts(spec(paths, schemas=schemas), spec(paths, schemas=changed))
    assert [("response.property.added", R, "/b/x", "200")] == facts(changes)


def _leafy(names: str, leaf_type: str) -> dict[str, Any]:
    refs = {n: {"$ref": "#/components/schemas/Leaf"} for n in names}
    return {
        "Root": {"type": "object", "properties": refs},
        "Leaf": {"type": "object", "properties": {"x": {"type": leaf_type}}},
    }


def test_a_shared_component_is_reported_at_each_site_up_to_the_bound() -> None:
    paths = reply("{$ref: '#/components/schemas/Root'}")
    two = diff_contracts(
        spec(paths, schemas=_leafy("ab", "string")), spec(paths, schemas=_leafy("ab", "integer"))
    )
    assert ["/a/x", "/b/x"] == [c.pointer for c in two]
    many = diff_contracts(
        spec(paths, schemas=_leafy("abcdef", "string")),
        spec(paths, schemas=_leafy("abcdef", "integer")),
    )
    assert ["/a/x", "/b/x", "/c/x", "/d/x"] == [c.pointer for c in many][:MAX_SITES]
    assert MAX_SITES == len(many)


def test_exponentially_many_paths_are_not_walked_one_by_one() -> None:
    def chain(leaf_type: str) -> dict[str, Any]:
        schemas: dict[str, Any] = {
            "L30": {"type": "object", "properties": {"v": {"type": leaf_type}}}
        }
        for level in range(30):
            target = {"$ref": f"#/components/schemas/L{level + 1}"}
            schemas[f"L{level}"] = {"type": "object", "properties": {"l": target, "r": target}}
        return schemas

    paths = reply("{$ref: '#/components/schemas/L0'}")
    changes = diff_contracts(
        spec(paths, schemas=chain("string")), spec(paths, schemas=chain("integer"))
    )
    # 2**30 paths lead to `v`; it is reported at the MAX_SITES shortest (all 30 levels deep)
    assert MAX_SITES == len(changes)
    assert {"response.type.widened"} == kinds(changes)
    assert all(c.pointer.endswith("/v") and c.pointer.count("/") == 31 for c in changes)


def test_deep_non_recursive_nesting_is_bounded() -> None:
    def nested(depth: int, leaf: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": leaf}
        for _ in range(depth):
            schema = {"type": "object", "properties": {"n": schema}}
        return schema

    deep = MAX_DEPTH + 10
    old = op(
        "/x",
        responses={
            "200": {
                "description": "",
                "content": {"application/json": {"schema": nested(deep, "string")}},
            }
        },
    )
    new = op(
        "/x",
        responses={
            "200": {
                "description": "",
                "content": {"application/json": {"schema": nested(deep, "integer")}},
            }
        },
    )
    assert [] == diff_contracts(spec(old), spec(new))  # past the bound: not walked, no crash
    shallow_old = op(
        "/x",
        responses={
            "200": {
                "description": "",
                "content": {"application/json": {"schema": nested(3, "string")}},
            }
        },
    )
    shallow_new = op(
        "/x",
        responses={
            "200": {
                "description": "",
                "content": {"application/json": {"schema": nested(3, "integer")}},
            }
        },
    )
    assert [("response.type.widened", R, "/n/n/n", "200")] == facts(
        diff_contracts(spec(shallow_old), spec(shallow_new))
    )


# --- impact (pure) ---------------------------------------------------------------------------

T1 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 2, 8, 30, tzinfo=UTC)


def hits(report: DiffReport, kind: str) -> list[tuple[str, int, int]]:
    (change,) = [c for c in report.changes if c.kind == kind]
    found = report.impact_of(change)
    assert found is not None, f"no impact computed for {kind}"
    return [(h.consumer, h.calls, h.uses) for h in found.consumers]


def test_impact_of_a_removed_response_property_names_its_readers() -> None:
    old = spec(reply(obj("{a: {type: string}, b: {type: string}}")))
    new = spec(reply(obj("{a: {type: string}}")))
    traffic = [
        exchange("GET", "/items/1", response={"a": "x", "b": "y"}, consumer="web", when=T1),
        exchange("GET", "/items/2", response={"a": "x", "b": "y"}, consumer="web", when=T2),
        exchange("GET", "/items/3", response={"a": "x"}, consumer="billing"),
        exchange("GET", "/items/3", status=404, response={"b": "y"}, consumer="admin"),
        exchange("GET", "/items/4", response={"a": "x", "b": "z"}),
    ]
    report = build_diff_report(old, new, observations=observe(old, traffic))
    assert [("web", 2, 2), ("(unidentified)", 1, 1)] == hits(report, "response.property.removed")
    (change,) = report.changes
    found = report.impact_of(change)
    assert found is not None
    assert (T1, T2) == (found.consumers[0].first_seen, found.consumers[0].last_seen)
    assert "reads `/b`" == found.usage


def test_impact_of_a_new_required_parameter_names_who_does_not_send_it() -> None:
    old = spec(params("{name: region, in: query}", "{name: X-Team, in: header}"))
    new = spec(
        params(
            "{name: region, in: query, required: true}",
            "{name: X-Team, in: header, required: true}",
        )
    )
    traffic = [
        exchange("GET", "/items", query=["region"], headers=["x-team"], consumer="web"),
        exchange("GET", "/items", consumer="web"),
        exchange("GET", "/items", query=["region"], consumer="billing"),
    ]
    report = build_diff_report(old, new, observations=observe(old, traffic))
    changes = {c.pointer: c for c in report.changes}
    region, team = report.impact_of(changes["/region"]), report.impact_of(changes["/X-Team"])
    assert region is not None and team is not None
    assert [("web", 2, 1)] == [(h.consumer, h.calls, h.uses) for h in region.consumers]
    assert [("web", 2, 1), ("billing", 1, 1)] == [
        (h.consumer, h.calls, h.uses) for h in team.consumers
    ]
    assert "does not send `region`" == region.usage


def test_impact_of_a_narrowed_request_type_counts_values_now_rejected() -> None:
    old = spec(post(obj("{n: {type: [number, string]}}")), version="3.1.0")
    new = spec(post(obj("{n: {type: number}}")), version="3.1.0")
    traffic = [
        exchange("POST", "/items", 204, request={"n": "7"}, consumer="web"),
        exchange("POST", "/items", 204, request={"n": 7}, consumer="web"),
        exchange("POST", "/items", 204, request={"n": 7}, consumer="billing"),
    ]
    report = build_diff_report(old, new, observations=observe(old, traffic))
    assert [("web", 2, 1)] == hits(report, "request.type.narrowed")


def test_impact_of_a_removed_request_enum_value_uses_the_values_seen() -> None:
    old = spec(post(obj("{state: {type: string, enum: [open, closed, legacy]}}")))
    new = spec(post(obj("{state: {type: string, enum: [open, closed]}}")))
    traffic = [
        exchange("POST", "/items", 204, request={"state": "legacy"}, consumer="web"),
        exchange("POST", "/items", 204, request={"state": "open"}, consumer="web"),
        exchange("POST", "/items", 204, request={"state": "open"}, consumer="billing"),
    ]
    report = build_diff_report(old, new, observations=observe(old, traffic))
    assert [("web", 2, 1)] == hits(report, "request.enum.value-removed")


def test_impact_of_a_property_that_became_required_counts_objects_without_it() -> None:
    old = spec(post(obj("{a: {type: string}, b: {type: string}}")))
    new = spec(post(obj("{a: {type: string}, b: {type: string}}", "[b]")))
    traffic = [
        exchange("POST", "/items", 204, request={"a": "x"}, consumer="web"),
        exchange("POST", "/items", 204, request={"a": "x", "b": "y"}, consumer="web"),
        exchange("POST", "/items", 204, request={"a": "x", "b": "y"}, consumer="billing"),
    ]
    report = build_diff_report(old, new, observations=observe(old, traffic))
    assert [("web", 2, 1)] == hits(report, "request.property.became-required")


def test_impact_of_a_removed_status_resolves_ranges_like_the_old_contract() -> None:
    old = spec(reply("{type: object}", statuses=("200", "4XX")))
    new = spec(reply("{type: object}", statuses=("200",)))
    traffic = [
        exchange("GET", "/items/1", 200, response={}, consumer="web"),
        exchange("GET", "/items/1", 404, response={}, consumer="web"),
        exchange("GET", "/items/1", 409, response={}, consumer="billing"),
        exchange("GET", "/items/1", 500, response={}, consumer="ops"),
    ]
    report = build_diff_report(old, new, observations=observe(old, traffic))
    assert [("billing", 1, 1), ("web", 1, 1)] == hits(report, "response.status.removed")


def test_impact_matches_observations_by_template_shape() -> None:
    old = spec(reply("{type: object}", statuses=("200",)))
    new = spec(op("/other"))
    observations = observe(old, [exchange("GET", "/items/1", response={}, consumer="web")])
    renamed = {
        key.__class__(
            key.service, key.method, "/items/{itemId}", False, key.consumer, key.status
        ): obs
        for key, obs in observations.items()
    }
    report = build_diff_report(old, new, observations=renamed)
    assert [("web", 1, 1)] == hits(report, "operation.removed")


def test_non_breaking_additions_get_no_impact_and_unexposed_consumers_are_not_listed() -> None:
    old = spec(reply(obj("{a: {type: string}}", "[a]")) | op("/quiet"))
    new = spec(reply(obj("{a: {type: string}, b: {type: string}}")) | op("/quiet", deprecated=True))
    traffic = [exchange("GET", "/items/1", response={"a": "x"}, consumer="web")]
    changes = diff_contracts(old, new)
    impacts = {i.change_id: i for i in impact(changes, observe(old, traffic), old)}
    by_kind = {c.kind: impacts.get(c.id) for c in changes}
    assert by_kind["response.property.added"] is None
    deprecated = by_kind["operation.deprecated"]
    assert deprecated is not None and () == deprecated.consumers
    became_optional = by_kind["response.property.became-optional"]
    assert became_optional is not None
    assert ["web"] == [h.consumer for h in became_optional.consumers]


# --- report, gate and renderers --------------------------------------------------------------


def sample_report(with_impact: bool = True) -> DiffReport:
    old = spec(
        reply(obj("{a: {type: string}, b: {type: string}}"))
        | params("{name: limit, in: query}")
        | op("/old")
    )
    new = spec(
        reply(obj("{a: {type: string}, b: {type: string, deprecated: true}}"))
        | params("{name: limit, in: query}", "{name: team, in: query}")
    )
    traffic = [
        exchange("GET", "/items/1", response={"a": "x", "b": "y"}, consumer="billing", when=T2),
        exchange("GET", "/old", consumer="web", when=T1),
    ]
    observations = observe(old, traffic) if with_impact else None
    return build_diff_report(
        old, new, observations=observations, observed={"store": "sqlite:///x.db"}
    )


def test_summary_counts_categories_and_consumers_hit() -> None:
    report = sample_report()
    assert {"breaking": 1, "deprecation": 1, "non-breaking": 1} == report.summary["by_category"]
    assert ["web"] == report.summary["consumers_hit_by_breaking"]
    assert "breaking" == report.worst()
    assert sample_report(with_impact=False).summary["consumers_hit_by_breaking"] is None


@pytest.mark.parametrize(
    ("fail_on", "changes", "expected"),
    [
        ("breaking", "all", 1),
        ("breaking", "deprecation", 0),
        ("deprecation", "deprecation", 1),
        ("deprecation", "non-breaking", 0),
        ("any", "non-breaking", 1),
        ("any", "none", 0),
        ("never", "all", 0),
    ],
)
def test_exit_code_gate(fail_on: str, changes: str, expected: int) -> None:
    report = sample_report()
    kept = {
        "all": report.changes,
        "none": (),
        "deprecation": tuple(c for c in report.changes if c.category != "breaking"),
        "non-breaking": tuple(c for c in report.changes if c.category == "non-breaking"),
    }[changes]
    trimmed = DiffReport(report.old, report.new, kept, report.impacts)
    assert expected == exit_code(trimmed, fail_on)


def test_exit_code_rejects_an_unknown_threshold() -> None:
    with pytest.raises(ValueError, match="unknown --fail-on"):
        exit_code(sample_report(), "error")


def test_json_rendering() -> None:
    document = json.loads(render_diff(sample_report(), "json"))
    assert "1.0" == document["schema_version"]
    assert {"breaking": 1, "deprecation": 1, "non-breaking": 1} == document["summary"][
        "by_category"
    ]
    removed = document["changes"][0]
    assert ("operation.removed", "breaking", {"method": "GET", "path": "/old"}) == (
        removed["kind"],
        removed["category"],
        removed["operation"],
    )
    assert {
        "usage": "calls it",
        "calls": 1,
        "consumers": [
            {
                "name": "web",
                "calls": 1,
                "uses": 1,
                "first_seen": "2024-05-01T12:00:00Z",
                "last_seen": "2024-05-01T12:00:00Z",
            }
        ],
    } == removed["impact"]
    added = [c for c in document["changes"] if c["kind"] == "request.parameter.optional-added"]
    assert [None] == [c["impact"] for c in added]
    assert {"store": "sqlite:///x.db"} == document["observed"]


def test_json_rendering_without_observations_has_no_impact() -> None:
    document = json.loads(render_diff(sample_report(with_impact=False), "json"))
    assert document["observed"] is None
    assert [None, None, None] == [c["impact"] for c in document["changes"]]


def test_text_rendering_groups_by_category_with_impact() -> None:
    text = render_diff(sample_report(), "text")
    assert (
        text.index("BREAKING (1)") < text.index("DEPRECATION (1)") < text.index("NON-BREAKING (1)")
    )
    assert "hits web (1 call, last 2024-05-01T12:00:00Z), calls it" in text
    assert "hits billing (1 call, last 2024-05-02T08:30:00Z), reads `/b` 1 time" in text
    assert "3 changes: 1 breaking, 1 deprecation, 1 non-breaking" in text
    assert "hits" not in render_diff(sample_report(with_impact=False), "text")


def test_text_rendering_says_when_no_consumer_is_hit() -> None:
    old, new = spec(op("/old") | op("/kept")), spec(op("/kept"))
    report = build_diff_report(old, new, observations={})
    assert "no observed consumer affected" in render_diff(report, "text")


def test_markdown_rendering_has_tables_with_impact_and_escapes() -> None:
    old = spec(reply("{type: object}", media="*/*") | op("/old"))
    new = spec(reply("{type: object}", media="text/csv"))
    report = build_diff_report(
        old, new, observations=observe(old, [exchange("GET", "/old", consumer="web_app", when=T1)])
    )
    markdown = render_diff(report, "markdown")
    assert "## Breaking changes (2)" in markdown
    assert "| Operation | Kind | Where | Change | Consumers hit |" in markdown
    assert "web\\_app (1 call, last 2024-05-01T12:00:00Z), calls it" in markdown
    assert "media type \\*/\\* removed" in markdown
    assert "## Non-breaking changes (1)" in markdown


def test_every_format_renders_an_empty_report() -> None:
    paths = op("/same")
    report = build_diff_report(spec(paths), spec(paths))
    for fmt in DIFF_FORMATS:
        assert render_diff(report, fmt).endswith("\n")
    assert "no changes" in render_diff(report, "text")
    with pytest.raises(ValueError, match="unknown format"):
        render_diff(report, "sarif")


# --- edge ------------------------------------------------------------------------------------


def test_run_diff_reports_unreadable_input_as_a_drift_error(tmp_path: Path) -> None:
    with pytest.raises(DriftError):
        run_diff(tmp_path / "missing.yaml", EXAMPLE / "openapi.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: text\n")
    with pytest.raises(DriftError):
        run_diff(EXAMPLE / "openapi.yaml", bad)


def test_run_diff_without_a_store_has_no_impact() -> None:
    report = run_diff(EXAMPLE / "openapi.yaml", EXAMPLE / "openapi.yaml")
    assert ((), None) == (report.changes, report.impacts)


# --- end to end: example traffic → SQLite store → diff with consumer impact --------------------


def _store_example_traffic(url: str) -> None:
    contract = load_contract(EXAMPLE / "openapi.yaml")
    observer = Observer(contract)
    _total, exchanges = iter_har(
        EXAMPLE / "traffic.har", consumer_header="X-Consumer-Id", service=contract.service
    )
    for ex in exchanges:
        observer.add(ex)
    items = [
        (key, bucket_start(obs.first_seen), obs)
        for key, obs in observer.snapshot().items()
        if obs.first_seen is not None
    ]
    with Store.open(url) as store:
        assert store.flush(Batch("e2e-1", "test", items))


def _next_version(tmp_path: Path) -> Path:
    document = yaml.safe_load((EXAMPLE / "openapi.yaml").read_text())
    paths = document["paths"]
    del paths["/orders/{orderId}/invoice"]  # only billing calls it
    paths["/orders"]["get"]["parameters"].append(  # web calls GET /orders without it
        {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    order = document["components"]["schemas"]["Order"]  # web and billing both read it
    del order["properties"]["created_at"]
    order["required"].remove("created_at")
    item = paths.pop("/orders/{orderId}")  # a renamed path variable is no change
    item["parameters"][0]["name"] = "id"
    paths["/orders/{id}"] = item
    target = tmp_path / "openapi-next.yaml"
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def test_end_to_end_consumer_impact(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    _store_example_traffic(url)
    report = run_diff(EXAMPLE / "openapi.yaml", _next_version(tmp_path), store_url=url)

    def row(c: Change) -> tuple[Any, ...]:
        found = report.impact_of(c)
        assert found is not None
        return (
            c.kind,
            c.method,
            c.path,
            c.status,
            c.pointer,
            [(h.consumer, h.calls, h.uses, h.last_seen) for h in found.consumers],
        )

    def at(hhmmss: str) -> datetime:
        return datetime.fromisoformat(f"2026-11-20T{hhmmss}+00:00")

    assert [
        (
            "request.parameter.required-added",
            "GET",
            "/orders",
            None,
            "/region",
            [("web", 20, 20, at("10:10:18"))],
        ),
        (
            "response.property.removed",
            "GET",
            "/orders",
            "200",
            "/items/*/created_at",
            [("web", 20, 60, at("10:10:18"))],  # 20 pages of 3 orders
        ),
        (
            "response.property.removed",
            "POST",
            "/orders",
            "201",
            "/created_at",
            [("web", 20, 20, at("10:12:46"))],
        ),
        (
            "response.property.removed",
            "GET",
            "/orders/{orderId}",
            "200",
            "/created_at",
            [("billing", 20, 20, at("10:10:55"))],
        ),
        (
            "operation.removed",
            "GET",
            "/orders/{orderId}/invoice",
            None,
            "",
            [("billing", 20, 20, at("10:11:32"))],
        ),
    ] == [row(c) for c in report.changes]
    assert ["billing", "web"] == report.summary["consumers_hit_by_breaking"]
    assert 1 == exit_code(report, "breaking")

    text = render_diff(report, "text")
    assert "hits billing (20 calls, last 2026-11-20T10:11:32Z), calls it" in text
    assert "hits web (20 calls, last 2026-11-20T10:10:18Z), does not send `region` 20 times" in text
    document = json.loads(render_diff(report, "json"))
    assert 120 == document["observed"]["exchanges"]
    assert ["billing", "web"] == document["observed"]["consumers"]
    assert "billing (20 calls" in render_diff(report, "markdown")


def test_end_to_end_since_window_excludes_old_traffic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    _store_example_traffic(url)
    report = run_diff(
        EXAMPLE / "openapi.yaml",
        _next_version(tmp_path),
        store_url=url,
        since_seconds=3600,
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert [] == report.summary["consumers_hit_by_breaking"]
    assert "2026-11-30T23:00:00Z" == report.observed["since"]


# --- real-world corpus -----------------------------------------------------------------------


@pytest.mark.corpus
@needs_corpus
@pytest.mark.parametrize(
    "name",
    ["oai__petstore.yaml", "oai__uspto.yaml", "redocly-museum__openapi.yaml", "box__openapi.json"],
)
def test_corpus_contract_against_itself_has_no_changes(name: str) -> None:
    path = CORPUS / "specs" / name
    if not path.exists():
        pytest.skip(f"{name} not in the corpus")
    assert () == run_diff(path, path).changes


@pytest.mark.corpus
@needs_corpus
def test_corpus_petstore_against_petstore_expanded() -> None:
    old, new = (
        CORPUS / "specs" / "oai__petstore.yaml",
        CORPUS / "specs" / "oai__petstore-expanded.yaml",
    )
    if not (old.exists() and new.exists()):
        pytest.skip("petstore specs not in the corpus")
    report = run_diff(old, new)
    assert [
        ("response.status.removed", "POST", "/pets", "201", ""),
        ("request.type.narrowed", "GET", "/pets/{petId}", None, "/petId"),
        ("request.parameter.optional-added", "GET", "/pets", None, "/tags"),
        ("request.property.removed", "POST", "/pets", None, "/id"),
        ("response.status.added", "POST", "/pets", "200", ""),
        ("operation.added", "DELETE", "/pets/{id}", None, ""),
    ] == [(c.kind, c.method, c.path, c.status, c.pointer) for c in report.changes]
    for fmt in DIFF_FORMATS:
        assert render_diff(report, fmt)
