"""`drift infer`: schema rules, paths and parameters, the round trip, and `--update`."""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator.validation import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from drift.core.compare import Policy, compare
from drift.core.contract.dialects import OAS30
from drift.core.contract.model import Contract
from drift.core.contract.openapi import build_contract
from drift.core.exchange import Body, BodyState, Exchange
from drift.core.findings import Finding
from drift.core.infer import SchemaRules, infer_document, node_schema, update_document
from drift.core.infer.paths import operation_id, plan_paths
from drift.core.infer.text import TextDocument
from drift.core.observation import Observation, ObservationKey
from drift.core.observe import Observer
from drift.core.shape import Node
from drift.edges.check import run_check
from drift.edges.contracts import load_contract
from drift.edges.infer import run_infer
from drift.errors import ContractError, InputError
from tests.conftest import CORPUS, CORPUS_PAIRS, ROOT, needs_corpus
from tests.injection import (
    INJECTED_PARAM,
    body_mutations,
    set_response_json,
    with_query,
    with_status,
)
from tests.strategies import exchange_lists

NOW = datetime(2026, 11, 21, tzinfo=UTC)
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
UUIDS = [f"123e4567-e89b-12d3-a456-4266141740{i:02d}" for i in range(40)]
ORDERS = ROOT / "config" / "examples" / "orders"
ORDERS_SPEC = ORDERS / "openapi.yaml"
ORDERS_HAR = ORDERS / "traffic.har"
CONSUMER_HEADER = "X-Consumer-Id"
UNDOCUMENTED = {
    "operation.undocumented",
    "request.parameter.undocumented",
    "request.body.undocumented-field",
    "response.status.undocumented",
    "response.content-type.undocumented",
    "response.body.undocumented-field",
}


# -- helpers ---------------------------------------------------------------------------------


def shape(*values: Any, name: str = "") -> Node:
    node = Node()
    for value in values:
        node.add(value, name)
    return node


def schema_of(*values: Any, name: str = "", **rules: Any) -> dict[str, Any]:
    return node_schema(shape(*values, name=name), SchemaRules(**rules))


def empty_contract(service: str = "svc") -> Contract:
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    return build_contract({"mem:/empty": doc}, "mem:/empty", source="empty", service=service)


def exchange(
    path: str = "/things",
    *,
    method: str = "GET",
    status: int = 200,
    response: Any = None,
    request: Any = None,
    query: Sequence[str] = (),
    headers: Sequence[str] = (),
    cookies: Sequence[str] = (),
    consumer: str | None = None,
    minute: int = 0,
    media: str = "application/json",
) -> Exchange:
    def body(value: Any) -> Body:
        return (
            Body(None, BodyState.EMPTY) if value is None else Body(media, BodyState.JSON, value, 10)
        )

    return Exchange(
        method=method,
        path=path,
        status=status,
        request=body(request),
        response=body(response),
        query=tuple(query),
        request_headers=tuple(headers),
        cookies=tuple(cookies),
        consumer=consumer,
        timestamp=T0 + timedelta(minutes=minute),
        latency_ms=12.0,
    )


def observe(contract: Contract, exchanges: Iterable[Exchange]) -> dict[ObservationKey, Observation]:
    observer = Observer(contract)
    for ex in exchanges:
        observer.add(ex)
    return observer.snapshot()


def infer(exchanges: Iterable[Exchange], **options: Any) -> dict[str, Any]:
    return infer_document(observe(empty_contract(), exchanges), title="t", **options)


def validate_openapi(doc: dict[str, Any]) -> list[str]:
    version = str(doc.get("openapi", ""))
    validator = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    return [e.message for e in validator(doc).iter_errors()]


def round_trip(exchanges: Sequence[Exchange], **options: Any) -> list[Finding]:
    """Infer a document from `exchanges`, then compare the same exchanges with it."""
    doc = infer(exchanges, **options)
    assert [] == validate_openapi(doc)
    contract = build_contract({"mem:/doc": doc}, "mem:/doc", source="inferred", service="svc")
    policy = Policy(ignore_headers=options.get("ignore_headers", frozenset()))
    return compare(contract, observe(contract, exchanges), policy)


def operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][path][method]
    return op


