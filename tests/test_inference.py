"""Shape inference: merge algebra, round trips, schema soundness, exact counts, privacy, bounds."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drift.core.contract.dialects import OAS30
from drift.core.contract.model import Contract, Guarantees, Operation
from drift.core.exchange import Body, BodyState, Exchange
from drift.core.observation import BodyStats, Observation, ObservationKey, merge_all
from drift.core.observe import Observer
from drift.core.shape import (
    MAX_DEPTH,
    MAX_KEYS,
    MAX_KEYSETS,
    MAX_VALUES,
    WILDCARD,
    Node,
    is_sensitive_name,
)
from drift.core.valueclass import json_type, string_class
from tests.strategies import EPOCH, bodies, exchange_lists, json_lists, objects

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALIDATORS = (
    jsonschema.Draft4Validator,
    jsonschema.Draft7Validator,
    jsonschema.Draft202012Validator,
)
# Keywords genson emits for plain (non-seeded) builders; they mean the same in drafts 4 to 2020-12.
GENSON_KEYWORDS = {"type", "properties", "required", "items", "anyOf"}
JSON_TYPES = {"null", "boolean", "integer", "number", "string", "array", "object"}
SENSITIVE_KEYS = ("password", "token", "email", "name", "card_number", "api_key", "session_id")

# Two samples with no common key (genson omits the then-empty `required`) and one with a key.
DISJOINT = [{"a": 1}, {"b": 1}]
ONLY_A = [{"a": 1}]


# -- helpers ----------------------------------------------------------------------------------


def node_of(values: list[Any]) -> Node:
    node = Node()
    for value in values:
        node.add(value)
    return node


def stats_of(values: list[Any]) -> BodyStats:
    stats = BodyStats()
    for value in values:
        stats.add(value)
    return stats


def without_required(schema: Any) -> Any:
    """A genson schema with every `required` dropped (property names kept, even `required`)."""
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k != "required"}
    if "properties" in out:
        out["properties"] = {k: without_required(v) for k, v in out["properties"].items()}
    if "items" in out:
        items = out["items"]
        out["items"] = (
            [without_required(s) for s in items]
            if isinstance(items, list)
            else without_required(items)
        )
    if "anyOf" in out:
        out["anyOf"] = [without_required(s) for s in out["anyOf"]]
    return out


def stats_dict(stats: BodyStats, *, strict: bool = True) -> dict[str, Any]:
    data = stats.to_dict()
    return data if strict else {**data, "schema": without_required(data["schema"])}


def obs_dict(obs: Observation, *, strict: bool = True) -> dict[str, Any]:
    data = obs.to_dict()
    if not strict:
        for side in ("request", "response"):
            bodies = data[side]["bodies"]
            data[side]["bodies"] = {
                mt: {**b, "schema": without_required(b["schema"])} for mt, b in bodies.items()
            }
    return data


def snap_dict(
    snapshot: dict[ObservationKey, Observation], *, strict: bool = True
) -> dict[ObservationKey, dict[str, Any]]:
    return {key: obs_dict(obs, strict=strict) for key, obs in snapshot.items()}


def _operation(method: str, path: str) -> Operation:
    return Operation(
        method=method,
        path=path,
        operation_id=None,
        parameters=(),
        request_body=None,
        responses={},
        guarantees=Guarantees(),
    )


CONTRACT = Contract(
    service="shop",
    title="Shop",
    openapi_version="3.0.3",
    dialect=OAS30,
    source="test",
    base_paths=(),
    operations=(_operation("GET", "/users/{id}"), _operation("POST", "/users/{id}/orders")),
    guarantees=Guarantees(),
)


def snapshot_of(exchanges: list[Exchange]) -> dict[ObservationKey, Observation]:
    observer = Observer(CONTRACT)
    for exchange in exchanges:
        observer.add(exchange)
    return observer.snapshot()


def observation_of(exchanges: list[Exchange]) -> Observation:
    """All exchanges folded into one observation (one method, path, status and consumer)."""
    same = [
        replace(x, method="GET", path="/users/1", status=200, consumer="web") for x in exchanges
    ]
    observations = list(snapshot_of(same).values())
    assert len(observations) <= 1
    return observations[0] if observations else Observation()


def get(path: str, **fields: Any) -> Exchange:
    empty = Body(None, BodyState.EMPTY)
    return Exchange(method="GET", path=path, status=200, request=empty, response=empty, **fields)


def json_exchange(request: Any, response: Any) -> Exchange:
    return Exchange(
        method="POST",
        path="/users/1/orders",
        status=201,
        request=Body("application/json", BodyState.JSON, request, 1),
        response=Body("application/json", BodyState.JSON, response, 1),
        timestamp=EPOCH,
    )


def walk_strings(value: Any, name: str = "") -> list[tuple[str, str]]:
    """(string value, the property name drift sees it under) for every string in `value`."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(value, name)]
    while stack:
        current, under = stack.pop()
        if isinstance(current, str):
            out.append((current, under))
        elif isinstance(current, list):
            stack.extend((item, under) for item in current)
        elif isinstance(current, dict):
            stack.extend((v, k) for k, v in current.items())
    return out


