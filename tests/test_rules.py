"""Compare rules, end to end: inline contract + exchanges → Observer → compare → findings.

Every finding kind compare produces today has a drifting case (the finding's facts pinned down
exactly) and a near-identical conforming case (no finding at all). The sections after the kind
table cover the rules behind the kinds one by one, each with a positive and a negative test.
"""

from __future__ import annotations

import copy
from dataclasses import astuple, dataclass, field, replace
from typing import Any

import pytest

from drift.core.compare import Policy
from drift.core.exchange import Exchange
from drift.core.findings import ConsumerCount, Finding
from drift.core.kinds import KINDS, Severity
from tests.contracts import (
    NO_BODY,
    Facts,
    at,
    exchange,
    facts,
    find,
    only,
    run,
)

# --- the main contract ---------------------------------------------------------------------------

ORDERS = """
openapi: 3.0.3
info: {title: Orders, version: '1'}
servers:
  - url: https://api.example.com/v1
paths:
  /orders:
    parameters:
      - {name: limit, in: query, schema: {type: integer}}
    get:
      parameters:
        - {name: status, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: '#/components/schemas/Order'}
    post:
      parameters:
        - {name: Idempotency-Key, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/NewOrder'}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Order'}
  /orders/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Order'}
  /legacy/orders:
    get:
      deprecated: true
      responses:
        '200': {description: ok}
components:
  schemas:
    Order:
      type: object
      required: [id, status]
      properties:
        id: {type: integer}
        status: {type: string, enum: [open, paid, shipped]}
        total: {type: number}
        created_at: {type: string, format: date-time}
        items:
          type: array
          items:
            type: object
            properties:
              sku: {type: string}
              price: {type: number}
    NewOrder:
      type: object
      required: [sku, quantity]
      properties:
        sku: {type: string}
        quantity: {type: integer}
        channel: {type: string, enum: [web, store]}
        contact: {type: string, format: email}
"""

ORDER: dict[str, Any] = {
    "id": 1,
    "status": "open",
    "total": 12.5,
    "created_at": "2024-05-01T12:00:00Z",
    "items": [{"sku": "A-1", "price": 9.99}],
}
NEW_ORDER: dict[str, Any] = {
    "sku": "A-1",
    "quantity": 2,
    "channel": "web",
    "contact": "a@b.example",
}


