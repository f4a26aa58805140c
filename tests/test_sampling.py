"""Stratified sampling: first N per stratum, new body shapes, then per-route and global rates."""

from __future__ import annotations

import pytest

from drift.core import sampling
from drift.core.sampling import Sampler, SamplingPolicy, shape_fingerprint

ROUTE = ("GET", "/orders/{id}")


def stratum(consumer: str = "web", status: int = 200) -> tuple[object, ...]:
    return (*ROUTE, status, consumer, "application/json")


def test_first_n_of_every_stratum_are_sampled_then_the_route_rate_applies() -> None:
    s = Sampler(SamplingPolicy(first_n=2, route_rate=1, global_rate=100), now=0.0)
    got = [s.decide(ROUTE, stratum(), 0.0) for _ in range(5)]
    # 2 firsts, then the route bucket's one token (depth 1 s of 1/s), then nothing
    assert [True, True, True, False, False] == got
    assert s.decide(ROUTE, stratum("billing"), 0.0)  # a new consumer is a new stratum
    assert not s.decide(ROUTE, stratum(), 0.5)
    assert s.decide(ROUTE, stratum(), 1.5)  # the bucket refilled
    assert (8, 5) == (s.seen, s.sampled)


def test_the_global_rate_caps_all_routes_together() -> None:
    s = Sampler(SamplingPolicy(first_n=0, route_rate=100, global_rate=2), now=0.0)
    routes = [("GET", f"/r{i}") for i in range(5)]
    got = [s.decide(r, (*r, 200), 0.0) for r in routes]
    assert [True, True, False, False, False] == got


def test_everything_samples_everything() -> None:
    s = Sampler(SamplingPolicy.everything(), now=0.0)
    assert all(s.decide(ROUTE, stratum(), 0.0) for _ in range(1000))


def test_rare_strata_are_not_drowned_by_a_hot_one() -> None:
    s = Sampler(SamplingPolicy(first_n=1, route_rate=0, global_rate=0), now=0.0)
    for _ in range(10_000):
        s.decide(ROUTE, stratum("web"), 0.0)
    assert s.decide(ROUTE, stratum("rare-consumer", 404), 0.0)


def test_shape_fingerprint_sees_keys_and_types_not_values() -> None:
    a = {"id": "1", "total": 9.5, "lines": [{"sku": "A", "n": 1}, {"sku": "B", "n": 2}]}
    b = {"id": "zz", "total": 0.5, "lines": [{"sku": "C", "n": 7}]}  # other values, length
    assert shape_fingerprint(a) == shape_fingerprint(b)
    c = {"id": "1", "total": 9.5, "lines": [{"sku": "B", "n": 2}, {"sku": "A", "n": 1}]}
    assert shape_fingerprint(a) == shape_fingerprint(c)  # item order
    # key order counts (cheaper to hash); a producer's serializer keeps it stable
    assert shape_fingerprint(a) != shape_fingerprint({"total": 9.5, **a})
    assert shape_fingerprint(a) != shape_fingerprint({**a, "discount": 1.0})  # a new field
    assert shape_fingerprint(a) != shape_fingerprint({**a, "total": "9.5"})  # a type change
    assert shape_fingerprint(a) != shape_fingerprint({**a, "id": None})  # null
    assert shape_fingerprint({"n": 1}) != shape_fingerprint({"n": True})  # bool is not int
    mixed = {**a, "lines": [*a["lines"], {"sku": "D", "n": 1, "gift": True}]}
    assert shape_fingerprint(a) != shape_fingerprint(mixed)  # a new item shape


def nested(depth: int, leaf: object) -> object:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def test_shape_fingerprint_is_bounded_in_depth() -> None:
    limit = sampling._SHAPE_DEPTH
    # no RecursionError, and nothing below the cut is looked at
    assert shape_fingerprint(nested(10_000, 1)) == shape_fingerprint(nested(limit + 1, "x"))
    assert shape_fingerprint(nested(limit - 1, 1)) != shape_fingerprint(nested(limit - 1, "x"))


def test_a_new_shape_is_sampled_once_whatever_the_rates() -> None:
    s = Sampler(SamplingPolicy(first_n=1, route_rate=0, global_rate=0), now=0.0)
    key = (*ROUTE, 200, "application/json")
    assert s.decide(ROUTE, stratum(), 0.0)
    assert not s.shape(key, "shape-1", sampled=True)  # remembered, already sampled
    assert not s.decide(ROUTE, stratum(), 0.0)
    assert not s.shape(key, "shape-1", sampled=False)  # seen: the rates said no
    assert s.shape(key, "shape-2", sampled=False)  # new: sampled after all
    assert not s.shape(key, "shape-2", sampled=False)
    assert (2, 2, 1) == (s.seen, s.sampled, s.shape_sampled)


def test_shapes_are_bounded_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sampling, "MAX_SHAPES_PER_KEY", 3)
    s = Sampler(SamplingPolicy(), now=0.0)
    key = (*ROUTE, 200, "application/json")
    got = [s.shape(key, f"map-with-key-{i}", sampled=False) for i in range(10)]
    assert [True] * 3 + [False] * 7 == got
    assert s.shape((*ROUTE, 404, "application/json"), "other", sampled=False)
