"""Latency / size histograms, the timing fields of observations, and the timing and consumer rules."""

from __future__ import annotations

import json
import math
import random
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from drift.core.compare import Policy
from drift.core.compare.timing import quantile_of, rounded
from drift.core.exchange import Body, BodyState, Exchange
from drift.core.findings import ConsumerCount, Finding
from drift.core.kinds import Severity
from drift.core.observation import Observation, ObservationKey
from drift.core.render.document import report_to_dict
from drift.core.report import Window, build_report
from drift.core.timing import GAMMA, MIN_VALUE, RELATIVE_ACCURACY, Histogram, rank_of
from tests.contracts import NOW, T0, Facts, at, contract_of, exchange, facts, find, observe, run

SCHEMA = Path(__file__).resolve().parents[1] / "drift" / "schemas" / "report.schema.json"

# --- the histogram -------------------------------------------------------------------------------

values = st.one_of(st.just(0.0), st.floats(min_value=MIN_VALUE, max_value=1e12))
samples = st.lists(values, min_size=1, max_size=300)
quantiles = st.sampled_from([0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0])


def hist(data: list[float]) -> Histogram:
    out = Histogram()
    for value in data:
        out.record(value)
    return out


def exact(data: list[float], q: float) -> float:
    return sorted(data)[rank_of(q, len(data)) - 1]


@given(samples, quantiles)
def test_quantiles_are_within_two_percent_of_the_exact_nearest_rank(
    data: list[float], q: float
) -> None:
    estimate = hist(data).quantile(q)
    assert estimate is not None
    assert abs(estimate - exact(data, q)) <= 0.02 * exact(data, q)


def test_the_error_bound_is_under_two_percent() -> None:
    assert 0.0196 == round(RELATIVE_ACCURACY, 4)


@given(samples, st.floats(min_value=0, max_value=1e12))
def test_count_above_never_overcounts_and_misses_only_one_bucket(
    data: list[float], threshold: float
) -> None:
    counted = hist(data).count_above(threshold)
    assert sum(v > threshold * GAMMA * (1 + 1e-9) for v in data) <= counted
    assert counted <= sum(v > threshold for v in data)


@given(samples, samples)
def test_merge_is_commutative_and_exact(a: list[float], b: list[float]) -> None:
    assert hist(a).merge(hist(b)) == hist(b).merge(hist(a))
    assert hist(a + b) == hist(a).merge(hist(b))
    assert len(a) + len(b) == hist(a).merge(hist(b)).count


@given(samples, samples, samples)
def test_merge_is_associative(a: list[float], b: list[float], c: list[float]) -> None:
    ha, hb, hc = hist(a), hist(b), hist(c)
    assert ha.merge(hb).merge(hc) == ha.merge(hb.merge(hc))


@given(st.lists(values, max_size=300))
def test_json_round_trip_through_orjson(data: list[float]) -> None:
    original = hist(data)
    restored = Histogram.from_dict(orjson.loads(orjson.dumps(original.to_dict())))
    assert original == restored
    assert original.count == restored.count
    assert [original.quantile(q) for q in (0.5, 0.99)] == [
        restored.quantile(q) for q in (0.5, 0.99)
    ]


def test_json_form_is_delta_encoded() -> None:
    h = hist([0, 0, 100, 100, 104, 300])
    assert {"gamma": 1.04, "zero": 2, "keys": [118, 1, 27], "counts": [2, 1, 1]} == h.to_dict()


def test_typical_latencies_take_a_few_hundred_bytes() -> None:
    rng = random.Random(7)
    h = hist([rng.lognormvariate(math.log(50), 0.5) for _ in range(10_000)])
    in_memory = sys.getsizeof(h) + sys.getsizeof(h._keys) + sys.getsizeof(h._counts)
    assert len(orjson.dumps(h.to_dict())) < 600
    assert in_memory < 1_500


def test_buckets_bound_their_values_and_percentile_is_quantile_in_percent() -> None:
    h = hist([0.0, 100.0, 100.0])
    (zero_low, zero_high, zeros), (low, high, n) = h.buckets()
    assert (0.0, 0.0, 1, 2) == (zero_low, zero_high, zeros, n)
    assert low < 100.0 <= high == pytest.approx(low * GAMMA)
    assert h.quantile(0.95) == h.percentile(95)


