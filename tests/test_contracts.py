"""Loading contracts: real-world documents, multi-file $ref, extensions, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from drift.core.contract.extensions import parse_duration_ms, parse_rate
from drift.edges.contracts import load_contract
from drift.errors import ContractError, InputError
from tests.conftest import CORPUS, needs_corpus

SPECS = sorted((CORPUS / "specs").glob("*")) if CORPUS.is_dir() else []


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_every_corpus_contract_loads_with_all_its_operations(spec: Path) -> None:
    from drift.core.contract.openapi import METHODS
    from drift.edges.documents import read_document

    document = read_document(spec)
    declared = sorted(
        (method.upper(), path)
        for path, item in (document.get("paths") or {}).items()
        if isinstance(item, dict)
        for method in METHODS
        if isinstance(item.get(method), dict)
    )
    contract = load_contract(spec)
    assert declared == sorted((op.method, op.path) for op in contract.operations)
    assert all(op.pointer.startswith("/paths/") for op in contract.operations)


@needs_corpus
@pytest.mark.corpus
def test_invalid_openai_contract_loads_and_says_what_is_wrong() -> None:
    contract = load_contract(CORPUS / "specs" / "openai__openapi.yaml")
    messages = " ".join(p.message for p in contract.problems)
    assert len(contract.operations) > 200
    assert "'nullable' is not an OpenAPI 3.1 keyword" in messages
    assert any(p.line is not None for p in contract.problems)


@needs_corpus
@pytest.mark.corpus
def test_integer_status_keys_from_yaml_are_read_as_codes() -> None:
    contract = load_contract(CORPUS / "specs" / "asana__asana_oas.yaml")
    assert all(isinstance(code, str) for op in contract.operations for code in op.responses)
    assert any("200" in op.responses for op in contract.operations)


@needs_corpus
@pytest.mark.corpus
def test_swagger2_contract_is_converted_with_its_base_path() -> None:
    contract = load_contract(CORPUS / "specs" / "oai__uber-swagger2.yaml")
    assert ("/v1",) == contract.base_paths
    assert {
        "GET /products",
        "GET /estimates/price",
        "GET /estimates/time",
        "GET /me",
        "GET /history",
    } == {f"{op.method} {op.path}" for op in contract.operations}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_schemas_in_other_local_files_are_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        "schemas/pet.yaml",
        "Pet:\n  type: object\n  properties:\n    id: {type: integer}\n",
    )
    root = write(
        tmp_path,
        "api.yaml",
        """
openapi: 3.0.3
info: {title: Pets, version: '1'}
paths:
  /pets/{id}:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'schemas/pet.yaml#/Pet'}
""",
    )
    contract = load_contract(root)
    from drift.core.contract.schema import SchemaIndex

    schema = contract.operations[0].responses["200"].content[0].schema
    assert schema is not None
    (alt,) = SchemaIndex().alternatives(schema)
    assert ["id"] == list(alt.properties)
    assert () == contract.problems


def test_remote_refs_are_not_fetched_but_reported(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "api.yaml",
        """
openapi: 3.0.3
info: {title: Pets, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'https://example.com/schemas/pet.json#/Pet'}
""",
    )
    contract = load_contract(root)
    assert [
        "remote $ref 'https://example.com/schemas/pet.json' not fetched; schemas behind it are unchecked"
    ] == [p.message for p in contract.problems if "remote" in p.message]


def test_yaml_scalars_follow_yaml_1_2(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "api.yaml",
        """
openapi: 3.0.3
info: {title: Switches, version: '1'}
paths:
  /switch:
    get:
      x-sunset: 2027-01-31
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: string, enum: [on, off, yes, no]}
""",
    )
    contract = load_contract(root)
    op = contract.operations[0]
    schema = op.responses["200"].content[0].schema
    assert schema is not None
    assert ["on", "off", "yes", "no"] == schema.contents["enum"]
    assert "2027-01-31" == op.sunset


def test_extensions_are_parsed_into_guarantees(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "api.yaml",
        """
openapi: 3.1.0
info: {title: Orders, version: '1'}
x-owner: team-orders
x-consumers: [web, billing]
x-rate-limit: {expected: 50/s, peak: 3000/min}
paths:
  /orders:
    get:
      x-owner: team-checkout
      x-stability: beta
      x-latency: {p95: 200ms, p99: 1.5s}
      responses: {'200': {description: ok}}
""",
    )
    contract = load_contract(root)
    g = contract.operations[0].guarantees
    assert ("team-checkout", ("web", "billing"), "beta") == (g.owner, g.consumers, g.stability)
    assert {"p95": 200.0, "p99": 1500.0} == g.latency
    assert {"expected": 50.0, "peak": 50.0} == g.rate_limit


def test_unreadable_extension_values_become_problems_not_errors(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "api.yaml",
        """
openapi: 3.0.3
info: {title: Orders, version: '1'}
paths:
  /orders:
    get:
      x-latency: {p95: soon}
      x-stability: rock-solid
      responses: {'200': {description: ok}}
""",
    )
    problems = {p.pointer: p.message for p in load_contract(root).problems}
    assert "cannot read 'soon'" == problems["/paths/~1orders/get/x-latency/p95"]
    assert problems["/paths/~1orders/get/x-stability"].startswith("unknown stability 'rock-solid'")


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("200ms", 200.0),
        ("1.5s", 1500.0),
        (250, 250.0),
        ("2m", 120000.0),
        ("fast", None),
        (True, None),
    ],
)
def test_durations(text: object, ms: float | None) -> None:
    assert ms == parse_duration_ms(text)


@pytest.mark.parametrize(
    ("text", "per_s"),
    [("50/s", 50.0), ("3000/min", 50.0), ("7200 per hour", 2.0), (10, 10.0), ("lots", None)],
)
def test_rates(text: object, per_s: float | None) -> None:
    assert per_s == parse_rate(text)


def test_server_url_variables_give_the_base_path(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "api.yaml",
        """
openapi: 3.0.3
info: {title: Orders, version: '1'}
servers:
  - url: 'https://{region}.example.com/{basePath}'
    variables:
      region: {default: eu}
      basePath: {default: api/v2}
paths: {}
""",
    )
    assert ("/api/v2",) == load_contract(root).base_paths


def test_broken_ref_is_a_problem_with_its_pointer(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "api.yaml",
        """
openapi: 3.0.3
info: {title: Orders, version: '1'}
paths:
  /orders:
    get:
      parameters:
        - $ref: '#/components/parameters/Missing'
      responses: {'200': {description: ok}}
""",
    )
    (problem,) = load_contract(root).problems
    assert "/paths/~1orders/get/parameters/0" == problem.pointer
    assert 8 == problem.line
    assert "cannot resolve $ref '#/components/parameters/Missing'" in problem.message


@pytest.mark.parametrize(
    ("text", "error", "line"),
    [
        ("openapi: 3.0.3\ninfo:\n  title: x\n paths: {}\n", InputError, 4),
        ("openapi: 2.5.0\npaths: {}\n", ContractError, None),
        ("- just\n- a list\n", ContractError, None),
        ('{"openapi": "3.0.3",\n "paths": {,}}', InputError, 2),
    ],
)
def test_unusable_documents_raise_with_file_and_line(
    tmp_path: Path, text: str, error: type[Exception], line: int | None
) -> None:
    root = write(tmp_path, "api.json" if text.startswith("{") else "api.yaml", text)
    with pytest.raises(error) as info:
        load_contract(root)
    assert str(root) == info.value.file  # type: ignore[attr-defined]
    assert line == info.value.line  # type: ignore[attr-defined]