def changed(value: dict[str, Any], drop: tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
    """A deep copy of `value` without the `drop` keys and with `changes` applied."""
    out = copy.deepcopy(value)
    for key in drop:
        del out[key]
    out.update(changes)
    return out


def get_order(response: Any = ORDER, **kw: Any) -> Exchange:
    kw.setdefault("consumer", "web")
    return exchange("GET", "/orders/1", kw.pop("status", 200), response, **kw)


def post_order(
    body: Any = NEW_ORDER, headers: tuple[str, ...] = ("Idempotency-Key",), **kw: Any
) -> Exchange:
    kw.setdefault("consumer", "web")
    return exchange("POST", "/orders", 201, ORDER, body, headers=headers, **kw)


def list_orders(query: tuple[str, ...] = ("status",), **kw: Any) -> Exchange:
    kw.setdefault("consumer", "web")
    return exchange("GET", "/orders", 200, [ORDER], query=query, **kw)


def all_facts(findings: list[Finding]) -> list[Facts]:
    """Facts of every finding, in a stable order (None sorts as an empty string)."""
    return sorted((facts(f) for f in findings), key=lambda x: [str(v or "") for v in astuple(x)])


# --- one drifting and one conforming case per kind -----------------------------------------------

TWO_OPS = """
openapi: 3.0.3
info: {title: Two, version: '1'}
paths:
  /a:
    get: {responses: {'200': {description: ok}}}
  /b:
    get: {responses: {'200': {description: ok}}}
"""


@dataclass(frozen=True)
class KindCase:
    expected: Facts
    drifting: list[Exchange]
    conforming: list[Exchange]
    spec: str = ORDERS
    policy: Policy = field(default_factory=Policy)


# fmt: off
KIND_CASES = [
    KindCase(
        Facts("operation.undocumented", "GET", "/orders/{id}/notes", None, "operation", "", None, 2, 2),
        drifting=[exchange("GET", "/orders/1/notes", consumer="web"),
                  exchange("GET", "/orders/2/notes", consumer="web")],
        conforming=[get_order(), exchange("GET", "/orders/2", 200, ORDER, consumer="web")],
    ),
    KindCase(
        Facts("operation.unused", "GET", "/b", None, "operation", "", None, 0, 0),
        drifting=[exchange("GET", "/a")],
        conforming=[exchange("GET", "/a"), exchange("GET", "/b")],
        spec=TWO_OPS,
        policy=Policy(report_unused=True),
    ),
    KindCase(
        Facts("operation.deprecated-in-use", "GET", "/legacy/orders", None, "operation", "", "mobile", 2, 2),
        drifting=[exchange("GET", "/legacy/orders", consumer="mobile")] * 2,
        conforming=[list_orders(consumer="mobile")] * 2,
    ),
    KindCase(
        Facts("request.parameter.undocumented", "GET", "/orders", None, "request.query", "/debug", "web", 1, 2),
        drifting=[list_orders(("status", "debug")), list_orders()],
        conforming=[list_orders(), list_orders()],
    ),
    KindCase(
        Facts("request.parameter.missing-required", "POST", "/orders", None, "request.header",
              "/Idempotency-Key", "web", 1, 2),
        drifting=[post_order(headers=()), post_order()],
        conforming=[post_order(), post_order()],
    ),
    KindCase(
        Facts("request.body.undocumented-field", "POST", "/orders", None, "request.body", "/gift_wrap", "web", 1, 2),
        drifting=[post_order(changed(NEW_ORDER, gift_wrap=True)), post_order()],
        conforming=[post_order(), post_order()],
    ),
    KindCase(
        Facts("request.body.missing-required", "POST", "/orders", None, "request.body", "/quantity", "web", 1, 2),
        drifting=[post_order(changed(NEW_ORDER, drop=("quantity",))), post_order()],
        conforming=[post_order(), post_order(changed(NEW_ORDER, drop=("channel",)))],
    ),
    KindCase(
        Facts("request.body.type-mismatch", "POST", "/orders", None, "request.body", "/quantity", "web", 1, 2),
        drifting=[post_order(changed(NEW_ORDER, quantity="2")), post_order()],
        conforming=[post_order(), post_order(changed(NEW_ORDER, quantity=7))],
    ),
    KindCase(
        Facts("request.body.enum-violation", "POST", "/orders", None, "request.body", "/channel", "web", 1, 2),
        drifting=[post_order(changed(NEW_ORDER, channel="phone")), post_order()],
        conforming=[post_order(), post_order(changed(NEW_ORDER, channel="store"))],
    ),
    KindCase(
        Facts("request.body.format-mismatch", "POST", "/orders", None, "request.body", "/contact", "web", 1, 2),
        drifting=[post_order(changed(NEW_ORDER, contact="call me maybe")), post_order()],
        conforming=[post_order(), post_order(changed(NEW_ORDER, contact="bo@c.example"))],
    ),
    KindCase(
        Facts("response.status.undocumented", "GET", "/orders/{id}", "404", "response.status", "", None, 1, 3),
        drifting=[get_order(), get_order(), get_order({"error": "not found"}, status=404)],
        conforming=[get_order(), get_order(), get_order()],
    ),
    KindCase(
        Facts("response.content-type.undocumented", "GET", "/orders/{id}", "200", "response.header",
              "/content-type", None, 1, 2),
        drifting=[get_order(response_type="application/problem+json"), get_order()],
        conforming=[get_order(), get_order()],
    ),
    KindCase(
        Facts("response.body.undocumented-field", "GET", "/orders/{id}", "200", "response.body",
              "/internal_ref", None, 1, 2),
        drifting=[get_order(changed(ORDER, internal_ref="x-1")), get_order()],
        conforming=[get_order(), get_order()],
    ),
    KindCase(
        Facts("response.body.missing-required", "GET", "/orders/{id}", "200", "response.body", "/status", None, 1, 2),
        drifting=[get_order(changed(ORDER, drop=("status",))), get_order()],
        conforming=[get_order(), get_order(changed(ORDER, drop=("total",)))],
    ),
    KindCase(
        Facts("response.body.type-mismatch", "GET", "/orders/{id}", "200", "response.body", "/total", None, 1, 2),
        drifting=[get_order(changed(ORDER, total="12.50")), get_order()],
        conforming=[get_order(), get_order(changed(ORDER, total=12))],
    ),
    KindCase(
        Facts("response.body.enum-violation", "GET", "/orders/{id}", "200", "response.body", "/status", None, 1, 2),
        drifting=[get_order(changed(ORDER, status="lost")), get_order()],
        conforming=[get_order(), get_order(changed(ORDER, status="shipped"))],
    ),
    KindCase(
        Facts("response.body.format-mismatch", "GET", "/orders/{id}", "200", "response.body",
              "/created_at", None, 1, 2),
        drifting=[get_order(changed(ORDER, created_at="yesterday")), get_order()],
        conforming=[get_order(), get_order(changed(ORDER, created_at="2024-05-02T08:30:00+02:00"))],
    ),
]
# fmt: on
NOT_PRODUCED_YET = {"timing.latency-breach", "timing.rate-breach", "consumer.undeclared"}


def test_every_kind_compare_produces_has_a_case() -> None:
    assert sorted(set(KINDS) - NOT_PRODUCED_YET) == sorted(c.expected.kind for c in KIND_CASES)


@pytest.mark.parametrize("case", KIND_CASES, ids=lambda c: c.expected.kind)
def test_drifting_traffic_is_reported_with_exact_facts(case: KindCase) -> None:
    finding = only(run(case.spec, case.drifting, case.policy), case.expected.kind)
    assert case.expected == facts(finding)
    assert KINDS[case.expected.kind].severity == finding.severity


@pytest.mark.parametrize("case", KIND_CASES, ids=lambda c: c.expected.kind)
def test_conforming_traffic_yields_no_finding(case: KindCase) -> None:
    assert [] == all_facts(run(case.spec, case.conforming, case.policy))


# --- schema helpers for the rule sections --------------------------------------------------------


def one_schema(
    schema: dict[str, Any],
    openapi: str = "3.0.3",
    components: dict[str, Any] | None = None,
    body_required: bool = True,
) -> dict[str, Any]:
    """GET /things answers with `schema`; POST /things takes it as its request body."""
    return {
        "openapi": openapi,
        "info": {"title": "Things", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": schema}},
                        }
                    }
                },
                "post": {
                    "requestBody": {
                        "required": body_required,
                        "content": {"application/json": {"schema": schema}},
                    },
                    "responses": {"204": {"description": "done"}},
                },
            }
        },
        "components": {"schemas": components or {}},
    }


def respond(spec: dict[str, Any], *bodies: Any) -> list[Finding]:
    """Findings for GET /things answered with each of `bodies`."""
    return run(spec, [exchange("GET", "/things", 200, b, consumer="web") for b in bodies])


def send(spec: dict[str, Any], *bodies: Any) -> list[Finding]:
    """Findings for POST /things sending each of `bodies` (consumer `web`)."""
    return run(spec, [exchange("POST", "/things", 204, NO_BODY, b, consumer="web") for b in bodies])


def response_facts(pointer: str, kind: str, count: int = 1, total: int = 1) -> Facts:
    return Facts(kind, "GET", "/things", "200", "response.body", pointer, None, count, total)


def request_facts(pointer: str, kind: str, count: int = 1, total: int = 1) -> Facts:
    return Facts(kind, "POST", "/things", None, "request.body", pointer, "web", count, total)


def obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


INT = {"type": "integer"}
STR = {"type": "string"}

# --- undeclared fields ---------------------------------------------------------------------------


def test_undeclared_field_is_reported_in_an_open_schema() -> None:
    """No `additionalProperties` at all: the schema is open, yet the extra field is drift."""
    finding = only(
        respond(one_schema(obj(id=INT)), {"id": 1, "extra": "x"}),
        "response.body.undocumented-field",
    )
    assert response_facts("/extra", "response.body.undocumented-field") == facts(finding)
    assert {"string": 1} == finding.observed


def test_undeclared_field_is_reported_in_a_closed_schema() -> None:
    schema = {**obj(id=INT), "additionalProperties": False}
    finding = only(
        respond(one_schema(schema), {"id": 1, "extra": "x"}), "response.body.undocumented-field"
    )
    assert response_facts("/extra", "response.body.undocumented-field") == facts(finding)