def stored_strings(data: Any) -> set[str]:
    """Every string in a serialised node (keys and values), enum tokens without their prefix."""
    out: set[str] = set()
    stack = [data]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            out.add(current)
            if current[:2] in ("s:", "i:", "b:"):
                out.add(current[2:])
        elif isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
    return out


def schema_vocabulary_violations(schema: Any) -> list[str]:
    """Anything in a genson schema that is neither a keyword, a type, nor a property name."""
    bad: list[str] = []
    stack = [schema]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            bad.append(repr(current))
            continue
        for key, value in current.items():
            if key not in GENSON_KEYWORDS:
                bad.append(f"keyword {key!r}")
            elif key == "type":
                types = value if isinstance(value, list) else [value]
                bad.extend(f"type {t!r}" for t in types if t not in JSON_TYPES)
            elif key == "properties":
                stack.extend(value.values())
            elif key == "required":
                bad.extend(f"required {r!r}" for r in value if not isinstance(r, str))
            elif key == "items":
                stack.extend(value if isinstance(value, list) else [value])
            elif key == "anyOf":
                stack.extend(value)
    return bad


def validation_errors(schema: dict[str, Any], sample: Any) -> list[str]:
    return [
        f"{cls.__name__}: {error.message}"
        for cls in VALIDATORS
        for error in cls(schema).iter_errors(sample)
    ]


# -- 1. algebra: Node -------------------------------------------------------------------------


@FAST
@given(json_lists(), json_lists())
def test_node_merge_is_commutative(a: list[Any], b: list[Any]) -> None:
    assert node_of(a).merge(node_of(b)) == node_of(b).merge(node_of(a))


@FAST
@given(json_lists(), json_lists(), json_lists())
def test_node_merge_is_associative(a: list[Any], b: list[Any], c: list[Any]) -> None:
    na, nb, nc = node_of(a), node_of(b), node_of(c)
    assert na.merge(nb).merge(nc) == na.merge(nb.merge(nc))


@FAST
@given(json_lists(), json_lists())
def test_node_merge_equals_adding_all_values_to_one_node(xs: list[Any], ys: list[Any]) -> None:
    assert node_of(xs + ys) == node_of(xs).merge(node_of(ys))


@FAST
@given(json_lists())
def test_node_merge_with_empty_node_changes_nothing(xs: list[Any]) -> None:
    node = node_of(xs)
    assert node == node.merge(Node())
    assert node == Node().merge(node)


def test_node_merge_equals_adding_all_when_names_spill_past_max_keys() -> None:
    wide = {f"f{i:03d}": 1 for i in range(MAX_KEYS)}  # exactly MAX_KEYS names: props are full
    xs, ys = [wide], [{"e": 1}]  # "e" sorts before every "fNNN"

    assert node_of(xs + ys) == node_of(xs).merge(node_of(ys))


def test_node_merge_keysets_only_name_kept_properties_or_the_wildcard() -> None:
    wide = node_of([{f"f{i:03d}": 1 for i in range(MAX_KEYS)}])
    merged = wide.merge(node_of([{"e": 1}]))

    assert merged.keysets is not None
    named = {k for keyset in merged.keysets for k in keyset}
    assert set() == named - set(merged.props) - {WILDCARD}


# -- 1. algebra: BodyStats --------------------------------------------------------------------