def response_schema(doc: dict[str, Any], method: str = "get", path: str = "/things") -> Any:
    return operation(doc, method, path)["responses"]["200"]["content"]["application/json"]["schema"]


def only_insertions(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    """Changes other than added lines (a replaced or removed line shows up here)."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        (tag, old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag not in ("equal", "insert")
    ]


def contains(big: Any, small: Any) -> bool:
    """Whether `big` holds everything `small` does (objects may have more keys)."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(
            k in big and contains(big[k], v) for k, v in small.items()
        )
    if isinstance(small, list):
        return (
            isinstance(big, list)
            and len(big) >= len(small)
            and all(contains(b, s) for b, s in zip(big, small, strict=False))
        )
    return bool(big == small)


# -- schema rules ----------------------------------------------------------------------------


def test_integers_stay_integer_and_mixed_numbers_become_number() -> None:
    assert {"type": "integer"} == schema_of(1, 2, 3.0)
    assert {"type": "number"} == schema_of(1, 2.5)


def test_nulls_join_the_type_list_in_31_and_set_nullable_in_30() -> None:
    assert {"type": ["null", "string"]} == schema_of("a", None)
    assert {"type": "string", "nullable": True} == schema_of("a", None, dialect=OAS30)
    assert {"type": "null"} == schema_of(None, None)


def test_several_types_are_listed_in_31_and_left_open_in_30() -> None:
    assert {"type": ["boolean", "integer", "string"]} == schema_of(True, 1, "x")
    assert {"nullable": True} == schema_of(True, "x", None, dialect=OAS30)


def test_format_is_written_only_when_every_string_has_it() -> None:
    assert {"type": "string", "format": "uuid"} == schema_of(*UUIDS[:3])
    assert {"type": "string"} == schema_of(*UUIDS[:3], "not-a-uuid")
    assert {"type": ["null", "string"], "format": "date-time"} == schema_of(
        "2024-01-15T10:30:00Z", None
    )


def test_enum_needs_enough_values_each_seen_twice_and_few_distinct() -> None:
    closed = ["paid", "pending"] * 10  # 20 strings, 2 values
    assert {"type": "string", "enum": ["paid", "pending"]} == schema_of(*closed)
    assert {"type": "string"} == schema_of(*closed[:19])  # fewer than 20 seen
    assert {"type": "string"} == schema_of(*closed, "on_hold")  # a value seen once
    many = [f"v{i}" for i in range(11)] * 2
    assert {"type": "string"} == schema_of(*many)  # 11 distinct values
    ten = [f"v{i}" for i in range(10)] * 2
    assert {"type": "string", "enum": sorted(set(ten))} == schema_of(*ten)


def test_enum_thresholds_are_settings() -> None:
    values = ["a", "b"] * 3
    assert {"type": "string", "enum": ["a", "b"]} == schema_of(*values, enum_min_total=6)
    assert {"type": "string"} == schema_of(*values, enum_min_total=6, enum_max_values=1)


def test_enum_includes_null_when_nulls_were_seen() -> None:
    assert {"type": ["null", "string"], "enum": ["a", "b", None]} == schema_of(
        *(["a", "b"] * 10), None
    )


def test_no_enum_for_other_types_sensitive_names_or_overflowing_sets() -> None:
    assert {"type": "integer"} == schema_of(*([1, 2] * 10))
    assert {"type": ["integer", "string"]} == schema_of(*(["a", "b"] * 10), 3)
    assert {"type": "string"} == schema_of(*(["a", "b"] * 10), name="password")
    assert {"type": "string"} == schema_of(*[f"w{i}" for i in range(30)] * 2)


def test_required_are_properties_present_in_every_object_by_default() -> None:
    objects = [{"id": 1, "note": "x"}] * 9 + [{"id": 2}]
    assert {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "note": {"type": "string", "x-drift-presence": 0.9},
        },
        "required": ["id"],
    } == schema_of(*objects)


def test_required_threshold_lowers_the_bar() -> None:
    objects = [{"id": 1, "note": "x"}] * 9 + [{"id": 2}]
    assert ["id", "note"] == schema_of(*objects, required_threshold=0.9)["required"]
    assert ["id"] == schema_of(*objects, required_threshold=0.95)["required"]
    with pytest.raises(ValueError, match="required_threshold"):
        SchemaRules(required_threshold=0)