def test_empty_histogram_has_no_quantile() -> None:
    assert (None, 0, 0) == (Histogram().quantile(0.5), Histogram().count, len(Histogram()))


def test_tiny_values_count_as_zero() -> None:
    h = hist([0.0, MIN_VALUE / 2, 5.0])
    assert (0.0, 0.0, 2, 1) == (h.quantile(0.0), h.quantile(0.5), h.zero, h.count_above(0.0))


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_record_rejects_negative_and_non_finite_values(bad: float) -> None:
    with pytest.raises(ValueError, match="cannot record"):
        Histogram().record(bad)


def test_from_dict_rejects_another_bucket_width() -> None:
    with pytest.raises(ValueError, match="bucket width"):
        Histogram.from_dict({"gamma": 1.02, "zero": 0, "keys": [], "counts": []})


def test_percentile_names() -> None:
    names = ["p50", "p95", "P99", "p99.9", "p100", "p0", "p101", "mean"]
    assert [0.5, 0.95, 0.99, 0.999, 1.0, None, None, None] == [quantile_of(n) for n in names]


def test_rank_is_exact_nearest_rank() -> None:
    assert [19, 20, 99, 999, 1, 1] == [
        rank_of(0.95, 20),
        rank_of(0.951, 20),
        rank_of(0.99, 100),
        rank_of(99.9 / 100, 1000),
        rank_of(0.0, 5),
        rank_of(0.5, 1),
    ]


# --- observations --------------------------------------------------------------------------------

SIMPLE = """
openapi: 3.0.3
info: {title: Orders, version: '1'}
paths:
  /orders:
    get:
      responses:
        default: {description: any}
"""


def timed(
    ms: float | None,
    status: int = 200,
    consumer: str | None = "web",
    when: datetime | None = T0,
    path: str = "/orders",
    method: str = "GET",
) -> Exchange:
    return replace(exchange(method, path, status, consumer=consumer, when=when), latency_ms=ms)


def key(consumer: str = "web", status: int = 200) -> ObservationKey:
    return ObservationKey("svc", "GET", "/orders", True, consumer, status)