@FAST
@given(json_lists(), json_lists())
def test_body_stats_merge_is_commutative(a: list[Any], b: list[Any]) -> None:
    assert stats_dict(stats_of(a).merge(stats_of(b))) == stats_dict(stats_of(b).merge(stats_of(a)))


@FAST
@given(json_lists(), json_lists(), json_lists())
def test_body_stats_merge_is_associative_apart_from_required(
    a: list[Any], b: list[Any], c: list[Any]
) -> None:
    sa, sb, sc = stats_of(a), stats_of(b), stats_of(c)
    assert stats_dict(sa.merge(sb).merge(sc), strict=False) == stats_dict(
        sa.merge(sb.merge(sc)), strict=False
    )


@FEWER
@given(json_lists(), json_lists(), json_lists())
@example([{"a": 1}], [{"b": 1}], [{"b": 1}])
def test_body_stats_merge_is_associative(a: list[Any], b: list[Any], c: list[Any]) -> None:
    sa, sb, sc = stats_of(a), stats_of(b), stats_of(c)
    assert stats_dict(sa.merge(sb).merge(sc)) == stats_dict(sa.merge(sb.merge(sc)))


@FAST
@given(json_lists(), json_lists())
def test_body_stats_merge_equals_adding_all_apart_from_required(
    xs: list[Any], ys: list[Any]
) -> None:
    assert stats_dict(stats_of(xs + ys), strict=False) == stats_dict(
        stats_of(xs).merge(stats_of(ys)), strict=False
    )


@FEWER
@given(json_lists(), json_lists())
@example(DISJOINT, ONLY_A)
def test_body_stats_merge_equals_adding_all(xs: list[Any], ys: list[Any]) -> None:
    assert stats_dict(stats_of(xs + ys)) == stats_dict(stats_of(xs).merge(stats_of(ys)))


def test_body_stats_merge_keeps_a_required_key_every_sample_has() -> None:
    merged = stats_of([{"a": 1, "b": 1}]).merge(stats_of([{"a": 2}]))

    assert ["a"] == merged.schema()["required"]


# -- 1. algebra: Observation and merge_all ----------------------------------------------------


@FEWER
@given(exchange_lists(), exchange_lists())
def test_observation_merge_is_commutative(a: list[Exchange], b: list[Exchange]) -> None:
    oa, ob = observation_of(a), observation_of(b)
    assert obs_dict(oa.merge(ob)) == obs_dict(ob.merge(oa))


@FEWER
@given(exchange_lists(), exchange_lists(), exchange_lists())
def test_observation_merge_is_associative_apart_from_required(
    a: list[Exchange], b: list[Exchange], c: list[Exchange]
) -> None:
    oa, ob, oc = observation_of(a), observation_of(b), observation_of(c)
    assert obs_dict(oa.merge(ob).merge(oc), strict=False) == obs_dict(
        oa.merge(ob.merge(oc)), strict=False
    )


@FEWER
@given(exchange_lists(), exchange_lists())
def test_observation_merge_equals_observing_all_apart_from_required(
    xs: list[Exchange], ys: list[Exchange]
) -> None:
    assert obs_dict(observation_of(xs + ys), strict=False) == obs_dict(
        observation_of(xs).merge(observation_of(ys)), strict=False
    )


@FEWER
@given(exchange_lists(), exchange_lists())
def test_merge_all_of_snapshots_is_commutative(a: list[Exchange], b: list[Exchange]) -> None:
    sa, sb = snapshot_of(a), snapshot_of(b)
    assert snap_dict(merge_all(sa, sb)) == snap_dict(merge_all(sb, sa))


@FEWER
@given(exchange_lists(), exchange_lists(), exchange_lists())
def test_merge_all_of_snapshots_is_associative_apart_from_required(
    a: list[Exchange], b: list[Exchange], c: list[Exchange]
) -> None:
    sa, sb, sc = snapshot_of(a), snapshot_of(b), snapshot_of(c)
    assert snap_dict(merge_all(merge_all(sa, sb), sc), strict=False) == snap_dict(
        merge_all(sa, merge_all(sb, sc)), strict=False
    )
    assert snap_dict(merge_all(sa, sb, sc), strict=False) == snap_dict(
        merge_all(sa, merge_all(sb, sc)), strict=False
    )