def test_maps_keyed_by_data_become_additional_properties() -> None:
    value = {UUIDS[0]: {"qty": 1}, UUIDS[1]: {"qty": 2}}
    assert {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {"qty": {"type": "integer"}},
            "required": ["qty"],
        },
    } == schema_of(value)


def test_arrays_have_items_only_when_items_were_seen() -> None:
    assert {"type": "array", "items": {"type": "string"}} == schema_of(["a"], [])
    assert {"type": "array"} == schema_of([], [])
    assert {"type": "array", "items": {}} == schema_of([], dialect=OAS30)


def test_every_value_validates_against_the_schema_inferred_from_it() -> None:
    values = [{"a": [1, {"b": None}], UUIDS[0]: "x"}, {"a": [], "c": 2.5}, {"a": [3]}]
    validator = jsonschema.Draft202012Validator(schema_of(*values))
    for value in values:
        validator.validate(value)
    assert not validator.is_valid({"c": "text"})


# -- paths, operations, parameters -----------------------------------------------------------


def test_value_like_path_parameters_get_schemas_from_their_class() -> None:
    plan = plan_paths(["/orders/{id}", "/events/{uuid}/days/{date}"])
    assert [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}] == (
        plan.parameters("/orders/{id}")
    )
    assert [
        {"type": "string", "format": "uuid"},
        {"type": "string", "format": "date"},
    ] == [p["schema"] for p in plan.parameters("/events/{uuid}/days/{date}")]


def test_templates_differing_in_names_only_are_one_path() -> None:
    plan = plan_paths(["/lists/{id}/items", "/lists/{param}/items", "/lists/%C3%A4/items"])
    assert {"/lists/{id}/items"} == set(plan.path_of.values())
    assert [{"type": "string"}] == [p["schema"] for p in plan.parameters("/lists/{id}/items")]


def test_literals_that_need_percent_encoding_become_parameters() -> None:
    plan = plan_paths(["/albums/%27/tracks", "/albums/else/tracks"])
    assert {
        "/albums/%27/tracks": "/albums/{param}/tracks",
        "/albums/else/tracks": "/albums/else/tracks",
    } == plan.path_of


def test_declared_templates_keep_their_parameter_names() -> None:
    plan = plan_paths(["/orders/{orderId}", "/orders/{id}/x"], declared=["/orders/{orderId}"])
    assert "/orders/{orderId}" == plan.path_of["/orders/{orderId}"]
    assert [{"type": "string"}] == [p["schema"] for p in plan.parameters("/orders/{orderId}")]


def test_operation_ids_are_derived_from_method_and_path_and_unique() -> None:
    taken: set[str] = set()
    assert "getOrdersByOrderIdInvoice" == operation_id("get", "/orders/{orderId}/invoice", taken)
    assert "getRoot" == operation_id("get", "/", taken)
    assert "getRoot2" == operation_id("get", "/", taken)


def test_query_parameters_are_required_only_when_in_every_request() -> None:
    doc = infer(
        [
            exchange(query=["page", "ids[]", "filter[status]"], headers=["x-tenant", "accept"]),
            exchange(query=["page", "ids"], headers=["x-tenant"], cookies=["session"]),
        ]
    )
    params = {(p["in"], p["name"]): p for p in operation(doc, "get", "/things")["parameters"]}
    assert [
        ("cookie", "session"),
        ("header", "x-tenant"),
        ("query", "filter"),
        ("query", "ids"),
        ("query", "page"),
    ] == sorted(params)
    assert {"query/page", "header/x-tenant"} == {
        f"{loc}/{name}" for (loc, name), p in params.items() if p.get("required")
    }
    assert {"type": "array", "items": {"type": "string"}} == params[("query", "ids")]["schema"]
    assert "deepObject" == params[("query", "filter")]["style"]


def test_the_consumer_header_and_standard_headers_are_not_documented() -> None:
    doc = infer(
        [exchange(headers=["x-consumer-id", "user-agent", "traceparent", "x-tenant"])],
        ignore_headers=frozenset({"x-consumer-id"}),
    )
    names = [p["name"] for p in operation(doc, "get", "/things")["parameters"]]
    assert ["x-tenant"] == names