def test_declared_fields_only_yield_nothing_in_an_open_schema() -> None:
    assert [] == all_facts(respond(one_schema(obj(id=INT, name=STR)), {"id": 1, "name": "x"}))


@pytest.mark.parametrize(
    "additional", [True, {}, {"type": "string"}], ids=["true", "empty-schema", "map-of-strings"]
)
def test_extra_field_is_not_undocumented_when_additional_properties_allow_it(
    additional: Any,
) -> None:
    schema = {**obj(id=INT), "additionalProperties": additional}
    assert [] == all_facts(respond(one_schema(schema), {"id": 1, "extra": "x"}))


def test_map_values_are_checked_against_the_additional_properties_schema() -> None:
    """Name-like keys keep their own pointer; data-like keys (uuids) fold into `*`."""
    schema = {"type": "object", "additionalProperties": INT}
    findings = respond(
        one_schema(schema), {"en": 1, "fr": "x", "550e8400-e29b-41d4-a716-446655440000": "y"}
    )
    assert [
        response_facts("/*", "response.body.type-mismatch"),
        response_facts("/fr", "response.body.type-mismatch"),
    ] == all_facts(findings)


def test_free_form_object_accepts_any_field_while_its_parent_still_reports() -> None:
    schema = obj(id=INT, meta={"type": "object"})
    findings = respond(
        one_schema(schema), {"id": 1, "meta": {"anything": 1, "deep": {"x": [1]}}, "extra": 2}
    )
    assert [response_facts("/extra", "response.body.undocumented-field")] == all_facts(findings)


def test_free_form_object_body_yields_nothing() -> None:
    """Name-like keys and data-like keys (a uuid, folded into `*`) are both fine."""
    body = {"anything": 1, "550e8400-e29b-41d4-a716-446655440000": "x"}
    assert [] == all_facts(respond(one_schema({"type": "object"}), body))


def test_nested_and_array_item_pointers_use_a_star_for_items() -> None:
    schema = obj(
        customer=obj(tier=STR),
        items={"type": "array", "items": obj(sku=STR, price={"type": "number"})},
    )
    bodies = [
        {
            "customer": {"tier": "gold", "vip": True},
            "items": [{"sku": "a", "price": 1}, {"sku": "b", "price": "2"}],
        },
        {"customer": {"tier": "gold"}, "items": [{"sku": "c", "price": 3, "discount": 0.5}]},
    ]
    assert [
        response_facts("/items/*/price", "response.body.type-mismatch", 1, 3),
        response_facts("/customer/vip", "response.body.undocumented-field", 1, 2),
        response_facts("/items/*/discount", "response.body.undocumented-field", 1, 3),
    ] == all_facts(respond(one_schema(schema), *bodies))


def test_nested_and_array_item_fields_that_are_declared_yield_nothing() -> None:
    schema = obj(
        customer=obj(tier=STR),
        items={"type": "array", "items": obj(sku=STR, price={"type": "number"})},
    )
    body = {
        "customer": {"tier": "gold"},
        "items": [{"sku": "a", "price": 1}, {"sku": "b", "price": 2.5}],
    }
    assert [] == all_facts(respond(one_schema(schema), body))


# --- composition ---------------------------------------------------------------------------------

ALL_OF = {"allOf": [obj(id=INT), obj(name=STR)]}


def branch(*names: str) -> dict[str, Any]:
    return {"type": "object", "required": list(names), "properties": {n: INT for n in names}}


def test_field_declared_in_any_all_of_member_is_declared() -> None:
    assert [] == all_facts(respond(one_schema(ALL_OF), {"id": 1, "name": "x"}))


def test_field_declared_in_no_all_of_member_is_undocumented() -> None:
    findings = respond(one_schema(ALL_OF), {"id": 1, "nick": "x"})
    assert [response_facts("/nick", "response.body.undocumented-field")] == all_facts(findings)


@pytest.mark.parametrize("keyword", ["oneOf", "anyOf"])
def test_fields_of_the_matching_branch_are_declared(keyword: str) -> None:
    schema = {keyword: [branch("a", "b"), branch("c", "d")]}
    assert [] == all_facts(respond(one_schema(schema), {"a": 1, "b": 2}, {"c": 3, "d": 4}))


@pytest.mark.parametrize("keyword", ["oneOf", "anyOf"])
def test_field_of_the_other_branch_is_undocumented_in_the_best_fitting_branch(keyword: str) -> None:
    """Branches {a, b required} and {c, d required}; the object {a, b, d}.

    The engine judges each observed key set against the branch that fits it best (fewest
    undeclared keys, then fewest missing required keys): branch A leaves only `d` undeclared,
    branch B would leave `a`, `b` undeclared and `c` missing. So A is chosen, `d` is reported as
    an undocumented field, and nothing is reported missing.
    """
    schema = {keyword: [branch("a", "b"), branch("c", "d")]}
    findings = respond(one_schema(schema), {"a": 1, "b": 2, "d": 4})
    assert [response_facts("/d", "response.body.undocumented-field")] == all_facts(findings)


# --- readOnly / writeOnly ------------------------------------------------------------------------


def account(read_only: bool = True, write_only: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "login", "password"],
        "properties": {
            "id": {"type": "integer", "readOnly": read_only},
            "login": STR,
            "password": {"type": "string", "writeOnly": write_only},
        },
    }


def test_read_only_required_field_absent_from_a_request_is_fine() -> None:
    assert [] == all_facts(send(one_schema(account()), {"login": "ann", "password": "pw"}))


def test_required_field_absent_from_a_request_is_reported_when_not_read_only() -> None:
    findings = send(one_schema(account(read_only=False)), {"login": "ann", "password": "pw"})
    assert [request_facts("/id", "request.body.missing-required")] == all_facts(findings)


def test_read_only_field_sent_in_a_request_is_undocumented() -> None:
    findings = send(one_schema(account()), {"id": 1, "login": "ann", "password": "pw"})
    assert [request_facts("/id", "request.body.undocumented-field")] == all_facts(findings)


def test_write_only_required_field_absent_from_a_response_is_fine() -> None:
    assert [] == all_facts(respond(one_schema(account()), {"id": 1, "login": "ann"}))


def test_required_field_absent_from_a_response_is_reported_when_not_write_only() -> None:
    findings = respond(one_schema(account(write_only=False)), {"id": 1, "login": "ann"})
    assert [response_facts("/password", "response.body.missing-required")] == all_facts(findings)