@FEWER
@given(exchange_lists(max_size=10), st.integers(min_value=0, max_value=10))
def test_merge_all_of_split_snapshots_equals_one_snapshot_apart_from_required(
    exchanges: list[Exchange], cut: int
) -> None:
    left, right = exchanges[:cut], exchanges[cut:]
    assert snap_dict(snapshot_of(exchanges), strict=False) == snap_dict(
        merge_all(snapshot_of(left), snapshot_of(right)), strict=False
    )


def test_merge_all_of_split_snapshots_equals_one_snapshot() -> None:
    exchanges = [json_exchange(x, {}) for x in [*DISJOINT, *ONLY_A]]

    assert snap_dict(snapshot_of(exchanges)) == snap_dict(
        merge_all(snapshot_of(exchanges[:2]), snapshot_of(exchanges[2:]))
    )


# -- 2. round trips ---------------------------------------------------------------------------


def through_json(data: Any) -> Any:
    return orjson.loads(orjson.dumps(data))


@FAST
@given(json_lists())
def test_node_round_trips_through_json_text(xs: list[Any]) -> None:
    node = node_of(xs)
    assert node == Node.from_dict(through_json(node.to_dict()))


@FAST
@given(json_lists(), json_lists())
def test_body_stats_round_trip_through_json_text_and_merge_the_same(
    xs: list[Any], ys: list[Any]
) -> None:
    stats, other = stats_of(xs), stats_of(ys)
    loaded = BodyStats.from_dict(through_json(stats.to_dict()))

    assert stats.to_dict() == loaded.to_dict()
    assert stats.merge(other).to_dict() == loaded.merge(other).to_dict()


@FEWER
@given(exchange_lists())
def test_observations_round_trip_through_json_text(exchanges: list[Exchange]) -> None:
    snapshot = snapshot_of(exchanges)
    loaded = {
        key: Observation.from_dict(through_json(obs.to_dict())) for key, obs in snapshot.items()
    }

    assert snap_dict(snapshot) == snap_dict(loaded)
    for key, obs in snapshot.items():
        assert (obs.count, obs.first_seen, obs.last_seen) == (
            loaded[key].count,
            loaded[key].first_seen,
            loaded[key].last_seen,
        )


# -- 3. soundness -----------------------------------------------------------------------------


def test_body_stats_schema_names_no_draft_and_uses_only_draft_neutral_keywords() -> None:
    # genson's own default `$schema` is "http://json-schema.org/schema#" (no particular draft);
    # BodyStats builds with schema_uri=None, so no `$schema` at all. The keywords genson emits
    # (type, properties, required, items as one schema, anyOf) mean the same in drafts 4 to
    # 2020-12, so every validator below must agree; 2020-12 is the one drift's 3.1 contracts use.
    schema = stats_of([{"id": 1, "tags": ["a", 2.5], "next": None}, [True]]).schema()

    assert "$schema" not in schema
    assert [] == schema_vocabulary_violations(schema)
    for cls in VALIDATORS:
        cls.check_schema(schema)


@FAST
@given(json_lists())
def test_body_stats_schema_uses_only_draft_neutral_keywords_and_no_values(xs: list[Any]) -> None:
    assert [] == schema_vocabulary_violations(stats_of(xs).schema())


@FAST
@given(bodies)
def test_schema_of_one_sample_accepts_it(body: Any) -> None:
    assert [] == validation_errors(stats_of([body]).schema(), body)


@FAST
@given(json_lists(max_size=8))
def test_schema_of_many_added_samples_accepts_each(xs: list[Any]) -> None:
    schema = stats_of(xs).schema()
    assert [] == [e for x in xs for e in validation_errors(schema, x)]


@FEWER
@given(st.lists(json_lists(max_size=4), max_size=4))
@example([DISJOINT, ONLY_A])
def test_schema_of_merged_body_stats_accepts_every_sample(groups: list[list[Any]]) -> None:
    merged = BodyStats()
    for group in groups:
        merged = merged.merge(stats_of(group))
    schema = merged.schema()

    assert [] == [e for g in groups for x in g for e in validation_errors(schema, x)]


@FAST
@given(st.lists(json_lists(max_size=4), max_size=4))
def test_schema_of_merged_body_stats_accepts_every_sample_apart_from_required(
    groups: list[list[Any]],
) -> None:
    merged = BodyStats()
    for group in groups:
        merged = merged.merge(stats_of(group))
    schema = without_required(merged.schema())

    assert [] == [e for g in groups for x in g for e in validation_errors(schema, x)]