def test_responses_per_status_and_media_type_with_evidence() -> None:
    doc = infer(
        [
            exchange("/things/1", response={"id": 1}, consumer="web"),
            exchange("/things/2", response={"id": 2}, consumer="web", minute=5),
            exchange(
                "/things/3",
                status=404,
                response={"title": "no"},
                media="application/problem+json",
                consumer="app",
            ),
        ]
    )
    op = operation(doc, "get", "/things/{id}")
    assert ["200", "404"] == list(op["responses"])
    assert ["application/problem+json"] == list(op["responses"]["404"]["content"])
    assert {"count": 2} == op["responses"]["200"]["x-drift-evidence"]
    evidence = op["x-drift-evidence"]
    assert {"app": 1, "web": 2} == evidence["consumers"]
    assert (3, "2026-11-20T09:00:00Z", "2026-11-20T09:05:00Z") == (
        evidence["count"],
        evidence["first_seen"],
        evidence["last_seen"],
    )


def test_request_body_is_required_only_when_every_request_had_one() -> None:
    always = infer([exchange(method="POST", request={"a": 1})] * 2)
    sometimes = infer([exchange(method="POST", request={"a": 1}), exchange(method="POST")])
    assert operation(always, "post", "/things")["requestBody"].get("required") is True
    assert "required" not in operation(sometimes, "post", "/things")["requestBody"]


def test_statuses_openapi_cannot_name_go_under_default() -> None:
    doc = infer([exchange(status=200), exchange(status=799)])
    assert ["200", "default"] == list(operation(doc, "get", "/things")["responses"])


def test_head_requests_get_their_own_operation() -> None:
    doc = infer([exchange(method="HEAD"), exchange(response={"a": 1})])
    assert {"get", "head"} <= set(doc["paths"]["/things"])


def test_output_is_the_same_whatever_order_observations_come_in() -> None:
    exchanges = [
        exchange("/b/1", response={"z": 1, "a": [UUIDS[0]]}, consumer="web", query=["q", "a"]),
        exchange("/a", method="POST", request={"y": True}, status=201, consumer="app"),
        exchange("/b/2", response={"a": []}, consumer="app", minute=3),
    ]
    first = infer(exchanges)
    second = infer(list(reversed(exchanges)))
    observations = observe(empty_contract(), exchanges)
    third = infer_document(dict(reversed(list(observations.items()))), title="t")
    assert yaml.safe_dump(first, sort_keys=False) == yaml.safe_dump(second, sort_keys=False)
    assert yaml.safe_dump(first, sort_keys=False) == yaml.safe_dump(third, sort_keys=False)


# -- the round trip --------------------------------------------------------------------------


def test_round_trip_of_a_varied_api_has_no_findings() -> None:
    exchanges = [
        exchange("/orders/1", response={"id": 1, "status": "paid", "at": "2024-01-15T10:30:00Z"}),
        exchange("/orders/2", response={"id": 2, "status": None, "tags": []}, consumer="web"),
        exchange("/orders/3", status=404, response={"title": "gone"}),
        exchange("/orders", method="POST", request={"lines": [{"sku": "A", "qty": 1}]}, status=201),
        exchange("/orders", method="HEAD", query=["bad name!"], cookies=["theme"]),
        exchange("/users/alice@example.com/settings", response={UUIDS[0]: True}),
        *(exchange("/stats", response={"state": s}) for s in ["up", "down"] * 10),
    ]
    assert [] == round_trip(exchanges)


def test_round_trip_with_a_lower_threshold_reports_the_fields_made_required() -> None:
    exchanges = [exchange(response={"id": 1, "note": "x"})] * 9 + [exchange(response={"id": 1})]
    findings = round_trip(exchanges, required_threshold=0.9)
    assert [("response.body.missing-required", "/note", 1)] == [
        (f.kind, f.pointer, f.evidence.count) for f in findings
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exchange_lists(max_size=8))
def test_any_traffic_round_trips_without_findings(exchanges: list[Exchange]) -> None:
    assert [] == [(f.kind, f.operation.path, f.pointer) for f in round_trip(exchanges)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exchange_lists(max_size=8))