def test_observer_records_latency_minutes_and_body_sizes() -> None:
    sized = replace(
        timed(12.5, when=at(1)),
        request=Body("application/json", BodyState.NOT_JSON, None, 0),
        response=Body("application/json", BodyState.NOT_JSON, None, 1500),
    )
    exchanges = [timed(10.0), timed(None, when=at(1)), timed(30.0, when=None), sized]
    obs = observe(contract_of(SIMPLE), exchanges)[key()]
    minute = int(T0.timestamp() // 60)
    assert {minute: 1, minute + 1: 2} == obs.minutes
    assert hist([10.0, 30.0, 12.5]) == obs.latency
    assert hist([0, 0, 0, 1500]) == obs.response.sizes
    assert hist([0, 0, 0, 0]) == obs.request.sizes


def test_naive_timestamps_are_taken_as_utc() -> None:
    naive = T0.replace(tzinfo=None)
    obs = observe(contract_of(SIMPLE), [timed(1.0, when=naive)])[key()]
    assert {int(T0.timestamp() // 60): 1} == obs.minutes


def test_observation_merge_adds_latencies_minutes_and_sizes() -> None:
    contract = contract_of(SIMPLE)
    a = observe(contract, [timed(10.0), timed(20.0, when=at(1))])[key()]
    b = observe(contract, [timed(30.0, when=at(1)), timed(40.0, when=at(2))])[key()]
    both = observe(contract, [timed(10.0), timed(20.0, when=at(1)), timed(30.0, when=at(1)), timed(40.0, when=at(2))])[key()]  # fmt: skip
    merged = a.merge(b)
    assert both.latency == merged.latency
    assert both.minutes == merged.minutes == b.merge(a).minutes
    assert both.response.sizes == merged.response.sizes


def test_observation_round_trips_through_orjson_with_the_new_fields() -> None:
    obs = observe(contract_of(SIMPLE), [timed(10.0), timed(250.0, when=at(3))])[key()]
    data = orjson.loads(orjson.dumps(obs.to_dict()))
    restored = Observation.from_dict(data)
    assert obs.to_dict() == restored.to_dict()
    assert (obs.latency, obs.minutes) == (restored.latency, restored.minutes)


def test_an_observation_stored_before_timing_loads_with_empty_timing() -> None:
    data = observe(contract_of(SIMPLE), [timed(10.0)])[key()].to_dict()
    for name in ("latency", "minutes"):
        del data[name]
    for side in ("request", "response"):
        del data[side]["sizes"]
    old = Observation.from_dict(data)
    assert (Histogram(), {}, Histogram(), 1) == (
        old.latency,
        old.minutes,
        old.response.sizes,
        old.count,
    )


# --- timing.latency-breach -----------------------------------------------------------------------

ORDERS = """
openapi: 3.0.3
info: {title: Orders, version: '1'}
x-consumers: [web, mobile]
paths:
  /orders:
    get:
      x-latency: {p95: 200ms, p99: 1s}
      x-rate-limit: {expected: 30/min, peak: 60/min, hard: 120/min}
      responses:
        default: {description: any}
    post:
      x-consumers: [web]
      responses:
        default: {description: any}
  /health:
    get:
      responses:
        default: {description: any}
"""

LATENCY = "timing.latency-breach"


def latencies(*groups: tuple[int, float], status: int = 200, consumer: str | None = "web") -> list[Exchange]:  # fmt: skip
    """`(n, ms)` groups: n responses taking ms each."""
    return [timed(ms, status, consumer) for n, ms in groups for _ in range(n)]


def latency_facts(findings: list[Finding]) -> list[tuple[Facts, Any, Any]]:
    return [(facts(f), f.declared, f.observed) for f in find(findings, LATENCY)]


def test_a_percentile_above_x_latency_is_reported_with_its_estimate() -> None:
    findings = run(ORDERS, latencies((17, 100.0), (3, 300.0)))
    expected = Facts(LATENCY, "GET", "/orders", None, "response", "", None, 3, 20)
    assert [(expected, {"p95": 200.0}, {"p95": 300.8})] == latency_facts(findings)
    finding = find(findings, LATENCY)[0]
    assert Severity.WARNING == finding.severity
    assert (ConsumerCount("web", 3),) == finding.evidence.consumers
    assert (
        "GET /orders is slower than its x-latency: p95 is 300.8 ms (declared 200 ms); "
        "3 of 20 responses took longer than 200 ms."
    ) == finding.message


def test_latencies_within_the_guarantee_are_not_reported() -> None:
    assert [] == latency_facts(run(ORDERS, latencies((20, 150.0))))


def test_a_percentile_within_a_bucket_of_its_bound_is_not_claimed() -> None:
    # 201 ms shares a 4% bucket with 200 ms: not certainly above, so no alarm
    assert [] == latency_facts(run(ORDERS, latencies((20, 201.0))))
    assert 1 == len(latency_facts(run(ORDERS, latencies((20, 210.0)))))


def test_too_few_responses_are_not_judged() -> None:
    assert [] == latency_facts(run(ORDERS, latencies((16, 100.0), (3, 300.0))))
    policy = Policy(min_latency_samples=30)
    assert [] == latency_facts(run(ORDERS, latencies((17, 100.0), (3, 300.0)), policy))


def test_a_high_percentile_needs_a_response_beyond_it() -> None:
    slow = (2, 2000.0)
    assert [] == latency_facts(run(ORDERS, latencies((97, 100.0), slow)))
    expected = Facts(LATENCY, "GET", "/orders", None, "response", "", None, 2, 100)
    assert [(expected, {"p99": 1000.0}, {"p99": 1976.0})] == latency_facts(
        run(ORDERS, latencies((98, 100.0), slow))
    )


def test_operations_without_x_latency_are_not_judged() -> None:
    slow = [timed(5000.0, path="/health") for _ in range(30)]
    assert [] == latency_facts(run(ORDERS, slow))


def test_server_errors_are_left_out_of_latency() -> None:
    fast = latencies((20, 100.0))
    failing = latencies((10, 5000.0), status=503)
    assert [] == latency_facts(run(ORDERS, fast + failing))
    not_found = latencies((10, 5000.0), status=404)
    expected = Facts(LATENCY, "GET", "/orders", None, "response", "", None, 10, 30)
    assert [expected] == [f for f, _, _ in latency_facts(run(ORDERS, fast + not_found))]


def test_slow_responses_are_attributed_to_consumers() -> None:
    exchanges = latencies((20, 100.0), (2, 300.0)) + latencies((1, 300.0), consumer="mobile")
    finding = find(run(ORDERS, exchanges), LATENCY)[0]
    assert (ConsumerCount("web", 2), ConsumerCount("mobile", 1)) == finding.evidence.consumers


def test_per_consumer_latency_only_when_the_policy_asks() -> None:
    exchanges = latencies((20, 300.0)) + latencies((20, 100.0), consumer="mobile")
    overall = Facts(LATENCY, "GET", "/orders", None, "response", "", None, 20, 40)
    assert [overall] == [f for f, _, _ in latency_facts(run(ORDERS, exchanges))]
    web = Facts(LATENCY, "GET", "/orders", None, "response", "", "web", 20, 20)
    findings = run(ORDERS, exchanges, Policy(timing_per_consumer=True))
    assert [overall, web] == [f for f, _, _ in latency_facts(findings)]


def test_the_unidentified_consumer_gets_no_latency_finding_of_its_own() -> None:
    exchanges = latencies((20, 300.0), consumer=None)
    findings = run(ORDERS, exchanges, Policy(timing_per_consumer=True))
    assert [None] == [f.consumer for f in find(findings, LATENCY)]


# --- timing.rate-breach --------------------------------------------------------------------------

RATE = "timing.rate-breach"  # ORDERS: expected 0.5/s, peak 1/s (60/min), hard 2/s (120/min)


def calls(n: int, minute: int = 0, consumer: str | None = "web", path: str = "/orders") -> list[Exchange]:  # fmt: skip
    return [timed(None, consumer=consumer, when=at(minute), path=path) for _ in range(n)]


def rate_facts(findings: list[Finding]) -> list[tuple[Facts, Severity, Any, Any]]:
    return [(facts(f), f.severity, f.declared, f.observed) for f in find(findings, RATE)]


def test_a_consumer_above_the_peak_rate_is_reported() -> None:
    findings = run(ORDERS, calls(61) + calls(10, minute=1))
    expected = Facts(RATE, "GET", "/orders", None, "request", "/peak", "web", 61, 71)
    observed = {"rate": 1.017, "minute": T0}
    assert [(expected, Severity.WARNING, {"peak": 1.0}, observed)] == rate_facts(findings)
    assert (
        "Consumer web called GET /orders at up to 1.017 requests/s (minute from 2024-05-01 12:00 UTC), "
        "above the declared peak rate of 1/s; 61 of 71 requests fell in minutes above it."
    ) == find(findings, RATE)[0].message


def test_above_the_hard_limit_only_the_error_is_reported() -> None:
    expected = Facts(RATE, "GET", "/orders", None, "request", "/hard", "web", 121, 121)
    assert [(expected, Severity.ERROR, {"hard": 2.0}, {"rate": 2.017, "minute": T0})] == (
        rate_facts(run(ORDERS, calls(121)))
    )


def test_rates_at_or_below_the_peak_are_not_reported() -> None:
    assert [] == rate_facts(run(ORDERS, calls(60) + calls(60, minute=1)))


def test_the_expected_rate_alone_raises_nothing() -> None:
    spec = ORDERS.replace("expected: 30/min, peak: 60/min, hard: 120/min", "expected: 30/min")
    assert [] == rate_facts(run(spec, calls(200)))


def test_consumers_together_above_the_peak_give_one_operation_wide_finding() -> None:
    findings = run(ORDERS, calls(40) + calls(40, consumer="mobile") + calls(5, minute=1))
    expected = Facts(RATE, "GET", "/orders", None, "request", "/peak", None, 80, 85)
    assert [expected] == [f for f, _, _, _ in rate_facts(findings)]
    consumers = (ConsumerCount("mobile", 40), ConsumerCount("web", 40))
    assert consumers == find(findings, RATE)[0].evidence.consumers


def test_the_operation_wide_finding_is_kept_for_a_level_no_consumer_explains() -> None:
    findings = run(ORDERS, calls(61) + calls(60, consumer="mobile"))
    web = Facts(RATE, "GET", "/orders", None, "request", "/peak", "web", 61, 61)
    together = Facts(RATE, "GET", "/orders", None, "request", "/hard", None, 121, 121)
    actual = [(f, s) for f, s, _, _ in rate_facts(findings)]
    assert [(web, Severity.WARNING), (together, Severity.ERROR)] == actual


def test_unidentified_traffic_counts_towards_the_operation_wide_rate() -> None:
    expected = Facts(RATE, "GET", "/orders", None, "request", "/peak", None, 61, 61)
    assert [expected] == [f for f, _, _, _ in rate_facts(run(ORDERS, calls(61, consumer=None)))]


def test_operations_without_x_rate_limit_are_not_judged() -> None:
    assert [] == rate_facts(run(ORDERS, calls(500, path="/health")))


# --- consumer.undeclared -------------------------------------------------------------------------

UNDECLARED = "consumer.undeclared"


def undeclared(findings: list[Finding]) -> list[tuple[Facts, str, Any, Any]]:
    return [
        (facts(f), f"{f.operation.method} {f.operation.path}", f.declared, f.observed)
        for f in find(findings, UNDECLARED)
    ]


def test_a_consumer_outside_the_root_list_gets_one_finding_for_the_service() -> None:
    exchanges = calls(5) + calls(3, consumer="reports") + calls(2, consumer="reports", path="/health")  # fmt: skip
    findings = run(ORDERS, exchanges)
    expected = Facts(UNDECLARED, "*", "*", None, "request", "", "reports", 5, 10)
    observed = {"GET /health": 2, "GET /orders": 3}
    assert [(expected, "* *", ["web", "mobile"], observed)] == undeclared(findings)
    finding = find(findings, UNDECLARED)[0]
    assert (Severity.INFO, (ConsumerCount("reports", 5),)) == (
        finding.severity,
        finding.evidence.consumers,
    )
    assert (
        "Consumer reports calls 2 operations (5 of 10 calls: GET /orders 3, GET /health 2) "
        "but is not listed in x-consumers."
    ) == finding.message


def test_an_operation_with_its_own_list_gets_its_own_finding() -> None:
    post = [replace(c, method="POST") for c in calls(2, consumer="mobile") + calls(3)]
    expected = Facts(UNDECLARED, "POST", "/orders", None, "request", "", "mobile", 2, 5)
    assert [(expected, "POST /orders", ["web"], {"POST /orders": 2})] == undeclared(run(ORDERS, post))  # fmt: skip


def test_undeclared_paths_fall_under_the_root_list() -> None:
    findings = run(ORDERS, calls(4, consumer="reports", path="/debug"))
    assert [({"GET /debug": 4}, 4, 4)] == [
        (f.observed, f.evidence.count, f.evidence.total) for f in find(findings, UNDECLARED)
    ]


def test_declared_and_unidentified_consumers_are_not_reported() -> None:
    exchanges = calls(5) + calls(5, consumer="mobile") + calls(5, consumer=None)
    assert [] == undeclared(run(ORDERS, exchanges))


def test_without_x_consumers_every_consumer_is_fine() -> None:
    spec = ORDERS.replace("x-consumers: [web, mobile]\n", "").replace("x-consumers: [web]", "")
    assert [] == undeclared(run(spec, calls(5, consumer="reports")))


# --- the report document -------------------------------------------------------------------------


def test_timing_and_consumer_findings_validate_against_the_report_schema() -> None:
    exchanges = (
        latencies((17, 100.0), (3, 300.0))
        + calls(121, minute=5)
        + calls(3, consumer="reports", path="/health")
    )
    findings = run(ORDERS, exchanges)
    assert {LATENCY, RATE, UNDECLARED} <= {f.kind for f in findings}
    report = build_report(findings, generated_at=NOW, window=Window(T0, T0 + timedelta(days=1)))
    document = json.loads(json.dumps(report_to_dict(report)))
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()), format_checker=FormatChecker())
    assert [] == [e.message for e in validator.iter_errors(document)]
    rate = next(f for f in document["findings"] if f["kind"] == RATE)
    assert {"rate": 2.017, "minute": "2024-05-01T12:05:00Z"} == rate["observed"]


def test_rounded_keeps_four_significant_digits() -> None:
    assert [312.4, 1.017, 0.1235, 20000.0] == [rounded(v) for v in (312.4168, 61 / 60, 0.123456, 19_999.5)]  # fmt: skip