@pytest.mark.parametrize("cls", VALIDATORS, ids=lambda c: c.__name__)
def test_schema_rejects_a_sample_of_another_type(cls: type[Any]) -> None:
    schema = stats_of([{"id": 1, "tags": ["a"]}]).schema()

    assert not cls(schema).is_valid({"id": "one", "tags": ["a"]})
    assert not cls(schema).is_valid({"tags": ["a"]})  # `id` was in every sample
    assert cls(schema).is_valid({"id": 2, "tags": [], "more": True})


# -- 4. exact counts --------------------------------------------------------------------------


@FAST
@given(st.lists(objects, max_size=6))
def test_presence_counts_equal_the_objects_carrying_each_name(objs: list[dict[str, Any]]) -> None:
    node = node_of(objs)

    assert len(objs) == node.objects
    for key, child in node.props.items():
        assert sum(key in o for o in objs) == child.count
        assert child.count == node.present(key)
    names = {k for o in objs for k in o if k in node.props}
    assert set(node.props) == names
    data_keys = sum(1 for o in objs for k in o if k not in node.props)
    assert data_keys == (node.extra.count if node.extra else 0)


@FAST
@given(json_lists())
def test_type_and_format_counts_are_exact(xs: list[Any]) -> None:
    node = node_of(xs)
    expected: dict[str, int] = {}
    for x in xs:
        expected[json_type(x)] = expected.get(json_type(x), 0) + 1

    assert len(xs) == node.count
    assert expected == node.types
    assert node.types.get("string", 0) == sum(node.formats.values())
    strings = [x for x in xs if isinstance(x, str)]
    for cls, count in node.formats.items():
        assert sum(string_class(s) == cls for s in strings) == count


@FAST
@given(st.lists(st.lists(st.integers(), max_size=5), max_size=5))
def test_array_items_count_every_item(arrays: list[list[int]]) -> None:
    node = node_of(arrays)
    expected = sum(map(len, arrays))

    assert expected == (node.items.count if node.items else 0)


def test_array_of_three_items_adds_three_to_items_count() -> None:
    node = node_of([[1, "a", None]])
    assert node.items is not None
    assert 3 == node.items.count
    node.add([True, 2.5, {}])
    assert 6 == node.items.count
    assert {"integer": 1, "string": 1, "null": 1, "boolean": 1, "number": 1, "object": 1} == (
        node.items.types
    )


def test_presence_counts_on_a_table() -> None:
    node = node_of([{"id": 1, "status": "a"}, {"id": 2}, {"status": "b", "kind": None}, [], "x"])

    assert 3 == node.objects
    assert {"id": 2, "status": 2, "kind": 1} == {k: c.count for k, c in node.props.items()}
    assert {("id", "status"): 1, ("id",): 1, ("kind", "status"): 1} == node.keysets
    assert {"object": 3, "array": 1, "string": 1} == node.types


# -- 5. privacy -------------------------------------------------------------------------------

SECRETS = {
    "authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig",
    "card": "4111111111111111",
    "contact": "alice@example.com",
    "password": "hunter2",
    "token": "tok_live_abc123",
    "name": "Alice",
    "card_number": "4111111111111111",
    "email": "bob@example.org",
    "api_key": "k3y",
    "note": "x" * 41,
    "when": "2024-05-01T12:00:00Z",
    "ref": "123e4567-e89b-12d3-a456-426614174000",
    "homepage": "https://alice.example.com/private",
}
SEEDED = {**SECRETS, "items": [dict(SECRETS)], "nested": {"deeper": [SECRETS["authorization"]]}}


@pytest.mark.parametrize("secret", sorted(set(SECRETS.values())))
def test_seeded_secrets_are_absent_from_shape_and_schema(secret: str) -> None:
    stats = stats_of([SEEDED, {"status": "active", **SEEDED}])
    node_text = json.dumps(stats.root.to_dict())
    stats_text = orjson.dumps(stats.merge(stats).to_dict()).decode()

    assert secret not in node_text
    assert secret not in stats_text