def test_every_observed_body_validates_against_its_inferred_schema(
    exchanges: list[Exchange],
) -> None:
    doc = infer(exchanges)
    for ex in exchanges:
        if ex.response.state != BodyState.JSON:
            continue
        path = next(iter(p for p in doc["paths"] if _matches(p, ex.path)))
        responses = doc["paths"][path][ex.method.lower()]["responses"]
        schema = responses[str(ex.status)]["content"][ex.response.media_type]["schema"]
        jsonschema.Draft202012Validator(schema).validate(ex.response.value)


def _matches(template: str, path: str) -> bool:
    parts, concrete = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(concrete) and all(
        t == c or t.startswith("{") for t, c in zip(parts, concrete, strict=True)
    )


def test_orders_example_round_trips_with_consumers(tmp_path: Path) -> None:
    text = run_infer(hars=[ORDERS_HAR], consumer_header=CONSUMER_HEADER)
    doc = yaml.safe_load(text)
    assert [] == validate_openapi(doc)
    assert {"web": 20} == operation(doc, "get", "/v1/internal/stats")["x-drift-evidence"][
        "consumers"
    ]
    inferred = tmp_path / "inferred.yaml"
    inferred.write_text(text)
    assert [] == check(inferred, ORDERS_HAR)


def check(contract: Path, har: Path) -> list[Finding]:
    policy = Policy(ignore_headers=frozenset({CONSUMER_HEADER.lower()}))
    report = run_check(contract, [har], now=NOW, consumer_header=CONSUMER_HEADER, policy=policy)
    return list(report.findings)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("routing", ["traffic-only", "with-contract"])
@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_corpus_traffic_round_trips_without_findings(
    name: str, routing: str, tmp_path: Path
) -> None:
    har = CORPUS / "traffic" / f"{name}.har"
    if not har.is_file():
        pytest.skip(f"{har} is not present")
    spec = CORPUS / "specs" / CORPUS_PAIRS[name] if routing == "with-contract" else None
    text = run_infer(hars=[har], contract_path=spec, fmt="json")
    doc = json.loads(text)
    assert [] == validate_openapi(doc)
    assert doc["paths"]
    inferred = tmp_path / "inferred.json"
    inferred.write_text(text)
    report = run_check(inferred, [har], now=NOW)
    assert [] == [(f.kind, f.operation.path, f.pointer) for f in report.findings]


# -- --update --------------------------------------------------------------------------------


def commented_orders_contract() -> str:
    text = ORDERS_SPEC.read_text()
    replacements = [
        ("openapi: 3.0.3\n", "# Orders API: the example producer's contract.\nopenapi: 3.0.3\n"),
        ("paths:\n", "paths:  # every operation the producer promises\n"),
        (
            "  /orders/{orderId}/invoice:\n",
            "  # Legacy: use the billing API.\n  /orders/{orderId}/invoice:\n",
        ),
        ("components:\n", "\n# ---- shared schemas ----\ncomponents:\n"),
        ("        note: {type: string}\n", "        note: {type: string}  # free text\n"),
        ("      deprecated: true\n", "      deprecated: true   # since 1.3\n"),
    ]
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    return text


def update_orders(tmp_path: Path, text: str, suffix: str = ".yaml") -> tuple[Path, str]:
    spec = tmp_path / f"orders{suffix}"
    spec.write_text(text)
    updated = run_infer(hars=[ORDERS_HAR], update=spec, consumer_header=CONSUMER_HEADER)
    out = tmp_path / f"updated{suffix}"
    out.write_text(updated)
    return out, updated


def test_update_adds_the_undocumented_parts_marked_incidental(tmp_path: Path) -> None:
    _, updated = update_orders(tmp_path, commented_orders_contract())
    doc = yaml.safe_load(updated)
    discount = doc["components"]["schemas"]["Order"]["properties"]["discount"]
    assert ("number", "incidental") == (discount["type"], discount["x-stability"])
    assert {"billing": 20, "web": 80} == discount["x-drift-evidence"]["consumers"]
    include = [p for p in doc["paths"]["/orders"]["get"]["parameters"] if p["name"] == "include"]
    assert [("query", "incidental")] == [(p["in"], p["x-stability"]) for p in include]
    not_found = doc["paths"]["/orders/{orderId}"]["get"]["responses"]["404"]
    assert "incidental" == not_found["x-stability"]
    assert ["application/problem+json"] == list(not_found["content"])
    stats = doc["paths"]["/internal/stats"]["get"]
    assert ("incidental", {"web": 20}) == (
        stats["x-stability"],
        stats["x-drift-evidence"]["consumers"],
    )
    assert [] == validate_openapi(doc)