def test_write_only_field_returned_in_a_response_is_undocumented() -> None:
    findings = respond(one_schema(account()), {"id": 1, "login": "ann", "password": "pw"})
    assert [response_facts("/password", "response.body.undocumented-field")] == all_facts(findings)


# --- null ----------------------------------------------------------------------------------------

NAME = {"Name": {"type": "string"}}
NULLABLE_CASES = [
    pytest.param("3.0.3", {"type": "string", "nullable": True}, {}, id="3.0-nullable"),
    pytest.param("3.1.0", {"type": ["string", "null"]}, {}, id="3.1-type-list"),
    pytest.param(
        "3.0.3", {"$ref": "#/components/schemas/Name", "nullable": True}, NAME, id="3.0-ref-sibling"
    ),
]
NOT_NULLABLE_CASES = [
    pytest.param("3.0.3", {"type": "string"}, {}, id="3.0-plain"),
    pytest.param("3.1.0", {"type": "string"}, {}, id="3.1-plain"),
    pytest.param("3.0.3", {"$ref": "#/components/schemas/Name"}, NAME, id="3.0-ref"),
]


@pytest.mark.parametrize("openapi, prop, components", NULLABLE_CASES)
def test_null_is_accepted_where_declared_nullable(openapi: str, prop: Any, components: Any) -> None:
    spec = one_schema(obj(v=prop), openapi, components)
    assert [] == all_facts(respond(spec, {"v": None}, {"v": "x"}))


@pytest.mark.parametrize("openapi, prop, components", NOT_NULLABLE_CASES)
def test_null_is_a_type_mismatch_where_not_nullable(
    openapi: str, prop: Any, components: Any
) -> None:
    spec = one_schema(obj(v=prop), openapi, components)
    finding = only(respond(spec, {"v": None}, {"v": "x"}), "response.body.type-mismatch")
    assert response_facts("/v", "response.body.type-mismatch", 1, 2) == facts(finding)
    assert (["string"], {"null": 1, "string": 1}) == (finding.declared, finding.observed)