def test_small_word_values_of_ordinary_fields_are_kept_as_enums() -> None:
    node = node_of([{"status": "active", "count": 3, "flag": True}, {"status": "closed"}])

    assert {"s:active": 1, "s:closed": 1} == node.props["status"].values
    assert {"i:3": 1} == node.props["count"].values
    assert {"b:true": 1} == node.props["flag"].values


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
def test_values_under_sensitive_keys_are_withheld(key: str) -> None:
    node = node_of([{key: "active"}, {key: ["x", "y"]}, {key: 7}])

    items = node.props[key].items
    assert node.props[key].values is None
    assert items is not None
    assert items.values is None


@FAST
@given(json_lists())
def test_shape_keeps_no_long_formatted_or_sensitive_values(xs: list[Any]) -> None:
    data = node_of(xs).to_dict()
    stored = stored_strings(data)

    leaked = [
        s
        for s, _ in walk_strings(xs)
        if (len(s) > 40 or string_class(s) != "string") and s in stored
    ]
    assert [] == leaked

    # Enum tokens never sit under a sensitive name (nor in the items of such a field).
    stack: list[tuple[dict[str, Any], str]] = [(data, "")]
    while stack:
        current, name = stack.pop()
        if name and is_sensitive_name(name):
            assert current.get("v") in (None, {}), (name, current.get("v"))
        for key, child in current.get("p", {}).items():
            stack.append((child, key))
        if "i" in current:
            stack.append((current["i"], name))


@FAST
@given(json_lists())
def test_shape_keeps_no_data_like_keys(xs: list[Any]) -> None:
    stored = stored_strings(node_of(xs).to_dict())
    data_keys: set[str] = set()
    stack = list(xs)
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            stack.extend(current.values())
            data_keys.update(k for k in current if k and string_class(k) != "string")

    assert set() == data_keys & stored


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("authorization", "dXNlcjpwYXNz"),
        ("passphrase", "correct-horse-battery"),
        ("passcode", 123),
        ("otp", 481),
    ],
)
def test_values_of_credential_fields_are_withheld(key: str, value: Any) -> None:
    node = node_of([{key: value}])

    assert node.props[key].values is None


def test_values_nested_in_objects_under_sensitive_keys_are_withheld() -> None:
    node = node_of([{"tokens": {"github": "ghp_abc123"}, "password": {"value": "hunter2"}}])
    text = json.dumps(node.to_dict())

    assert "ghp_abc123" not in text
    assert "hunter2" not in text


def test_schema_keeps_no_data_like_keys() -> None:
    body = {
        "balances": {
            "alice@example.com": 10,
            "123e4567-e89b-12d3-a456-426614174000": 5,
            "4111111111111111": 1,
        }
    }
    stats = stats_of([body])
    assert "alice@example.com" not in json.dumps(stats.root.to_dict())  # the shape drops them

    text = json.dumps(stats.to_dict())
    assert "alice@example.com" not in text
    assert "123e4567-e89b-12d3-a456-426614174000" not in text
    assert "4111111111111111" not in text


def test_enum_values_are_at_most_forty_characters() -> None:
    node = node_of([{"status": "a" * 40 + "\n"}])

    assert node.props["status"].values is None


# -- 6. bounds --------------------------------------------------------------------------------


def test_values_keep_exactly_max_values_distinct_words() -> None:
    node = node_of([f"w{i}" for i in range(MAX_VALUES)])

    assert node.values is not None
    assert MAX_VALUES == len(node.values)


def test_values_overflow_past_max_values_and_stay_overflowed_after_merges() -> None:
    node = node_of([f"w{i}" for i in range(MAX_VALUES + 1)])
    assert node.values is None
    node.add("w0")
    assert node.values is None

    small = node_of(["w0", "w1"])
    assert {"s:w0": 1, "s:w1": 1} == small.values
    assert node.merge(small).values is None
    assert small.merge(node).values is None
    assert Node.from_dict(through_json(node.to_dict())).merge(small).values is None


def test_values_overflow_when_two_merged_enums_together_exceed_max_values() -> None:
    half = MAX_VALUES // 2 + 1
    a = node_of([f"a{i}" for i in range(half)])
    b = node_of([f"b{i}" for i in range(half)])

    assert a.values is not None
    assert b.values is not None
    assert a.merge(b).values is None
    assert node_of([f"a{i}" for i in range(half)] + [f"b{i}" for i in range(half)]).values is None