def test_update_only_adds_lines_and_keeps_comments(tmp_path: Path) -> None:
    original = commented_orders_contract()
    _, updated = update_orders(tmp_path, original)
    assert [] == only_insertions(original, updated)
    assert len(updated.splitlines()) > len(original.splitlines())
    comments = [line for line in original.splitlines() if "#" in line and "$ref" not in line]
    assert comments == [line for line in updated.splitlines() if line in comments]


def test_check_against_the_updated_contract_reports_only_the_real_drift(tmp_path: Path) -> None:
    spec, _ = update_orders(tmp_path, commented_orders_contract())
    assert {
        ("operation.deprecated-in-use", "/orders/{orderId}/invoice", ""),
        ("response.body.enum-violation", "/orders/{orderId}", "/status"),
    } == {(f.kind, f.operation.path, f.pointer) for f in check(spec, ORDERS_HAR)}
    before = {f.kind for f in check(ORDERS_SPEC, ORDERS_HAR)}
    assert {"response.body.undocumented-field", "operation.undocumented"} <= before


def test_update_of_a_json_contract_keeps_it_json_and_every_declared_value(tmp_path: Path) -> None:
    original = json.dumps(yaml.safe_load(ORDERS_SPEC.read_text()), indent=2) + "\n"
    spec, updated = update_orders(tmp_path, original, suffix=".json")
    before, after = json.loads(original), json.loads(updated)
    assert contains(after, before)
    assert "incidental" == after["paths"]["/internal/stats"]["get"]["x-stability"]
    assert [] == [change for change in only_insertions(original, updated) if change[0] == "delete"]
    assert {"operation.deprecated-in-use", "response.body.enum-violation"} == {
        f.kind for f in check(spec, ORDERS_HAR)
    }


def test_update_with_nothing_undocumented_changes_nothing() -> None:
    observations = observe(load_contract(ORDERS_SPEC), [])
    text = ORDERS_SPEC.read_text()
    assert text == update_document(text, observations, load_contract(ORDERS_SPEC))


def test_update_refuses_swagger_2(tmp_path: Path) -> None:
    spec = tmp_path / "swagger.yaml"
    spec.write_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
    with pytest.raises(ContractError, match=r"Swagger 2\.0"):
        run_infer(hars=[ORDERS_HAR], update=spec)


def test_threshold_outside_zero_to_one_is_bad_input() -> None:
    with pytest.raises(InputError, match="threshold"):
        run_infer(hars=[ORDERS_HAR], threshold=0)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_corpus_update_with_conforming_traffic_is_byte_identical(name: str) -> None:
    spec = CORPUS / "specs" / CORPUS_PAIRS[name]
    assert spec.read_text() == run_infer(hars=[CORPUS / "traffic" / f"{name}.har"], update=spec)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS_PAIRS))