def test_null_is_accepted_for_a_nullable_all_of_ref_wrapper_in_3_0() -> None:
    """The usual 3.0 way to make a `$ref` nullable (siblings of `$ref` are ignored in 3.0)."""
    prop = {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Owner"}]}
    spec = one_schema(obj(owner=prop), "3.0.3", {"Owner": obj(id=INT)})
    assert [] == all_facts(respond(spec, {"owner": None}, {"owner": {"id": 1}}))


# --- integer vs number ---------------------------------------------------------------------------


def test_integral_values_are_accepted_for_type_number() -> None:
    spec = one_schema(obj(v={"type": "number"}))
    assert [] == all_facts(respond(spec, {"v": 3}, {"v": 3.0}, {"v": 3.5}))


def test_integral_float_is_accepted_for_type_integer() -> None:
    assert [] == all_facts(respond(one_schema(obj(v=INT)), {"v": 3}, {"v": 3.0}))


def test_fractional_value_is_a_type_mismatch_for_type_integer() -> None:
    finding = only(
        respond(one_schema(obj(v=INT)), {"v": 3}, {"v": 3.5}), "response.body.type-mismatch"
    )
    assert response_facts("/v", "response.body.type-mismatch", 1, 2) == facts(finding)
    assert (["integer"], {"integer": 1, "number": 1}) == (finding.declared, finding.observed)


# --- enum and const ------------------------------------------------------------------------------

STATE = obj(state={"type": "string", "enum": ["open", "paid"]})
PRIORITY = obj(priority={"type": "integer", "enum": [1, 2, 3]})
KIND_CONST = obj(kind={"const": "order"})


def test_string_outside_the_enum_is_reported_with_the_value() -> None:
    finding = only(
        respond(one_schema(STATE), {"state": "lost"}, {"state": "open"}),
        "response.body.enum-violation",
    )
    assert response_facts("/state", "response.body.enum-violation", 1, 2) == facts(finding)
    assert (["open", "paid"], {"lost": 1}) == (finding.declared, finding.observed)


def test_strings_inside_the_enum_yield_nothing() -> None:
    assert [] == all_facts(respond(one_schema(STATE), {"state": "open"}, {"state": "paid"}))


def test_integer_outside_an_integer_enum_is_reported_with_the_value() -> None:
    finding = only(
        respond(one_schema(PRIORITY), {"priority": 5}, {"priority": 1}),
        "response.body.enum-violation",
    )
    assert response_facts("/priority", "response.body.enum-violation", 1, 2) == facts(finding)
    assert {"5": 1} == finding.observed


def test_integers_inside_an_integer_enum_yield_nothing() -> None:
    assert [] == all_facts(respond(one_schema(PRIORITY), {"priority": 1}, {"priority": 3}))


def test_value_other_than_the_const_is_an_enum_violation() -> None:
    spec = one_schema(KIND_CONST, "3.1.0")
    finding = only(respond(spec, {"kind": "refund"}), "response.body.enum-violation")
    assert response_facts("/kind", "response.body.enum-violation") == facts(finding)
    assert {"refund": 1} == finding.observed


def test_the_const_value_yields_nothing() -> None:
    assert [] == all_facts(respond(one_schema(KIND_CONST, "3.1.0"), {"kind": "order"}))


def test_boolean_const_is_declared_in_json_spelling() -> None:
    spec = one_schema(obj(flag={"const": True}), "3.1.0")
    finding = only(respond(spec, {"flag": False}), "response.body.enum-violation")
    assert (["true"], {"false": 1}) == (finding.declared, finding.observed)


def test_enum_violation_is_reported_in_requests_too() -> None:
    findings = send(one_schema(STATE), {"state": "lost"})
    assert [request_facts("/state", "request.body.enum-violation")] == all_facts(findings)


def test_enum_is_checked_for_a_field_whose_name_merely_contains_a_sensitive_word() -> None:
    """Small enums are withheld for sensitive names (lat/lon, name, token…); `platform` is not one."""
    spec = one_schema(obj(platform={"type": "string", "enum": ["ios", "android"]}))
    finding = only(respond(spec, {"platform": "windows"}), "response.body.enum-violation")
    assert response_facts("/platform", "response.body.enum-violation") == facts(finding)


# --- formats -------------------------------------------------------------------------------------

FORMATS = [
    pytest.param("date-time", "2024-05-01T12:00:00Z", "2024-05-01", "date", id="date-time"),
    pytest.param("date", "2024-05-01", "01/05/2024", "string", id="date"),
    pytest.param("uuid", "550e8400-e29b-41d4-a716-446655440000", "550e8400", "string", id="uuid"),
    pytest.param("email", "ann@example.com", "ann at example", "string", id="email"),
    pytest.param("uri", "https://example.com/x", "example.com/x", "string", id="uri"),
    pytest.param("ipv4", "192.168.0.1", "192.168.0", "string", id="ipv4"),
]


@pytest.mark.parametrize("fmt, good, bad, bad_class", FORMATS)
def test_value_not_matching_a_checked_format_is_reported(
    fmt: str, good: str, bad: str, bad_class: str
) -> None:
    spec = one_schema(obj(v={"type": "string", "format": fmt}))
    finding = only(respond(spec, {"v": bad}), "response.body.format-mismatch")
    assert response_facts("/v", "response.body.format-mismatch") == facts(finding)
    assert (fmt, {bad_class: 1}) == (finding.declared, finding.observed)


@pytest.mark.parametrize("fmt, good, bad, bad_class", FORMATS)
def test_value_matching_a_checked_format_yields_nothing(
    fmt: str, good: str, bad: str, bad_class: str
) -> None:
    spec = one_schema(obj(v={"type": "string", "format": fmt}))
    assert [] == all_facts(respond(spec, {"v": good}))


@pytest.mark.parametrize(
    "schema, value",
    [
        ({"type": "integer", "format": "int64"}, 12345678901),
        ({"type": "string", "format": "int64"}, "not a number"),
        ({"type": "string", "format": "byte"}, "not base64 !!"),
        ({"type": "string", "format": "hostname"}, "not a host name"),
    ],
    ids=["int64", "string-int64", "byte", "hostname"],
)
def test_unchecked_formats_are_never_reported(schema: dict[str, Any], value: Any) -> None:
    assert [] == all_facts(respond(one_schema(obj(v=schema)), {"v": value}))


def test_format_mismatch_is_reported_in_requests_too() -> None:
    findings = send(one_schema(obj(v={"type": "string", "format": "uuid"})), {"v": "nope"})
    assert [request_facts("/v", "request.body.format-mismatch")] == all_facts(findings)


# --- status codes --------------------------------------------------------------------------------


def with_responses(responses: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Status", "version": "1"},
        "paths": {"/jobs": {"get": {"responses": responses}}},
    }


OK = {"description": "ok"}


@pytest.mark.parametrize(
    "declared, status",
    [("201", 201), ("2XX", 201), ("2xx", 201), ("default", 503)],
    ids=["exact", "range", "lower-case-range", "default"],
)
def test_status_covered_by_an_exact_code_a_range_or_default_is_declared(
    declared: str, status: int
) -> None:
    findings = run(with_responses({declared: OK}), [exchange("GET", "/jobs", status)])
    assert [] == all_facts(findings)


def test_undeclared_status_is_reported_with_evidence_over_the_operation() -> None:
    exchanges = [exchange("GET", "/jobs", 200, consumer="web")] * 2 + [
        exchange("GET", "/jobs", 404, consumer="mobile")
    ]
    finding = only(run(with_responses({"200": OK}), exchanges), "response.status.undocumented")
    assert Facts(
        "response.status.undocumented", "GET", "/jobs", "404", "response.status", "", None, 1, 3
    ) == facts(finding)
    assert (["200"], "404") == (finding.declared, finding.observed)
    assert (ConsumerCount("mobile", 1),) == finding.evidence.consumers


def test_lower_case_range_does_not_cover_other_classes() -> None:
    exchanges = [exchange("GET", "/jobs", 201), exchange("GET", "/jobs", 404)]
    finding = only(run(with_responses({"2xx": OK}), exchanges), "response.status.undocumented")
    assert ("404", 1, 2, ["2XX"]) == (
        finding.status,
        finding.evidence.count,
        finding.evidence.total,
        finding.declared,
    )


# --- content types -------------------------------------------------------------------------------


def json_responses(*media_types: str) -> dict[str, Any]:
    content = {mt: {"schema": {"type": "object"}} for mt in media_types}
    return with_responses(
        {"200": {"description": "ok", "content": content}, "204": {"description": "none"}}
    )


def content_type_facts(status: str, count: int, total: int) -> Facts:
    kind = "response.content-type.undocumented"
    return Facts(
        kind, "GET", "/jobs", status, "response.header", "/content-type", None, count, total
    )


def test_problem_json_is_undocumented_when_only_application_json_is_declared() -> None:
    exchanges = [
        exchange("GET", "/jobs", 200, {"title": "oops"}, response_type="application/problem+json"),
        exchange("GET", "/jobs", 200, {"ok": True}),
    ]
    finding = only(
        run(json_responses("application/json"), exchanges), "response.content-type.undocumented"
    )
    assert content_type_facts("200", 1, 2) == facts(finding)
    assert (["application/json"], {"application/problem+json": 1}) == (
        finding.declared,
        finding.observed,
    )


@pytest.mark.parametrize("declared", ["application/*", "*/*", "application/*+json"])
def test_wildcard_media_types_cover_problem_json(declared: str) -> None:
    exchanges = [
        exchange("GET", "/jobs", 200, {"title": "oops"}, response_type="application/problem+json")
    ]
    assert [] == all_facts(run(json_responses(declared), exchanges))


def test_structured_suffix_wildcard_does_not_cover_another_syntax() -> None:
    exchanges = [exchange("GET", "/jobs", 200, {"x": 1}, response_type="application/xml")]
    finding = only(
        run(json_responses("application/*+json"), exchanges), "response.content-type.undocumented"
    )
    assert {"application/xml": 1} == finding.observed


def test_body_returned_for_a_declared_status_without_content_is_reported() -> None:
    finding = only(
        run(json_responses("application/json"), [exchange("GET", "/jobs", 204, {"done": True})]),
        "response.content-type.undocumented",
    )
    assert content_type_facts("204", 1, 1) == facts(finding)
    assert ([], {"application/json": 1}) == (finding.declared, finding.observed)


def test_empty_response_for_a_declared_status_without_content_yields_nothing() -> None:
    assert [] == all_facts(run(json_responses("application/json"), [exchange("GET", "/jobs", 204)]))


# --- parameters ----------------------------------------------------------------------------------

PARAMS = """
openapi: 3.0.3
info: {title: Params, version: '1'}
components:
  securitySchemes:
    queryKey: {type: apiKey, in: query, name: api_key}
    headerKey: {type: apiKey, in: header, name: X-API-Key}
paths:
  /search:
    parameters:
      - {name: limit, in: query, schema: {type: integer}}
    get:
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: filter, in: query, style: deepObject, schema: {type: object}}
        - {name: X-Tenant-ID, in: header, schema: {type: string}}
      responses: {'200': {description: ok}}
  /browse:
    get:
      parameters:
        - name: options
          in: query
          schema: {type: object, properties: {color: {type: string}, size: {type: string}}}
      responses: {'200': {description: ok}}
  /plain:
    get:
      responses: {'200': {description: ok}}
"""


def call(
    path: str, query: tuple[str, ...] = (), headers: tuple[str, ...] = (), consumer: str = "web"
) -> Exchange:
    return exchange("GET", path, 200, query=query, headers=headers, consumer=consumer)


def param_facts(
    location: str,
    pointer: str,
    path: str = "/plain",
    count: int = 1,
    total: int = 1,
    kind: str = "request.parameter.undocumented",
    consumer: str = "web",
) -> Facts:
    return Facts(kind, "GET", path, None, location, pointer, consumer, count, total)


def test_undeclared_query_parameter_is_reported_per_consumer() -> None:
    exchanges = [
        call("/search", ("q", "debug")),
        call("/search", ("q", "debug")),
        call("/search", ("q",)),
        call("/search", ("q", "debug"), consumer="mobile"),
    ]
    findings = run(PARAMS, exchanges)
    assert [
        param_facts("request.query", "/debug", "/search", 1, 1, consumer="mobile"),
        param_facts("request.query", "/debug", "/search", 2, 3, consumer="web"),
    ] == all_facts(findings)
    assert {
        "mobile": (ConsumerCount("mobile", 1),),
        "web": (ConsumerCount("web", 2),),
    } == {f.consumer: f.evidence.consumers for f in findings}


def test_declared_query_parameters_are_not_reported() -> None:
    exchanges = [
        call("/search", ("q", "limit", "tags")),
        call("/search", ("q",), consumer="mobile"),
    ]
    assert [] == all_facts(run(PARAMS, exchanges))


def test_path_level_parameter_is_inherited_by_the_operation() -> None:
    assert [] == all_facts(run(PARAMS, [call("/search", ("q", "limit"))]))


def test_path_level_parameter_of_another_path_is_not_declared_here() -> None:
    assert [param_facts("request.query", "/limit")] == all_facts(
        run(PARAMS, [call("/plain", ("limit",))])
    )


def test_header_parameters_match_case_insensitively() -> None:
    exchanges = [
        call("/search", ("q",), ("X-TENANT-ID",)),
        call("/search", ("q",), ("x-tenant-id",)),
    ]
    assert [] == all_facts(run(PARAMS, exchanges))


def test_header_with_a_different_name_is_undocumented() -> None:
    findings = run(PARAMS, [call("/search", ("q",), ("X-Tenant",))])
    assert [param_facts("request.header", "/x-tenant", "/search")] == all_facts(findings)


def test_required_header_matches_case_insensitively() -> None:
    findings = run(
        ORDERS, [post_order(headers=("idempotency-key",)), post_order(headers=("IDEMPOTENCY-KEY",))]
    )
    assert [] == all_facts(findings)


STANDARD = (
    "Accept",
    "User-Agent",
    "traceparent",
    "X-Forwarded-For",
    "Authorization",
    "Accept-Encoding",
)


def test_standard_headers_are_never_reported() -> None:
    assert [] == all_facts(run(PARAMS, [call("/plain", headers=STANDARD)]))


def test_custom_header_is_reported_beside_standard_ones() -> None:
    findings = run(PARAMS, [call("/plain", headers=(*STANDARD, "X-Debug"))])
    finding = only(findings, "request.parameter.undocumented")
    assert param_facts("request.header", "/x-debug") == facts(finding)
    assert {"parameter": "x-debug"} == finding.extra


def test_api_key_security_scheme_names_count_as_declared() -> None:
    assert [] == all_facts(run(PARAMS, [call("/plain", ("api_key",), ("X-API-Key",))]))


def test_api_key_names_are_undocumented_without_the_security_scheme() -> None:
    spec = PARAMS.split("components:")[0] + "paths:" + PARAMS.split("paths:")[1]
    findings = run(spec, [call("/plain", ("api_key",), ("X-API-Key",))])
    assert [
        param_facts("request.header", "/x-api-key"),
        param_facts("request.query", "/api_key"),
    ] == all_facts(findings)


def test_deep_object_and_exploded_object_parameters_accept_any_names() -> None:
    exchanges = [
        call("/search", ("q", "filter[name]", "filter[status]")),
        call("/browse", ("color", "size", "shape")),
    ]
    assert [] == all_facts(run(PARAMS, exchanges))


def test_bracketed_names_are_undocumented_without_a_deep_object_parameter() -> None:
    findings = run(PARAMS, [call("/plain", ("filter[name]",))])
    assert [param_facts("request.query", "/filter[name]")] == all_facts(findings)


def test_array_suffix_matches_the_declared_name() -> None:
    assert [] == all_facts(run(PARAMS, [call("/search", ("q", "tags[]"))]))


def test_array_suffix_of_an_undeclared_name_is_reported() -> None:
    assert [param_facts("request.query", "/tags[]")] == all_facts(
        run(PARAMS, [call("/plain", ("tags[]",))])
    )


def test_missing_required_query_parameter_counts_the_requests_that_lacked_it() -> None:
    exchanges = [call("/search", ("q",)), call("/search", ("limit",)), call("/search", ())]
    finding = only(run(PARAMS, exchanges), "request.parameter.missing-required")
    assert param_facts(
        "request.query", "/q", "/search", 2, 3, "request.parameter.missing-required"
    ) == facts(finding)


def test_required_query_parameter_sent_every_time_yields_nothing() -> None:
    exchanges = [call("/search", ("q",)), call("/search", ("q", "limit")), call("/search", ("q",))]
    assert [] == all_facts(run(PARAMS, exchanges))


# --- request body --------------------------------------------------------------------------------


def test_absent_required_request_body_is_reported_at_the_root() -> None:
    finding = only(
        run(ORDERS, [post_order(NO_BODY), post_order()]), "request.body.missing-required"
    )
    assert Facts(
        "request.body.missing-required", "POST", "/orders", None, "request.body", "", "web", 1, 2
    ) == facts(finding)


def test_absent_optional_request_body_yields_nothing() -> None:
    spec = one_schema(obj(v=INT), body_required=False)
    assert [] == all_facts(run(spec, [exchange("POST", "/things", 204, consumer="web")]))


def test_request_body_rules_report_missing_mistyped_and_undocumented_fields() -> None:
    schema = {
        "type": "object",
        "required": ["sku", "quantity"],
        "properties": {"sku": STR, "quantity": INT},
    }
    findings = send(
        one_schema(schema),
        {"sku": "a", "quantity": "2", "note": "x"},
        {"quantity": 1},
        {"sku": "b", "quantity": 3},
    )
    assert [
        request_facts("/sku", "request.body.missing-required", 1, 3),
        request_facts("/quantity", "request.body.type-mismatch", 1, 3),
        request_facts("/note", "request.body.undocumented-field", 1, 3),
    ] == [facts(f) for f in sorted(findings, key=lambda f: f.kind)]


def test_conforming_request_bodies_yield_nothing() -> None:
    schema = {
        "type": "object",
        "required": ["sku", "quantity"],
        "properties": {"sku": STR, "quantity": INT},
    }
    assert [] == all_facts(
        send(one_schema(schema), {"sku": "a", "quantity": 2}, {"sku": "b", "quantity": 3})
    )


# --- operations ----------------------------------------------------------------------------------


def test_undocumented_path_is_reported_with_its_inferred_template() -> None:
    exchanges = [
        exchange("GET", "/orders/1", consumer="web"),
        exchange("GET", "/orders/2", consumer="mobile"),
    ]
    finding = only(run(TWO_OPS, exchanges), "operation.undocumented")
    assert Facts(
        "operation.undocumented", "GET", "/orders/{id}", None, "operation", "", None, 2, 2
    ) == facts(finding)
    assert False is finding.operation.declared
    assert (ConsumerCount("mobile", 1), ConsumerCount("web", 1)) == finding.evidence.consumers


def test_declared_paths_are_not_undocumented() -> None:
    assert [] == all_facts(run(TWO_OPS, [exchange("GET", "/a"), exchange("GET", "/b")]))


def test_undocumented_method_on_a_declared_path_uses_the_declared_template() -> None:
    finding = only(run(ORDERS, [exchange("DELETE", "/orders/7", 204)]), "operation.undocumented")
    assert Facts(
        "operation.undocumented", "DELETE", "/orders/{id}", None, "operation", "", None, 1, 1
    ) == facts(finding)
    assert False is finding.operation.declared


def test_declared_method_on_the_same_path_yields_nothing() -> None:
    assert [] == all_facts(run(ORDERS, [get_order()]))


def test_head_on_a_get_operation_is_not_an_undocumented_operation() -> None:
    """The router serves HEAD with the GET template's operation and the Observer files it as
    declared; compare then looks (HEAD, path) up among declared operations, finds none, and
    reports an undocumented operation (skipping every request/response rule as well)."""
    findings = run(ORDERS, [exchange("HEAD", "/orders/1", 200)])
    assert [] == all_facts(find(findings, "operation.undocumented"))


USERS = """
openapi: 3.0.3
info: {title: Users, version: '1'}
paths:
  /users/{id}:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer}}}
  /users/me:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {login: {type: string}}}
"""


def test_literal_path_is_routed_before_a_templated_one() -> None:
    """`/users/me` is declared after `/users/{id}`; its own schema still applies to it."""
    assert [] == all_facts(run(USERS, [exchange("GET", "/users/me", 200, {"login": "ann"})]))
    finding = only(
        run(USERS, [exchange("GET", "/users/me", 200, {"id": 1})]),
        "response.body.undocumented-field",
    )
    assert ("/users/me", "/id") == (finding.operation.path, finding.pointer)


def test_other_values_are_routed_to_the_templated_path() -> None:
    assert [] == all_facts(run(USERS, [exchange("GET", "/users/42", 200, {"id": 42})]))
    finding = only(
        run(USERS, [exchange("GET", "/users/42", 200, {"login": "ann"})]),
        "response.body.undocumented-field",
    )
    assert ("/users/{id}", "/login") == (finding.operation.path, finding.pointer)


def test_servers_base_path_is_matched_with_and_without_the_prefix() -> None:
    exchanges = [
        exchange("GET", "/v1/orders/1", 200, ORDER),
        exchange("GET", "/orders/2", 200, ORDER),
    ]
    assert [] == all_facts(run(ORDERS, exchanges))


def test_path_under_another_prefix_is_undocumented() -> None:
    finding = only(
        run(ORDERS, [exchange("GET", "/v2/orders/1", 200, ORDER)]), "operation.undocumented"
    )
    assert "/v2/orders/{id}" == finding.operation.path


def test_undocumented_path_under_the_base_path_is_reported_without_it() -> None:
    finding = only(run(ORDERS, [exchange("GET", "/v1/refunds/3", 200)]), "operation.undocumented")
    assert "/refunds/{id}" == finding.operation.path


def test_deprecated_operation_in_use_is_reported_once_per_consumer() -> None:
    exchanges = [exchange("GET", "/legacy/orders", consumer=c) for c in ("web", "web", "mobile")]
    findings = find(run(ORDERS, exchanges), "operation.deprecated-in-use")
    kind = "operation.deprecated-in-use"
    assert [
        Facts(kind, "GET", "/legacy/orders", None, "operation", "", "mobile", 1, 3),
        Facts(kind, "GET", "/legacy/orders", None, "operation", "", "web", 2, 3),
    ] == all_facts(findings)
    assert [Severity.WARNING, Severity.WARNING] == [f.severity for f in findings]


def sunset_spec(sunset: str) -> str:
    return f"""
openapi: 3.0.3
info: {{title: Sunset, version: '1'}}
paths:
  /old:
    get:
      deprecated: true
      x-sunset: {sunset}
      responses: {{'200': {{description: ok}}}}
"""


@pytest.mark.parametrize(
    "sunset, date",
    [("'2024-05-15'", "2024-05-15"), ("2024-05-15", "2024-05-15"), ("'2024-06-01'", "2024-06-01")],
    ids=["quoted", "yaml-date", "today"],
)
def test_call_on_or_after_the_sunset_date_is_an_error(sunset: str, date: str) -> None:
    """`now` is 2024-06-01; an unquoted YAML date is read like a quoted one."""
    finding = only(
        run(sunset_spec(sunset), [exchange("GET", "/old", consumer="web")]),
        "operation.deprecated-in-use",
    )
    assert (Severity.ERROR, f"deprecated, sunset {date}") == (finding.severity, finding.declared)


def test_call_before_the_sunset_date_is_a_warning() -> None:
    finding = only(
        run(sunset_spec("'2024-12-31'"), [exchange("GET", "/old", consumer="web")]),
        "operation.deprecated-in-use",
    )
    assert Severity.WARNING == finding.severity


def test_operation_with_only_a_sunset_date_counts_as_deprecated() -> None:
    spec = sunset_spec("'2024-12-31'").replace("deprecated: true", "summary: old")
    finding = only(
        run(spec, [exchange("GET", "/old", consumer="web")]), "operation.deprecated-in-use"
    )
    assert ("web", 1, 1) == (finding.consumer, finding.evidence.count, finding.evidence.total)


def test_unused_operations_are_not_reported_by_default() -> None:
    assert [] == all_facts(run(TWO_OPS, [exchange("GET", "/a")]))


def test_unused_operations_are_reported_when_asked() -> None:
    findings = run(TWO_OPS, [], Policy(report_unused=True))
    assert [
        Facts("operation.unused", "GET", "/a", None, "operation", "", None, 0, 0),
        Facts("operation.unused", "GET", "/b", None, "operation", "", None, 0, 0),
    ] == all_facts(findings)
    assert {Severity.INFO} == {f.severity for f in findings}


# --- evidence ------------------------------------------------------------------------------------


def test_first_and_last_seen_come_from_the_drifting_consumers_timestamps() -> None:
    """`batch` only ever sent conforming bodies, earlier and later: its times do not count."""
    drift = changed(ORDER, internal_ref="x")
    exchanges = [
        get_order(ORDER, consumer="batch", when=at(0)),
        get_order(drift, when=at(5)),
        get_order(drift, when=at(1), consumer="mobile"),
        get_order(drift, when=at(9)),
        get_order(ORDER, consumer="batch", when=at(30)),
    ]
    finding = only(run(ORDERS, exchanges), "response.body.undocumented-field")
    assert (at(1), at(9)) == (finding.evidence.first_seen, finding.evidence.last_seen)


def test_request_finding_times_span_the_consumers_requests() -> None:
    exchanges = [list_orders(("debug",), when=at(7)), list_orders(("debug",), when=at(3))]
    finding = only(run(ORDERS, exchanges), "request.parameter.undocumented")
    assert (at(3), at(7)) == (finding.evidence.first_seen, finding.evidence.last_seen)


def test_evidence_lists_each_consumer_that_saw_the_drift_with_its_count() -> None:
    drift = changed(ORDER, internal_ref="x")
    exchanges = [
        get_order(drift),
        get_order(drift),
        get_order(ORDER),
        get_order(drift, consumer="mobile"),
        get_order(drift, consumer=None),
        get_order(ORDER, consumer="batch"),
    ]
    finding = only(run(ORDERS, exchanges), "response.body.undocumented-field")
    assert (4, 6) == (finding.evidence.count, finding.evidence.total)
    assert (
        ConsumerCount("web", 2),
        ConsumerCount("(unidentified)", 1),
        ConsumerCount("mobile", 1),
    ) == finding.evidence.consumers


def test_finding_ids_are_stable_across_runs() -> None:
    """Same drift, other order, more traffic, later times: same ids (evidence is not in the id)."""
    exchanges = [
        get_order(changed(ORDER, internal_ref="x")),
        list_orders(("debug",)),
        exchange("GET", "/x/1"),
    ]
    later = [get_order(when=at(60)), *reversed(exchanges), list_orders(("debug",), when=at(90))]
    first, second = run(ORDERS, exchanges), run(ORDERS, later)
    assert 3 == len({f.id for f in first})
    assert sorted(f.id for f in first) == sorted(f.id for f in second)


def test_request_finding_ids_differ_per_consumer() -> None:
    findings = run(ORDERS, [list_orders(("debug",)), list_orders(("debug",), consumer="mobile")])
    by_consumer = {f.consumer: f for f in find(findings, "request.parameter.undocumented")}
    web, mobile = by_consumer["web"], by_consumer["mobile"]
    assert replace(facts(web), consumer="mobile") == facts(mobile)
    assert web.id != mobile.id


# --- policy --------------------------------------------------------------------------------------


def test_min_count_drops_findings_seen_fewer_times() -> None:
    exchanges = [
        get_order(changed(ORDER, once=1)),
        get_order(changed(ORDER, twice=1)),
        get_order(changed(ORDER, twice=2)),
    ]
    kept = run(ORDERS, exchanges, Policy(min_count=2))
    assert ["/twice"] == [f.pointer for f in kept]


def test_min_count_of_one_keeps_single_occurrences() -> None:
    exchanges = [
        get_order(changed(ORDER, once=1)),
        get_order(changed(ORDER, twice=1)),
        get_order(changed(ORDER, twice=2)),
    ]
    assert ["/once", "/twice"] == sorted(f.pointer for f in run(ORDERS, exchanges))


def test_severity_override_applies_to_its_kind_only() -> None:
    exchanges = [get_order(changed(ORDER, internal_ref="x", created_at="yesterday"))]
    policy = Policy(severity={"response.body.undocumented-field": Severity.ERROR})
    by_kind = {f.kind: f.severity for f in run(ORDERS, exchanges, policy)}
    assert {
        "response.body.undocumented-field": Severity.ERROR,
        "response.body.format-mismatch": Severity.WARNING,
    } == by_kind


def test_past_sunset_keeps_deprecated_in_use_an_error_despite_a_lower_override() -> None:
    policy = Policy(severity={"operation.deprecated-in-use": Severity.INFO})
    past = only(
        run(sunset_spec("'2024-05-15'"), [exchange("GET", "/old")], policy),
        "operation.deprecated-in-use",
    )
    future = only(
        run(sunset_spec("'2024-12-31'"), [exchange("GET", "/old")], policy),
        "operation.deprecated-in-use",
    )
    assert (Severity.ERROR, Severity.INFO) == (past.severity, future.severity)