def keysets_objects(n: int) -> list[dict[str, int]]:
    """`n` objects with `n` distinct key sets (field names only)."""
    return [{f"k{i}": 1, "id": 1} for i in range(n)]


def test_keysets_keep_exactly_max_keysets() -> None:
    node = node_of(keysets_objects(MAX_KEYSETS))

    assert node.keysets is not None
    assert MAX_KEYSETS == len(node.keysets)


def test_keysets_overflow_past_max_keysets_and_stay_overflowed() -> None:
    node = node_of(keysets_objects(MAX_KEYSETS + 1))
    assert node.keysets is None
    assert MAX_KEYSETS + 1 == node.present("id")

    small = node_of([{"id": 1}])
    assert node.merge(small).keysets is None
    assert small.merge(node).keysets is None


def test_names_past_max_keys_go_to_extra() -> None:
    total = MAX_KEYS + 44
    node = node_of([{f"f{i:03d}": i for i in range(total)}])

    assert MAX_KEYS == len(node.props)
    assert node.extra is not None
    assert total - MAX_KEYS == node.extra.count
    # Names already kept stay kept; new ones keep spilling.
    node.add({"f000": 1, "zzz": 2})
    assert MAX_KEYS == len(node.props)
    assert 2 == node.present("f000")
    assert total - MAX_KEYS + 1 == node.extra.count


@pytest.mark.parametrize(
    "key",
    [
        "123e4567-e89b-12d3-a456-426614174000",
        "user@example.com",
        "123",
        "0042",
        "2024-01-15",
        "https://example.com",
        "a/b",
        "~x",
        "with space",
        "",
        "k" * 65,
    ],
)
def test_keys_that_look_like_data_go_to_the_wildcard(key: str) -> None:
    node = node_of([{key: "v", "id": 1}])

    assert ["id"] == list(node.props)
    assert node.extra is not None
    assert 1 == node.extra.count
    assert {(WILDCARD, "id"): 1} == node.keysets


def deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def node_depth(node: Node) -> int:
    depth = 0
    current: Node | None = node
    while current is not None:
        depth += 1
        current = current.items
    return depth


def test_node_stops_recursing_at_max_depth() -> None:
    node = node_of([deep_list(10_000)])

    assert MAX_DEPTH + 1 == node_depth(node)
    assert node == Node.from_dict(through_json(node.to_dict()))
    assert MAX_DEPTH + 1 == node_depth(node.merge(node))
    assert 2 == node.merge(node).count


def test_body_stats_accept_the_deepest_body_orjson_parses() -> None:
    value = orjson.loads(b"[" * 1000 + b"]" * 1000)  # orjson's own nesting limit is 1024
    stats = BodyStats()
    stats.add(value)

    assert 1 == stats.samples


# -- 7. json_type and string_class ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "boolean"),
        (False, "boolean"),
        (None, "null"),
        (0, "integer"),
        (1.0, "integer"),
        (-2.0, "integer"),
        (1e300, "integer"),
        (10**30, "integer"),
        (1.5, "number"),
        (-0.25, "number"),
        ("1", "string"),
        ("", "string"),
        ([], "array"),
        ({}, "object"),
    ],
)
def test_json_type(value: Any, expected: str) -> None:
    assert expected == json_type(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123e4567-e89b-12d3-a456-426614174000", "uuid"),
        ("F47AC10B-58CC-4372-A567-0E02B2C3D479", "uuid"),
        ("123e4567-e89b-12d3-a456-42661417400", "string"),  # one digit short
        ("123e4567e89b12d3a456426614174000", "string"),  # no hyphens
        ("2024-01-15", "date"),
        ("2024-13-01", "string"),  # month 13
        ("2024-01-32", "string"),  # day 32
        ("2024-1-15", "string"),
        ("2024-01-15T10:30:00Z", "date-time"),
        ("2024-01-15T10:30:00.123+02:00", "date-time"),
        ("2024-01-15 10:30", "date-time"),
        ("2024-01-15T", "string"),
        ("10:30:00", "time"),
        ("10:30:00.5+01:00", "time"),
        ("10:30", "string"),
        ("alice@example.com", "email"),
        ("bob.smith+tag@mail.example.org", "email"),
        ("alice@localhost", "string"),  # no dot in the domain
        ("alice @example.com", "string"),
        ("a@b@c.com", "string"),
        ("192.168.0.1", "ipv4"),
        ("0.0.0.0", "ipv4"),
        ("999.1.1.1", "string"),
        ("1.2.3", "string"),
        ("1.2.3.4.5", "string"),
        ("::1", "ipv6"),
        ("fe80::1", "ipv6"),
        ("2001:db8::ff00:42:8329", "ipv6"),
        ("dead:beef::1", "ipv6"),
        ("https://example.com/a?b=c", "uri"),
        ("mailto:a@b.c", "uri"),
        ("urn:isbn:123", "uri"),
        ("fe80::zz", "uri"),  # not an address, but scheme-shaped
        ("://nothing", "string"),
        ("1http://x", "string"),
        ("hello", "string"),
        ("", "string"),
        ("x" * 3000 + "@example.com", "string"),  # too long to classify
    ],
)
def test_string_class(text: str, expected: str) -> None:
    assert expected == string_class(text)