def test_corpus_update_covers_planted_undocumented_parts(name: str, tmp_path: Path) -> None:
    spec = CORPUS / "specs" / CORPUS_PAIRS[name]
    contract = load_contract(spec)
    har = json.loads((CORPUS / "traffic" / f"{name}.har").read_text())
    entries = har["log"]["entries"]
    field = body_mutations(contract, entries).get("response.body.undocumented-field")
    if field is not None:
        set_response_json(entries[field[0]], field[1])
    status = with_status(contract, entries)
    if status is not None:
        entries[status[0]]["response"]["status"] = 418
    query = with_query(contract, entries)
    assert query is not None
    request = entries[query[0]]["request"]
    request["url"] += ("&" if "?" in request["url"] else "?") + f"{INJECTED_PARAM}=v"
    request.setdefault("queryString", []).append({"name": INJECTED_PARAM, "value": "v"})
    extra = copy.deepcopy(entries[0])
    extra["request"]["method"] = "GET"
    extra["request"]["url"] = (
        "/".join(extra["request"]["url"].split("/", 3)[:3]) + "/drift-injected/7"
    )
    extra["request"]["queryString"] = []
    entries.append(extra)
    planted = tmp_path / "planted.har"
    planted.write_text(json.dumps(har))
    before = {f.kind for f in run_check(spec, [planted], now=NOW).findings} & UNDOCUMENTED
    assert {"operation.undocumented", "request.parameter.undocumented"} <= before

    original = spec.read_text()
    updated = run_infer(hars=[planted], update=spec)
    out = tmp_path / f"updated{spec.suffix}"
    out.write_text(updated)
    after = run_check(out, [planted], now=NOW).findings
    assert [] == [(f.kind, f.operation.path, f.pointer) for f in after if f.kind in UNDOCUMENTED]
    load = json.loads if spec.suffix == ".json" else yaml.safe_load
    assert contains(load(updated), load(original))
    assert len(validate_openapi(load(original))) == len(validate_openapi(load(updated)))
    if spec.suffix != ".json":
        assert [] == only_insertions(original, updated)


def test_infer_from_the_store_equals_infer_from_the_har(tmp_path: Path) -> None:
    from drift.edges.store import Batch, Store, bucket_start

    contract = load_contract(ORDERS_SPEC)
    observations = observe(contract, _orders_exchanges(contract))
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    with Store.open(url) as store:
        items = [(k, bucket_start(o.first_seen or T0), o) for k, o in observations.items()]
        assert store.flush(Batch("b1", "test", items))
    from_store = run_infer(
        store_url=url, contract_path=ORDERS_SPEC, consumer_header=CONSUMER_HEADER
    )
    from_har = run_infer(
        hars=[ORDERS_HAR], contract_path=ORDERS_SPEC, consumer_header=CONSUMER_HEADER
    )
    assert from_har == from_store


def _orders_exchanges(contract: Contract) -> list[Exchange]:
    from drift.edges.har import read_har

    return read_har(ORDERS_HAR, consumer_header=CONSUMER_HEADER, service=contract.service).exchanges


# -- text insertion --------------------------------------------------------------------------


def test_insertions_go_after_block_scalars_flow_mappings_and_a_missing_final_newline() -> None:
    text = "a:\n  e: {x: 1}\n  d: |\n    line\n    # not a comment\n\nb:\n  - 1\nc: 2"
    doc = TextDocument(text)
    a = doc.get(doc.root, "a")
    doc.add_member(a, "new", {"k": [1]})
    doc.add_member(doc.get(a, "e"), "y", 2)
    doc.append_item(doc.get(doc.root, "b"), {"z": None})
    doc.add_member(doc.root, "last", True)
    out = doc.render()
    assert {
        "a": {"d": "line\n# not a comment\n", "e": {"x": 1, "y": 2}, "new": {"k": [1]}},
        "b": [1, {"z": None}],
        "c": 2,
        "last": True,
    } == yaml.safe_load(out)
    assert [["  e: {x: 1}"]] == [old for _, old, _ in only_insertions(text, out)]
    assert '  e: {x: 1, "y": 2}' in out.splitlines()


def test_insertions_into_pretty_json_keep_its_indent_and_line_endings() -> None:
    text = '{\r\n  "a": {\r\n    "b": 1\r\n  },\r\n  "c": []\r\n}'
    doc = TextDocument(text)
    doc.add_member(doc.get(doc.root, "a"), "n", {"m": 2})
    doc.append_item(doc.get(doc.root, "c"), "x")
    out = doc.render()
    assert {"a": {"b": 1, "n": {"m": 2}}, "c": ["x"]} == json.loads(out)
    assert '    "b": 1,\r\n    "n": {\r\n      "m": 2\r\n    }\r\n' in out


def test_local_refs_are_followed_and_other_files_are_not() -> None:
    text = "x: {$ref: '#/defs/y'}\ndefs:\n  y: {$ref: '#/defs/z'}\n  z: {v: 1}\nw: {$ref: 'other.yaml#/a'}\n"
    doc = TextDocument(text)
    assert "1" == doc.scalar(doc.get(doc.deref(doc.get(doc.root, "x")), "v"))
    assert doc.deref(doc.get(doc.root, "w")) is None
