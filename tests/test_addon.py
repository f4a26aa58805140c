"""The capture addon, worker and flusher, with mitmproxy's own test helpers (no network)."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy.test import taddons, tflow

from drift.core.identity import ConsumerIdentifier
from drift.core.observe import Observer
from drift.core.sampling import SamplingPolicy
from drift.edges.contracts import load_contract
from drift.edges.proxy.addon import DriftAddon
from drift.edges.proxy.flusher import Flusher
from drift.edges.proxy.supervisor import CaptureProcess
from drift.edges.proxy.wire import (
    CaptureConfig,
    Record,
    WorkerSettings,
    dump_records,
    load_records,
    record_of,
)
from drift.edges.proxy.worker import CaptureWorker
from drift.edges.store import Batch, Store

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "config" / "examples" / "orders" / "openapi.yaml"
ORDER = {
    "id": "6f1b7c3e-1d2a-4b5c-9d8e-7f6a5b4c3d2e",
    "status": "paid",
    "total": 9.5,
    "created_at": "2026-11-20T10:00:00Z",
    "lines": [],
    "discount": 1.0,
}


def flow(
    path: str = "/v1/orders/6f1b7c3e-1d2a-4b5c-9d8e-7f6a5b4c3d2e",
    *,
    status: int = 200,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    consumer: str | None = "billing",
) -> Any:
    f = tflow.tflow(resp=True)
    f.request.path = path
    f.request.content = b""
    if consumer:
        f.request.headers["X-Consumer-Id"] = consumer
    f.response.status_code = status
    f.response.headers["content-type"] = "application/json"
    for name, value in (headers or {}).items():
        f.response.headers[name] = value
    f.response.raw_content = json.dumps(ORDER).encode() if body is None else body
    return f


def record(f: Any, limit: int = 4 << 20) -> Record:
    """The record the proxy ships for a flow, through the same marshal round trip."""
    (loaded,) = load_records(
        dump_records([record_of(f.request, f.response, f.client_conn, limit)[0]])
    )
    return loaded


def snapshotting() -> tuple[list[Any], Any]:
    got: list[Any] = []
    return got, got.append


def worker(
    policy: SamplingPolicy | None = None, body_limit: int = 1 << 20
) -> tuple[CaptureWorker, list[Any]]:
    got, sink = snapshotting()
    w = CaptureWorker(
        Observer(load_contract(CONTRACT)),
        ConsumerIdentifier.from_config([{"header": "X-Consumer-Id"}]),
        WorkerSettings(sampling=policy or SamplingPolicy.everything(), body_limit=body_limit),
        sink,
    )
    return w, got


@pytest.fixture
def addon() -> Iterator[DriftAddon]:
    a = DriftAddon()
    with taddons.context(a) as tctx:
        tctx.configure(
            a, drift_contract=str(CONTRACT), drift_queue_max=3, drift_queue_max_bytes=10_000
        )
        config = CaptureConfig(
            contract=str(CONTRACT),
            store_url="sqlite://",
            identifier=ConsumerIdentifier.from_config([{"header": "X-Consumer-Id"}]),
        )
        a.capture = CaptureProcess(config)  # not started: the tests look at its queue
        yield a
    tctx.master.event_loop.close()  # taddons makes a loop of its own and leaves it open


def test_hook_only_queues_references_and_leaves_the_flow_untouched(addon: DriftAddon) -> None:
    f = flow()
    before = f.get_state()
    addon.response(f)
    assert f.get_state() == before
    assert 1 == len(addon.capture.queue)  # type: ignore[union-attr]
    rec, size = addon.capture.queue[0]  # type: ignore[union-attr]
    assert rec[7] is f.response.raw_content  # the body is referenced, not copied
    assert (b"GET", f.request.data.path, 200) == (rec[0], rec[1], rec[3])
    assert len(f.response.raw_content) == size


def test_bodies_over_the_limit_cross_as_their_length_only(addon: DriftAddon) -> None:
    addon.body_limit = 100
    addon.response(flow(body=b"x" * 101))
    rec, size = addon.capture.queue[0]  # type: ignore[union-attr]
    assert (101, 0) == (rec[7], size)
    w, got = worker(body_limit=100)
    w.process(rec)
    w._snapshot()
    (obs,) = got[0].values()
    assert {"too-large": 1} == obs.response.states


def test_hook_swallows_its_own_errors_and_counts_them(addon: DriftAddon) -> None:
    class Broken:
        accepting = True

        @property
        def queue(self) -> Any:
            raise RuntimeError("boom")

    addon.capture = Broken()  # type: ignore[assignment]
    f = flow()
    before = f.get_state()
    addon.response(f)
    assert (1, f.get_state()) == (addon.errors, before)


def test_full_queue_drops_and_counts_instead_of_waiting(addon: DriftAddon) -> None:
    for _ in range(5):
        addon.response(flow())
    assert (3, 2) == (len(addon.capture.queue), addon.dropped)  # type: ignore[union-attr]


def test_byte_budget_drops_large_bodies_before_the_count_limit(addon: DriftAddon) -> None:
    addon.response(flow(body=b"x" * 9_000))
    addon.response(flow(body=b"x" * 2_000))
    assert (1, 1) == (len(addon.capture.queue), addon.dropped)  # type: ignore[union-attr]
    addon.capture.bytes_done = 9_000  # type: ignore[union-attr]  # the hand-off caught up
    addon.response(flow(body=b"x" * 2_000))
    assert 2 == len(addon.capture.queue)  # type: ignore[union-attr]


def test_a_capture_that_cannot_work_makes_the_hook_a_no_op(addon: DriftAddon) -> None:
    addon.capture.accepting = False  # type: ignore[union-attr]
    addon.response(flow())
    assert (1, 0, 0) == (addon.seen, len(addon.capture.queue), addon.dropped)  # type: ignore[union-attr]


def test_worker_folds_exchanges_with_consumer_and_template() -> None:
    w, got = worker()
    for consumer in ("billing", "billing", "web"):
        f = flow(consumer=consumer)
        w.process(record(f))
    w._snapshot()
    (snapshot,) = got
    counts = {(k.path, k.consumer, k.status): o.count for k, o in snapshot.items()}
    assert {
        ("/orders/{orderId}", "billing", 200): 2,
        ("/orders/{orderId}", "web", 200): 1,
    } == counts
    obs = next(o for k, o in snapshot.items() if k.consumer == "billing")
    assert {"json": 2} == obs.response.states
    assert 2 == obs.response.bodies["application/json"].root.present("discount")


def test_unsampled_exchanges_are_counted_but_only_sampled_ones_are_detailed() -> None:
    w, got = worker(SamplingPolicy(first_n=1, route_rate=0, global_rate=0))
    for _ in range(4):
        f = flow()
        w.process(record(f))
    w._snapshot()
    (obs,) = got[0].values()
    shapes = obs.response.bodies["application/json"]
    # every call counts (status, latency, rate); names and bodies come from the sampled one
    assert (4, 4, 1, {"json": 1}, 1) == (
        obs.count,
        obs.latency.count,
        obs.response.count,
        obs.response.states,
        shapes.samples,
    )


def bomb(size: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as gz:
        chunk = b"\0" * (1 << 20)
        for _ in range(size >> 20):
            gz.write(chunk)
    return out.getvalue()


def test_decompression_bomb_is_refused_within_the_body_limit() -> None:
    w, got = worker(body_limit=1 << 20)
    f = flow(body=bomb(512 << 20), headers={"content-encoding": "gzip"})
    w.process(record(f))
    w._snapshot()
    (obs,) = got[0].values()
    assert {"too-large": 1} == obs.response.states


@pytest.mark.parametrize(
    ("body", "headers", "state"),
    [
        (b"{not json", {}, "invalid"),
        (b"\x1f\x8b garbage", {"content-encoding": "gzip"}, "undecodable"),
        (zlib.compress(json.dumps(ORDER).encode()), {"content-encoding": "deflate"}, "json"),
        (b"<html></html>", {"content-type": "text/html"}, "not-json"),
        (b"", {}, "empty"),
    ],
)
def test_odd_bodies_are_classified_never_raised(
    body: bytes, headers: dict[str, str], state: str
) -> None:
    w, got = worker()
    f = flow(body=body, headers=headers)
    w.process(record(f))
    w._snapshot()
    (obs,) = got[0].values()
    assert {state: 1} == obs.response.states


def test_worker_survives_a_broken_record_and_keeps_going() -> None:
    w, got = worker()
    w.queue.append(("not", "a", "record"))  # type: ignore[arg-type]
    w.queue.append(record(flow()))
    w._drain()
    w._snapshot()
    assert (1, 2) == (w.errors, w.processed)
    assert 1 == sum(o.count for o in got[0].values())


def test_values_of_secrets_never_reach_observations() -> None:
    w, got = worker()
    f = flow(path="/v1/orders?api_key=sk_live_SECRET1&status=paid")
    f.request.headers["Authorization"] = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVQyIn0.c2ln"
    f.request.headers["Cookie"] = "session=SECRET3"
    f.response.raw_content = json.dumps(
        {"items": [{**ORDER, "password": "SECRET4", "email": "a@SECRET5.com"}]}
    ).encode()
    w.process(record(f))
    w._snapshot()
    text = json.dumps({str(k): o.to_dict() for k, o in got[0].items()})
    assert [] == [
        s for s in ("SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5", "eyJ") if s in text
    ]
    assert "api_key" in text and "session" in text  # names are kept, values are not


class FlakyStore:
    """A Store stand-in that fails on demand, and records what it applied (by batch id)."""

    def __init__(self) -> None:
        self.fail = 0
        self.lose_ack = False
        self.applied: dict[str, Batch] = {}
        self.attempts = 0

    def flush(self, batch: Batch) -> bool:
        self.attempts += 1
        if self.fail:
            self.fail -= 1
            raise ConnectionError("store down")
        new = batch.id not in self.applied
        self.applied.setdefault(batch.id, batch)
        if self.lose_ack:
            self.lose_ack = False
            raise TimeoutError("committed, but the answer was lost")
        return new

    def close(self) -> None:
        pass


def observations(n: int = 3) -> dict[Any, Any]:
    w, got = worker()
    for i in range(n):
        f = flow(consumer=f"c{i}")
        w.process(record(f))
    w._snapshot()
    return dict(got[0])


def test_flusher_keeps_data_through_a_store_outage_and_writes_it_once() -> None:
    store = FlakyStore()
    store.fail = 3
    flusher = Flusher(lambda: store, interval=0.01)  # type: ignore[arg-type, return-value]
    flusher.submit(observations())
    assert [False, False, False, True] == [flusher.flush_once() for _ in range(4)]
    assert (1, 3, 0) == (len(store.applied), flusher.failures, flusher.pending)
    (batch,) = store.applied.values()
    assert 3 == sum(o.count for _, _, o in batch.items)


def test_lost_acknowledgement_is_retried_with_the_same_batch_id() -> None:
    store = FlakyStore()
    store.lose_ack = True
    flusher = Flusher(lambda: store, interval=0.01)  # type: ignore[arg-type, return-value]
    flusher.submit(observations())
    assert [False, True] == [flusher.flush_once(), flusher.flush_once()]
    assert (1, 2) == (len(store.applied), store.attempts)


def test_new_data_during_an_outage_waits_in_its_own_batch() -> None:
    store = FlakyStore()
    store.fail = 1
    flusher = Flusher(lambda: store, interval=0.01)  # type: ignore[arg-type, return-value]
    flusher.submit(observations(1))
    assert not flusher.flush_once()
    flusher.submit(observations(2))
    assert flusher.flush_once() and flusher.flush_once()
    sizes = sorted(sum(o.count for _, _, o in b.items) for b in store.applied.values())
    assert [1, 2] == sizes


def test_pending_observations_are_bounded_and_drops_counted() -> None:
    store = FlakyStore()
    store.fail = 100
    flusher = Flusher(lambda: store, interval=0.01, max_pending=2)  # type: ignore[arg-type, return-value]
    flusher.submit(observations(3))
    assert (2, 1) == (flusher.pending, flusher.dropped)


def test_worker_and_flusher_write_real_sqlite_on_stop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    flusher = Flusher(lambda: Store.open(url), interval=30)
    w, _ = worker()
    w.on_snapshot = flusher.submit
    flusher.start()
    w.start()
    for consumer in ("web", "billing", "web"):
        w.queue.append(record(flow(consumer=consumer)))
    w.stop()
    flusher.stop()
    store = Store.open(url)
    try:
        loaded = store.load()
    finally:
        store.close()
    assert {"web": 2, "billing": 1} == {k.consumer: o.count for k, o in loaded.items()}


def test_a_new_body_shape_is_sampled_whatever_the_rates() -> None:
    w, got = worker(SamplingPolicy(first_n=1, route_rate=0, global_rate=0))
    for _ in range(5):
        w.process(record(flow()))
    w.process(record(flow(body=json.dumps({**ORDER, "loyalty_tier": "gold"}).encode())))
    w.process(record(flow(body=json.dumps({**ORDER, "loyalty_tier": "silver"}).encode())))
    w._snapshot()
    (obs,) = got[0].values()
    shapes = obs.response.bodies["application/json"]
    assert (7, 2) == (obs.count, shapes.samples)  # the first, and the first with the new field
    assert 1 == shapes.root.present("loyalty_tier")
    assert (2, 1) == (w.sampler.sampled, w.sampler.shape_sampled)


def test_new_shapes_can_be_left_to_the_rates() -> None:
    policy = SamplingPolicy(first_n=1, route_rate=0, global_rate=0, new_shapes=False)
    w, got = worker(policy)
    w.process(record(flow()))
    w.process(record(flow(body=json.dumps({**ORDER, "loyalty_tier": "gold"}).encode())))
    w._snapshot()
    (obs,) = got[0].values()
    assert 1 == obs.response.bodies["application/json"].samples


def test_the_client_certificate_cn_is_read_only_when_a_rule_wants_it() -> None:
    class Cert:
        reads = 0

        @property
        def cn(self) -> str:
            Cert.reads += 1  # mitmproxy parses the certificate on every access
            return "billing-svc"

    f = flow()
    f.client_conn.certificate_list = [Cert()]
    assert record_of(f.request, f.response, f.client_conn, 1 << 20)[0][11] is None
    assert 0 == Cert.reads
    assert "billing-svc" == record_of(f.request, f.response, f.client_conn, 1 << 20, True)[0][11]
    mtls = ConsumerIdentifier.from_config([{"mtls_cn": True}], where="")
    assert mtls.wants_client_cn
    assert not ConsumerIdentifier.from_config([{"header": "X-Consumer-Id"}]).wants_client_cn


def test_privacy_allow_and_deny_lists_apply_to_stored_names() -> None:
    from drift.core.privacy import NamePolicy
    from drift.edges.config.model import PrivacyConfig

    names = PrivacyConfig(header_deny=("x-trace-id",), param_deny=("debug",)).policy()
    got, sink = snapshotting()
    w = CaptureWorker(
        Observer(load_contract(CONTRACT)),
        ConsumerIdentifier.from_config([{"header": "X-Consumer-Id"}]),
        WorkerSettings(sampling=SamplingPolicy.everything(), names=names),
        sink,
    )
    f = flow(path="/v1/orders?status=paid&debug=1")
    f.request.headers["X-Trace-Id"] = "t-1"
    f.request.headers["Accept"] = "application/json"
    w.process(record(f))
    w._snapshot()
    (obs,) = got[0].values()
    # x-trace-id denied by the operator, x-consumer-id is identity; debug denied
    assert "x-trace-id" not in obs.request.params["header"]
    assert "accept" in obs.request.params["header"]
    assert "x-consumer-id" not in obs.request.params["header"]
    assert ["status"] == sorted(obs.request.params["query"])
    assert NamePolicy() == PrivacyConfig().policy()
