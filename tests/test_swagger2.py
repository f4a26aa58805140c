"""Swagger 2.0 -> OpenAPI 3.0.3 conversion (`drift.core.contract.swagger2`)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from drift.core.contract.swagger2 import Problem, convert_swagger2
from tests.conftest import CORPUS, needs_corpus

SWAGGER2_FILES = [
    "kubernetes__1.28.0-swagger2.json",
    "netlify__swagger2.yaml",
    "oai__uber-swagger2.yaml",
]
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def swagger(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    doc.update(fields)
    return doc


def with_op(op: dict[str, Any], path: str = "/pets", **fields: Any) -> dict[str, Any]:
    return swagger(
        paths={path: {"get": {"responses": {"200": {"description": "ok"}}, **op}}}, **fields
    )


def converted_op(op: dict[str, Any], path: str = "/pets", **fields: Any) -> dict[str, Any]:
    result, _ = convert_swagger2(with_op(op, path, **fields))
    operation: dict[str, Any] = result["paths"][path]["get"]
    return operation


# -- document, servers and components -------------------------------------------------------


def test_rejects_input_that_is_not_a_mapping() -> None:
    with pytest.raises(ValueError, match="mapping"):
        convert_swagger2([])  # type: ignore[arg-type]


def test_rejects_documents_that_are_not_swagger_2() -> None:
    with pytest.raises(ValueError, match=r"Swagger 2\.0"):
        convert_swagger2({"openapi": "3.0.3", "info": {}, "paths": {}})


def test_sets_openapi_version_and_copies_info() -> None:
    info = {"title": "Pets", "version": "2.1", "x-logo": "l.png"}
    result, problems = convert_swagger2(swagger(info=info))
    assert ("3.0.3", info, []) == (result["openapi"], result["info"], problems)


def test_host_base_path_and_schemes_become_one_server_per_scheme() -> None:
    result, _ = convert_swagger2(
        swagger(host="api.uber.com", basePath="/v1", schemes=["https", "http"])
    )
    assert [{"url": "https://api.uber.com/v1"}, {"url": "http://api.uber.com/v1"}] == result[
        "servers"
    ]


def test_host_without_schemes_becomes_a_scheme_relative_server() -> None:
    result, _ = convert_swagger2(swagger(host="api.example.com", basePath="/v2/"))
    assert [{"url": "//api.example.com/v2"}] == result["servers"]


def test_missing_host_gives_a_relative_server_from_base_path() -> None:
    result, _ = convert_swagger2(swagger(basePath="/api"))
    assert [{"url": "/api"}] == result["servers"]


def test_missing_host_and_base_path_gives_root_server() -> None:
    result, _ = convert_swagger2(swagger())
    assert [{"url": "/"}] == result["servers"]


def test_root_schemes_without_host_are_reported() -> None:
    _, problems = convert_swagger2(swagger(schemes=["https"]))
    assert [Problem("/schemes", "schemes cannot be expressed without a host; dropped")] == problems


def test_definitions_become_component_schemas_with_rewritten_refs() -> None:
    definitions = {
        "Pet": {"type": "object", "properties": {"owner": {"$ref": "#/definitions/Person"}}},
        "Person": {"type": "object"},
    }
    result, _ = convert_swagger2(swagger(definitions=definitions))
    expected = {
        "Pet": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Person"}}},
        "Person": {"type": "object"},
    }
    assert expected == result["components"]["schemas"]


def test_root_parameters_split_into_parameters_and_request_bodies() -> None:
    parameters = {
        "limit": {"name": "limit", "in": "query", "type": "integer"},
        "pet": {"name": "pet", "in": "body", "required": True, "schema": {"type": "object"}},
    }
    result, _ = convert_swagger2(swagger(parameters=parameters, consumes=["application/xml"]))
    expected = {
        "parameters": {"limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}},
        "requestBodies": {
            "pet": {
                "required": True,
                "content": {"application/xml": {"schema": {"type": "object"}}},
            }
        },
    }
    assert expected == result["components"]


def test_refs_to_root_parameters_point_at_parameters_or_request_bodies() -> None:
    parameters = {
        "limit": {"name": "limit", "in": "query", "type": "integer"},
        "pet": {"name": "pet", "in": "body", "schema": {"type": "object"}},
    }
    op = {"parameters": [{"$ref": "#/parameters/limit"}, {"$ref": "#/parameters/pet"}]}
    operation = converted_op(op, parameters=parameters)
    assert [{"$ref": "#/components/parameters/limit"}] == operation["parameters"]
    assert {"$ref": "#/components/requestBodies/pet"} == operation["requestBody"]


def test_body_ref_is_inlined_when_operation_consumes_other_media_types() -> None:
    parameters = {"pet": {"name": "pet", "in": "body", "schema": {"$ref": "#/definitions/Pet"}}}
    op = {"consumes": ["*/*"], "parameters": [{"$ref": "#/parameters/pet"}]}
    operation = converted_op(op, parameters=parameters)
    expected = {"content": {"*/*": {"schema": {"$ref": "#/components/schemas/Pet"}}}}
    assert expected == operation["requestBody"]


def test_root_responses_become_component_responses_and_refs_are_rewritten() -> None:
    responses = {"error": {"description": "error", "schema": {"$ref": "#/definitions/Error"}}}
    doc = with_op({"responses": {"default": {"$ref": "#/responses/error"}}}, responses=responses)
    result, _ = convert_swagger2(doc)
    expected_component = {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    assert {"error": expected_component} == result["components"]["responses"]
    expected_responses = {"default": {"$ref": "#/components/responses/error"}}
    assert expected_responses == result["paths"]["/pets"]["get"]["responses"]


def test_response_ref_is_inlined_when_operation_produces_other_media_types() -> None:
    responses = {"error": {"description": "error", "schema": {"type": "string"}}}
    op = {"produces": ["text/plain"], "responses": {"500": {"$ref": "#/responses/error"}}}
    operation = converted_op(op, responses=responses)
    expected = {"description": "error", "content": {"text/plain": {"schema": {"type": "string"}}}}
    assert {"500": expected} == operation["responses"]


def test_basic_security_becomes_http_basic() -> None:
    result, _ = convert_swagger2(
        swagger(securityDefinitions={"b": {"type": "basic", "description": "d"}})
    )
    assert {"b": {"type": "http", "scheme": "basic", "description": "d"}} == result["components"][
        "securitySchemes"
    ]


def test_api_key_security_is_kept() -> None:
    scheme = {"type": "apiKey", "name": "server_token", "in": "query", "x-note": 1}
    result, _ = convert_swagger2(swagger(securityDefinitions={"k": scheme}))
    assert {"k": scheme} == result["components"]["securitySchemes"]


@pytest.mark.parametrize(
    ("v2", "v3"),
    [
        (
            {"flow": "implicit", "authorizationUrl": "https://a"},
            {"implicit": {"authorizationUrl": "https://a", "scopes": {"r": "read"}}},
        ),
        (
            {"flow": "password", "tokenUrl": "https://t"},
            {"password": {"tokenUrl": "https://t", "scopes": {"r": "read"}}},
        ),
        (
            {"flow": "application", "tokenUrl": "https://t"},
            {"clientCredentials": {"tokenUrl": "https://t", "scopes": {"r": "read"}}},
        ),
        (
            {"flow": "accessCode", "authorizationUrl": "https://a", "tokenUrl": "https://t"},
            {
                "authorizationCode": {
                    "authorizationUrl": "https://a",
                    "tokenUrl": "https://t",
                    "scopes": {"r": "read"},
                }
            },
        ),
    ],
)
def test_oauth2_flows_are_renamed(v2: dict[str, Any], v3: dict[str, Any]) -> None:
    scheme = {"type": "oauth2", "scopes": {"r": "read"}, **v2}
    result, _ = convert_swagger2(swagger(securityDefinitions={"o": scheme}))
    assert {"o": {"type": "oauth2", "flows": v3}} == result["components"]["securitySchemes"]


def test_unknown_oauth2_flow_is_a_problem_and_skipped() -> None:
    doc = swagger(securityDefinitions={"o": {"type": "oauth2", "flow": "device"}})
    result, problems = convert_swagger2(doc)
    assert {} == result.get("components", {})
    assert ["/securityDefinitions/o/flow"] == [p.pointer for p in problems]


# -- references --------------------------------------------------------------------------


def test_refs_are_rewritten_inside_nested_schemas() -> None:
    schema = {
        "allOf": [{"$ref": "#/definitions/A"}],
        "properties": {
            "list": {"type": "array", "items": {"$ref": "#/definitions/B"}},
            "map": {"type": "object", "additionalProperties": {"$ref": "#/definitions/C"}},
        },
    }
    result, _ = convert_swagger2(swagger(definitions={"X": schema}))
    expected = {
        "allOf": [{"$ref": "#/components/schemas/A"}],
        "properties": {
            "list": {"type": "array", "items": {"$ref": "#/components/schemas/B"}},
            "map": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/C"}},
        },
    }
    assert expected == result["components"]["schemas"]["X"]


def test_refs_to_other_files_keep_the_file_and_rewrite_the_fragment() -> None:
    definitions = {
        "A": {"$ref": "common.yaml#/definitions/Error"},
        "B": {"$ref": "common.yaml"},
        "C": {"$ref": "https://x.test/s.json#/responses/R"},
    }
    result, _ = convert_swagger2(swagger(definitions=definitions))
    expected = {
        "A": {"$ref": "common.yaml#/components/schemas/Error"},
        "B": {"$ref": "common.yaml"},
        "C": {"$ref": "https://x.test/s.json#/components/responses/R"},
    }
    assert expected == result["components"]["schemas"]


def test_unresolved_local_parameter_ref_is_a_problem_with_escaped_pointer() -> None:
    result, problems = convert_swagger2(with_op({"parameters": [{"$ref": "#/parameters/nope"}]}))
    message = "unresolved parameter $ref '#/parameters/nope'; skipped"
    assert [Problem("/paths/~1pets/get/parameters/0", message)] == problems
    assert None is result["paths"]["/pets"]["get"].get("parameters")


def test_path_item_ref_is_kept() -> None:
    result, _ = convert_swagger2(swagger(paths={"/pets": {"$ref": "pets.yaml#/paths/~1pets"}}))
    assert {"/pets": {"$ref": "pets.yaml#/paths/~1pets"}} == result["paths"]


# -- parameters and request bodies -------------------------------------------------------


def test_body_parameter_becomes_request_body_for_operation_consumes() -> None:
    body = {
        "name": "pet",
        "in": "body",
        "required": True,
        "description": "the pet",
        "schema": {"$ref": "#/definitions/Pet"},
    }
    op = {"consumes": ["application/json", "application/xml"], "parameters": [body]}
    schema = {"$ref": "#/components/schemas/Pet"}
    expected = {
        "description": "the pet",
        "required": True,
        "content": {"application/json": {"schema": schema}, "application/xml": {"schema": schema}},
    }
    assert expected == converted_op(op, consumes=["text/plain"])["requestBody"]


def test_body_parameter_uses_root_consumes_when_operation_has_none() -> None:
    body = {"name": "pet", "in": "body", "schema": {"type": "object"}}
    operation = converted_op({"parameters": [body]}, consumes=["application/xml"])
    assert {"content": {"application/xml": {"schema": {"type": "object"}}}} == operation[
        "requestBody"
    ]


def test_body_parameter_defaults_to_application_json() -> None:
    operation = converted_op({"parameters": [{"name": "b", "in": "body", "schema": {}}]})
    assert {"content": {"application/json": {"schema": {}}}} == operation["requestBody"]


def test_form_data_parameters_become_one_urlencoded_object_body() -> None:
    params = [
        {"name": "name", "in": "formData", "type": "string", "required": True, "description": "n"},
        {"name": "age", "in": "formData", "type": "integer"},
    ]
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "n"}, "age": {"type": "integer"}},
        "required": ["name"],
    }
    expected = {
        "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        "required": True,
    }
    assert expected == converted_op({"parameters": params})["requestBody"]


def test_form_data_uses_multipart_when_consumes_says_so() -> None:
    op = {
        "consumes": ["multipart/form-data"],
        "parameters": [{"name": "a", "in": "formData", "type": "string"}],
    }
    assert ["multipart/form-data"] == list(converted_op(op)["requestBody"]["content"])


def test_form_data_file_forces_multipart_and_binary_string() -> None:
    op = {
        "consumes": ["application/x-www-form-urlencoded"],
        "parameters": [{"name": "zip", "in": "formData", "type": "file"}],
    }
    schema = {"type": "object", "properties": {"zip": {"type": "string", "format": "binary"}}}
    assert {"content": {"multipart/form-data": {"schema": schema}}} == converted_op(op)[
        "requestBody"
    ]


def test_query_parameter_gets_schema_from_type_keywords_and_keeps_its_fields() -> None:
    param = {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "max",
        "deprecated": True,
        "allowEmptyValue": True,
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "maximum": 100,
        "exclusiveMaximum": True,
        "default": 20,
        "multipleOf": 1,
        "enum": [10, 20],
        "x-internal": True,
    }
    expected = {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "max",
        "deprecated": True,
        "allowEmptyValue": True,
        "schema": {
            "type": "integer",
            "format": "int32",
            "enum": [10, 20],
            "default": 20,
            "minimum": 1,
            "maximum": 100,
            "exclusiveMaximum": True,
            "multipleOf": 1,
        },
        "x-internal": True,
    }
    assert [expected] == converted_op({"parameters": [param]})["parameters"]


def test_string_and_array_keywords_go_into_the_schema() -> None:
    param = {
        "name": "tags",
        "in": "header",
        "type": "array",
        "minItems": 1,
        "maxItems": 3,
        "uniqueItems": True,
        "items": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
    }
    expected_schema = {
        "type": "array",
        "minItems": 1,
        "maxItems": 3,
        "uniqueItems": True,
        "items": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
    }
    [converted] = converted_op({"parameters": [param]})["parameters"]
    assert (expected_schema, "simple") == (converted["schema"], converted["style"])


@pytest.mark.parametrize(
    ("where", "fmt", "style"),
    [
        ("query", None, {"style": "form", "explode": False}),
        ("query", "csv", {"style": "form", "explode": False}),
        ("path", "csv", {"style": "simple"}),
        ("header", "csv", {"style": "simple"}),
        ("query", "multi", {"style": "form", "explode": True}),
        ("query", "ssv", {"style": "spaceDelimited", "explode": False}),
        ("query", "pipes", {"style": "pipeDelimited", "explode": False}),
    ],
)
def test_collection_format_becomes_style(
    where: str, fmt: str | None, style: dict[str, Any]
) -> None:
    param: dict[str, Any] = {
        "name": "ids",
        "in": where,
        "type": "array",
        "items": {"type": "string"},
    }
    if fmt is not None:
        param["collectionFormat"] = fmt
    [converted] = converted_op({"parameters": [param]}, path="/pets/{ids}")["parameters"]
    assert style == {k: v for k, v in converted.items() if k in ("style", "explode")}


def test_tsv_collection_format_is_a_problem() -> None:
    param = {"name": "ids", "in": "query", "type": "array", "collectionFormat": "tsv"}
    result, problems = convert_swagger2(with_op({"parameters": [param]}))
    [converted] = result["paths"]["/pets"]["get"]["parameters"]
    assert None is converted.get("style")
    assert ["/paths/~1pets/get/parameters/0/collectionFormat"] == [p.pointer for p in problems]


def test_path_parameter_is_always_required() -> None:
    param = {"name": "id", "in": "path", "type": "string"}
    [converted] = converted_op({"parameters": [param]}, path="/pets/{id}")["parameters"]
    assert True is converted["required"]


def test_unknown_parameter_location_is_a_problem_and_skipped() -> None:
    result, problems = convert_swagger2(with_op({"parameters": [{"name": "c", "in": "cookie"}]}))
    assert None is result["paths"]["/pets"]["get"].get("parameters")
    assert ["/paths/~1pets/get/parameters/0"] == [p.pointer for p in problems]


def test_path_level_parameters_stay_on_path_and_body_moves_into_operations() -> None:
    item = {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "type": "string"},
            {"name": "pet", "in": "body", "schema": {"type": "object"}},
        ],
        "put": {"responses": {"200": {"description": "ok"}}},
    }
    result, _ = convert_swagger2(swagger(paths={"/pets/{id}": item}))
    converted = result["paths"]["/pets/{id}"]
    expected_params = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert expected_params == converted["parameters"]
    expected_body = {"content": {"application/json": {"schema": {"type": "object"}}}}
    assert expected_body == converted["put"]["requestBody"]


# -- responses and schemas -----------------------------------------------------------------


def test_response_schema_becomes_content_for_operation_produces() -> None:
    op = {
        "produces": ["application/json", "text/csv"],
        "responses": {"200": {"description": "ok", "schema": {"type": "string"}}},
    }
    content = converted_op(op, produces=["application/xml"])["responses"]["200"]["content"]
    assert ["application/json", "text/csv"] == list(content)


def test_response_schema_uses_root_produces_then_json() -> None:
    op = {"responses": {"200": {"description": "ok", "schema": {"type": "string"}}}}
    root = converted_op(op, produces=["application/xml"])["responses"]["200"]["content"]
    default = converted_op(op)["responses"]["200"]["content"]
    assert (["application/xml"], ["application/json"]) == (list(root), list(default))


def test_response_headers_get_schemas_and_examples_are_dropped() -> None:
    response = {
        "description": "ok",
        "headers": {"X-Rate": {"type": "integer", "description": "left", "x-unit": "calls"}},
        "examples": {"application/json": {"a": 1}},
    }
    converted = converted_op({"responses": {"200": response}})["responses"]["200"]
    expected = {
        "description": "ok",
        "headers": {
            "X-Rate": {"description": "left", "schema": {"type": "integer"}, "x-unit": "calls"}
        },
    }
    assert expected == converted


def test_integer_response_codes_become_strings() -> None:
    operation = converted_op({"responses": {200: {"description": "ok"}}})
    assert {"200": {"description": "ok"}} == operation["responses"]


def test_schema_keywords_are_converted_and_extensions_kept() -> None:
    schema = {
        "type": "object",
        "discriminator": "kind",
        "x-owner": "team-a",
        "x-stability": "beta",
        "x-sunset": "2030-01-01",
        "deprecated": True,
        "properties": {
            "kind": {"type": "string"},
            "note": {"type": "string", "x-nullable": True},
            "blob": {"type": "file"},
        },
    }
    result, _ = convert_swagger2(swagger(definitions={"Pet": schema}))
    expected = {
        "type": "object",
        "discriminator": {"propertyName": "kind"},
        "x-owner": "team-a",
        "x-stability": "beta",
        "x-sunset": "2030-01-01",
        "deprecated": True,
        "properties": {
            "kind": {"type": "string"},
            "note": {"type": "string", "nullable": True},
            "blob": {"type": "string", "format": "binary"},
        },
    }
    assert expected == result["components"]["schemas"]["Pet"]


def test_property_named_discriminator_is_not_mistaken_for_the_keyword() -> None:
    schema = {"type": "object", "properties": {"discriminator": {"type": "string"}}}
    result, _ = convert_swagger2(swagger(definitions={"A": schema}))
    assert schema == result["components"]["schemas"]["A"]


# -- operations, extensions and purity -----------------------------------------------------


def test_operation_fields_and_extensions_are_kept() -> None:
    op = {
        "operationId": "listPets",
        "summary": "s",
        "description": "d",
        "tags": ["pets"],
        "deprecated": True,
        "security": [{"k": []}],
        "x-internal": True,
    }
    operation = converted_op(op)
    assert op == {k: v for k, v in operation.items() if k != "responses"}


def test_root_and_path_item_extensions_are_kept() -> None:
    doc = swagger(
        paths={"/p": {"x-path": 1, "get": {"responses": {"200": {"description": "ok"}}}}},
        **{"x-tagGroups": [{"name": "g"}]},
    )
    result, _ = convert_swagger2(doc)
    assert ([{"name": "g"}], 1) == (result["x-tagGroups"], result["paths"]["/p"]["x-path"])


def test_operation_schemes_differing_from_root_become_operation_servers() -> None:
    op = {"schemes": ["wss"]}
    operation = converted_op(op, host="h.test", basePath="/v1", schemes=["https"])
    assert [{"url": "wss://h.test/v1"}] == operation["servers"]


def test_operation_schemes_without_host_are_a_problem() -> None:
    _, problems = convert_swagger2(with_op({"schemes": ["https"]}))
    assert ["/paths/~1pets/get/schemes"] == [p.pointer for p in problems]


def test_unknown_root_field_is_a_problem() -> None:
    _, problems = convert_swagger2(swagger(hosts="typo"))
    assert ["/hosts"] == [p.pointer for p in problems]


def rich_document() -> dict[str, Any]:
    return with_op(
        {
            "parameters": [
                {"name": "ids", "in": "query", "type": "array", "items": {"type": "string"}},
                {"name": "f", "in": "formData", "type": "file", "x-meta": {"a": [1]}},
                {"$ref": "#/parameters/limit"},
                {"name": "h", "in": "header", "type": "string", "enum": ["a"], "x-m": {"b": 1}},
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "schema": {"$ref": "#/definitions/Pet"},
                    "headers": {"X-A": {"type": "string", "x-h": {"c": 1}}},
                },
                "default": {"$ref": "#/responses/err"},
            },
            "security": [{"o": ["read"]}],
            "x-op": {"d": [1]},
        },
        definitions={
            "Pet": {"type": "file", "x-nullable": True, "discriminator": "k", "x-o": {"e": 1}},
            "Obj": {"properties": {"a": {"default": {"f": 1}, "example": [{"g": 1}]}}},
        },
        parameters={"limit": {"name": "limit", "in": "query", "type": "integer", "default": 5}},
        responses={"err": {"description": "e", "schema": {"type": "object"}}},
        securityDefinitions={"o": {"type": "oauth2", "flow": "implicit", "scopes": {"read": "r"}}},
        tags=[{"name": "pets", "x-t": {"h": 1}}],
        **{"x-root": {"i": [1]}},
    )


def container_ids(node: Any) -> set[int]:
    if isinstance(node, dict):
        return {id(node)}.union(*(container_ids(v) for v in node.values()))
    if isinstance(node, list):
        return {id(node)}.union(*(container_ids(v) for v in node))
    return set()


def test_input_document_is_not_mutated() -> None:
    doc = rich_document()
    before = copy.deepcopy(doc)
    convert_swagger2(doc)
    assert before == doc


def test_output_shares_no_dicts_or_lists_with_input() -> None:
    doc = rich_document()
    result, _ = convert_swagger2(doc)
    assert set() == container_ids(doc) & container_ids(result)


def test_output_shares_no_dicts_or_lists_with_itself() -> None:
    op = {
        "produces": ["application/json", "application/xml"],
        "responses": {"200": {"description": "ok", "schema": {"type": "object"}}},
    }
    content = converted_op(op)["responses"]["200"]["content"]
    assert False is (content["application/json"]["schema"] is content["application/xml"]["schema"])


# -- real-world corpus ---------------------------------------------------------------------


def load_spec(name: str) -> dict[str, Any]:
    path = CORPUS / "specs" / name
    with path.open(encoding="utf-8") as handle:
        loaded = json.load(handle) if name.endswith(".json") else yaml.safe_load(handle)
    assert isinstance(loaded, dict)
    return loaded


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in all_refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in all_refs(item)]
    return []


def resolves(doc: Any, ref: str) -> bool:
    node = doc
    for raw in ref[2:].split("/") if ref != "#" else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False
    return True


def count_operations(doc: dict[str, Any]) -> int:
    return sum(
        1
        for item in doc["paths"].values()
        if isinstance(item, dict)
        for key in item
        if key in METHODS
    )


corpus = needs_corpus


@pytest.mark.corpus
@corpus
@pytest.mark.parametrize("name", SWAGGER2_FILES)
def test_corpus_conversion_leaves_no_swagger2_refs(name: str) -> None:
    result, _ = convert_swagger2(load_spec(name))
    prefixes = ("/definitions/", "/parameters/", "/responses/")
    assert [] == [ref for ref in all_refs(result) if ref.partition("#")[2].startswith(prefixes)]


@pytest.mark.corpus
@corpus
@pytest.mark.parametrize("name", SWAGGER2_FILES)
def test_corpus_local_refs_resolve_in_converted_document(name: str) -> None:
    result, _ = convert_swagger2(load_spec(name))
    local = [ref for ref in all_refs(result) if ref.startswith("#")]
    assert local
    assert [] == [ref for ref in local if not resolves(result, ref)]


@pytest.mark.corpus
@corpus
@pytest.mark.parametrize("name", SWAGGER2_FILES)
def test_corpus_operation_count_is_preserved(name: str) -> None:
    spec = load_spec(name)
    result, _ = convert_swagger2(spec)
    assert count_operations(spec) == count_operations(result)


@pytest.mark.corpus
@corpus
@pytest.mark.parametrize("name", ["netlify__swagger2.yaml", "oai__uber-swagger2.yaml"])
def test_corpus_specs_with_a_host_convert_without_problems(name: str) -> None:
    _, problems = convert_swagger2(load_spec(name))
    assert [] == problems


@pytest.mark.corpus
@corpus
def test_corpus_kubernetes_problems_are_only_unexpressible_operation_schemes() -> None:
    _, problems = convert_swagger2(load_spec("kubernetes__1.28.0-swagger2.json"))
    assert {"schemes cannot be expressed without a host"} == {p.message for p in problems}


@pytest.mark.corpus
@corpus
@pytest.mark.parametrize("name", SWAGGER2_FILES)
def test_corpus_conversion_validates_as_openapi_3(name: str) -> None:
    validators = pytest.importorskip("openapi_spec_validator")
    result, _ = convert_swagger2(load_spec(name))
    errors = validators.OpenAPIV30SpecValidator(json.loads(json.dumps(result))).iter_errors()
    # The Kubernetes source itself repeats enum values (e.g. externalTrafficPolicy); that defect
    # of the input is carried over unchanged. Anything else is a conversion error.
    assert [] == [e.message for e in errors if "has non-unique elements" not in e.message]