@pytest.mark.parametrize("text", ["2024-13-01T10:30:00Z", "2024-01-15T25:61:00Z", "25:61:61"])
def test_string_class_rejects_impossible_date_times_like_it_rejects_impossible_dates(
    text: str,
) -> None:
    assert "string" == string_class(text)


# -- 8. Observer ------------------------------------------------------------------------------


def test_undeclared_numeric_paths_fold_into_one_inferred_template() -> None:
    snapshot = snapshot_of([get(f"/orders/{i}") for i in range(1, 31)])

    assert [ObservationKey("shop", "GET", "/orders/{id}", False, "", 200)] == list(snapshot)
    assert 30 == snapshot[next(iter(snapshot))].count


def test_undeclared_high_cardinality_words_fold_into_one_template() -> None:
    words = [f"item{chr(97 + i)}x" for i in range(26)]
    snapshot = snapshot_of([get(f"/catalog/{w}") for w in words])

    assert [ObservationKey("shop", "GET", "/catalog/{param}", False, "", 200)] == list(snapshot)
    assert 26 == snapshot[next(iter(snapshot))].count


def test_declared_paths_keep_their_declared_template() -> None:
    snapshot = snapshot_of([get("/users/1"), get("/users/2", consumer="web")])

    assert {
        ObservationKey("shop", "GET", "/users/{id}", True, "", 200),
        ObservationKey("shop", "GET", "/users/{id}", True, "web", 200),
    } == set(snapshot)


def params_of(*exchanges: Exchange) -> dict[str, dict[str, int]]:
    (obs,) = snapshot_of(list(exchanges)).values()
    return obs.request.params


def test_query_header_and_cookie_names_count_once_per_request() -> None:
    one = get(
        "/users/1",
        query=("page", "page", "limit"),
        request_headers=("Accept", "accept", "X-Request-Id"),
        cookies=("session", "session"),
    )
    two = get("/users/1", query=("page",), request_headers=("ACCEPT",))

    assert {
        "query": {"page": 2, "limit": 1},
        "header": {"accept": 2, "x-request-id": 1},
        "cookie": {"session": 1},
    } == params_of(one, two)


def test_invalid_parameter_names_are_counted_as_invalid_name() -> None:
    one = get(
        "/users/1",
        query=("bad name", "x" * 65, "ok", "x" * 64),
        request_headers=("Bad Header",),
        cookies=("c=d e",),
    )
    two = get("/users/1", query=("also bad",))

    assert {
        "query": {"(invalid name)": 2, "ok": 1, "x" * 64: 1},
        "header": {"(invalid name)": 1},
        "cookie": {"(invalid name)": 1},
    } == params_of(one, two)


def test_observer_records_bodies_per_media_type() -> None:
    snapshot = snapshot_of([json_exchange({"qty": 2}, {"id": 1}), json_exchange({"qty": 3}, [])])
    (obs,) = snapshot.values()

    assert 2 == obs.count
    assert {"json": 2} == obs.request.states
    assert 2 == obs.request.bodies["application/json"].samples
    assert {"i:2": 1, "i:3": 1} == obs.request.bodies["application/json"].root.props["qty"].values
    assert {"object": 1, "array": 1} == obs.response.bodies["application/json"].root.types
