"""Capture worker memory and speed: RSS after 1M exchanges over 1,000 routes, in-process.

Going through the real proxy at ~500-1,000 req/s would take 20-30 minutes, so this feeds
synthetic exchanges straight into `CaptureWorker.process(record)`, the code the sidecar's
capture process runs for every exchange the proxy hands over (the record is built with the
proxy's own `wire.record_of`, outside the timed call):

* a synthetic contract with 900 operations (150 resources x list, create, get, update, delete,
  events) written to a temp YAML, plus 100 undeclared route shapes (the path templater's work),
  so 1,000 routes, picked with a Zipf-like skew (hot and cold routes, all of them hit);
* real mitmproxy `Request` / `Response` / `Client` objects (one request object re-pointed per
  exchange, one response object per route and status), with realistic headers, ~1.5 KB JSON
  bodies that differ per resource, JSON request bodies on create/update, 10 consumers named by
  an `X-Consumer` header, some 404/400/500 answers;
* time advancing through an injected clock at `--rate` exchanges per simulated second
  (exponential gaps), so the sampler's per-route and global rate caps apply as in production;
* every 5 simulated seconds, a snapshot handed to a no-op sink (what the flusher gets).

Reports RSS (VmRSS from /proc/self/status) at the start and after 100k, 250k, 500k, 750k, 1M,
the sizes of the worker's long-lived tables, and the time spent in `process()` (timed around
each call with perf_counter; no tracemalloc), split into sampled and not-sampled exchanges.
A second run parses every body (`SamplingPolicy.everything()`) for 100k exchanges. Each run is
a fresh child process so its RSS starts clean.

    .venv/bin/python benchmarks/bench_memory.py            # ~15 min at today's worker cost
    .venv/bin/python benchmarks/bench_memory.py --quick    # 100k + 20k exchanges
    .venv/bin/python benchmarks/bench_memory.py --json     # also print every raw number as JSON
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from bench_proxy import git_head  # noqa: E402  (this directory is on sys.path when run)

NOUNS = (
    "orders accounts invoices customers payments shipments products carts refunds users teams "
    "projects tickets subscriptions coupons warehouses suppliers reviews notifications reports "
    "webhooks sessions addresses devices plans quotes contracts assets batches credits"
).split()
CONSUMERS = tuple(
    "web billing mobile-ios mobile-android reporting search partner-acme partner-globex "
    "batch-export admin-console".split()
)
CONSUMER_WEIGHTS = (30, 15, 12, 10, 8, 8, 6, 5, 4, 2)
RESOURCES = 150  # x 6 operations = 900 declared routes
UNDECLARED = 100
SNAPSHOT_EVERY = 5.0  # simulated seconds, the sidecar's default flush interval
CHUNK = 10_000


def rss_kb(key: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# -- the synthetic service ----------------------------------------------------------------------


def resource_name(i: int) -> str:
    noun = NOUNS[i % len(NOUNS)]
    return noun if i < len(NOUNS) else f"{noun}-{i // len(NOUNS)}"


def item(i: int, rng: random.Random, extra: bool = False) -> dict[str, Any]:
    """A ~1.5 KB resource representation whose field names differ per resource."""
    noun = resource_name(i).replace("-", "_")
    doc: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "name": f"{noun} {rng.randrange(10_000)}",
        "status": rng.choice(("active", "pending", "closed")),
        "created_at": "2026-03-14T09:26:53Z",
        "updated_at": "2026-03-15T11:02:17Z",
        "owner": {"id": rng.randrange(10**6), "name": "Ada Example", "email": "ada@example.com"},
        "tags": [f"tag-{rng.randrange(50)}" for _ in range(4)],
        "amount": {"value": round(rng.uniform(1, 900), 2), "currency": "EUR"},
        f"{noun}_attributes": {f"{noun}_attr_{j}": f"value {j} {noun}" for j in range(12)},
        "lines": [
            {"sku": f"SKU-{rng.randrange(10**5)}", "quantity": rng.randrange(1, 9), "price": 9.5}
            for _ in range(8)
        ],
    }
    if extra:
        doc["beta_flags"] = {"new_checkout": True, "score": 0.7}
    return doc


def contract_doc() -> dict[str, Any]:
    obj = {"type": "object", "additionalProperties": True, "required": ["id"]}
    obj["properties"] = {"id": {"type": "string"}, "name": {"type": "string"}}
    paths: dict[str, Any] = {}
    for i in range(RESOURCES):
        name = resource_name(i)
        ok = {"description": "OK", "content": {"application/json": {"schema": obj}}}
        body = {"required": True, "content": {"application/json": {"schema": obj}}}
        ident = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        limit = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
        paths[f"/{name}"] = {
            "get": {"operationId": f"list_{i}", "parameters": [limit], "responses": {"200": ok}},
            "post": {"operationId": f"create_{i}", "requestBody": body, "responses": {"201": ok}},
        }
        paths[f"/{name}/{{id}}"] = {
            "parameters": [ident],
            "get": {"operationId": f"get_{i}", "responses": {"200": ok}},
            "put": {"operationId": f"update_{i}", "requestBody": body, "responses": {"200": ok}},
            "delete": {"operationId": f"delete_{i}", "responses": {"204": {"description": "gone"}}},
        }
        paths[f"/{name}/{{id}}/events"] = {
            "parameters": [ident],
            "get": {"operationId": f"events_{i}", "responses": {"200": ok}},
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic 1k", "version": "1.0.0"},
        "servers": [{"url": "https://svc.example.internal/v1"}],
        "paths": paths,
    }


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # with {id} / {uuid} / {n} placeholders
    query: str
    request_body: bytes | None
    ok: Any  # mitmproxy Response for the usual answer
    has_id: bool
    declared: bool


def build_routes(rng: random.Random) -> tuple[list[Route], dict[int, Any]]:
    import orjson
    from mitmproxy import http
    from mitmproxy.test import tutils

    def response(status: int, body: bytes | None, media: str = "application/json") -> Any:
        headers = [
            (b"date", b"Sat, 21 Nov 2026 10:00:00 GMT"),
            (b"server", b"envoy"),
            (b"x-request-id", b"4f1c2a"),
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(body or b"")).encode()),
        ]
        if body:
            headers.append((b"content-type", media.encode()))
            headers.append((b"etag", b'W/"5d-1a2b"'))
        return tutils.tresp(status_code=status, headers=http.Headers(headers), content=body)

    def problem(status: int, title: str) -> Any:
        body = orjson.dumps({"type": "about:blank", "title": title, "status": status})
        return response(status, body, "application/problem+json")

    errors = {404: problem(404, "Not Found"), 400: problem(400, "Bad Request")}
    errors[500] = problem(500, "Internal Server Error")
    routes: list[Route] = []
    for i in range(RESOURCES):
        name = resource_name(i)
        full = orjson.dumps(item(i, rng))
        new = orjson.dumps({k: v for k, v in item(i, rng).items() if k not in ("id", "lines")})
        listing = orjson.dumps({"items": [item(i, rng) for _ in range(3)], "next_cursor": "x"})
        events = orjson.dumps(
            {
                "items": [
                    {"type": "updated", "at": "2026-03-15T11:02:17Z", "by": n} for n in range(20)
                ]
            }
        )
        routes += [
            Route(
                "GET",
                f"/v1/{name}",
                "?limit=20&cursor=abc",
                None,
                response(200, listing),
                False,
                True,
            ),
            Route("POST", f"/v1/{name}", "", new, response(201, full), False, True),
            Route("GET", f"/v1/{name}/{{id}}", "", None, response(200, full), True, True),
            Route("PUT", f"/v1/{name}/{{id}}", "", new, response(200, full), True, True),
            Route("DELETE", f"/v1/{name}/{{id}}", "", None, response(204, None), True, True),
            Route(
                "GET",
                f"/v1/{name}/{{id}}/events",
                "?since=2026-03-01",
                None,
                response(200, events),
                True,
                True,
            ),
        ]
    for k in range(UNDECLARED):
        name = f"legacy-{NOUNS[k % len(NOUNS)]}-{k}"
        body = orjson.dumps(item(k, rng, extra=True))
        path = f"/v1/{name}/{{id}}" if k % 2 else f"/v1/{name}/{{id}}/items/{{n}}"
        routes.append(Route("GET", path, "", None, response(200, body), True, False))
    return routes, errors


def request_headers(consumer: str, with_body: bool) -> Any:
    from mitmproxy import http

    headers = [
        (b"host", b"svc.example.internal"),
        (b"user-agent", f"{consumer}-client/3.2.1".encode()),
        (b"accept", b"application/json"),
        (b"accept-encoding", b"gzip, br"),
        (b"x-consumer", consumer.encode()),
        (b"x-request-id", b"0b7c9a4e-5f2d-4c61-9a83-2f1e7d6b5c4a"),
        (b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        (b"authorization", b"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"),
    ]
    if consumer == "web":
        headers.append((b"cookie", b"session=abc123; theme=dark; _ga=GA1.2.3"))
    if with_body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"300")]
    return http.Headers(headers)


class Clock:
    """Simulated monotonic time, advanced by the feeding loop."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def table_sizes(worker: Any) -> dict[str, int]:
    """Sizes of the worker's long-lived tables (private attributes, read defensively)."""
    sampler, observer = worker.sampler, worker.observer

    def size(obj: Any, name: str) -> int:
        value = getattr(obj, name, None)
        return len(value) if value is not None else -1

    templater = getattr(observer, "templater", None)
    return {
        "sampler_strata": size(sampler, "_seen"),
        "sampler_route_buckets": size(sampler, "_routes"),
        "live_observations": size(observer, "_observations"),
        "pending_raw_paths": size(observer, "_pending"),
        "templater_nodes": int(getattr(templater, "node_count", -1)),
    }


# -- one run (child process) --------------------------------------------------------------------


def run(
    variant: str, exchanges: int, rate: float, checkpoints: list[int], seed: int
) -> dict[str, Any]:
    import yaml
    from mitmproxy.test import tflow

    from drift.core.identity import ConsumerIdentifier
    from drift.core.observe import Observer
    from drift.core.sampling import SamplingPolicy
    from drift.edges.contracts import load_contract
    from drift.edges.proxy.wire import WorkerSettings, record_of
    from drift.edges.proxy.worker import CaptureWorker

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="drift-bench-memory-") as tmp:
        spec = Path(tmp) / "synthetic-1k.yaml"
        spec.write_text(yaml.safe_dump(contract_doc(), sort_keys=False))
        t0 = time.perf_counter()
        contract = load_contract(spec)
        load_s = time.perf_counter() - t0
    routes, errors = build_routes(rng)
    policy = SamplingPolicy.everything() if variant == "everything" else SamplingPolicy()
    clock = Clock()
    snapshots: list[int] = []
    worker = CaptureWorker(
        Observer(contract),
        ConsumerIdentifier.from_config([{"header": "X-Consumer"}]),
        WorkerSettings(flush_interval=SNAPSHOT_EVERY, sampling=policy),
        lambda snap: snapshots.append(len(snap)),  # the no-op sink: count keys, keep nothing
        clock=clock,
    )
    observer, sampler = worker.observer, worker.sampler
    from mitmproxy.test import tutils

    request = tutils.treq(host="svc.example.internal", port=443, scheme=b"https")
    headers = {(c, b): request_headers(c, b) for c in CONSUMERS for b in (False, True)}
    clients = []
    for n, _ in enumerate(CONSUMERS):
        client = tflow.tclient_conn()
        client.peername = (f"10.0.{n}.17", 40000 + n)
        clients.append(client)
    weights = [1.0 / (rank + 1) for rank in range(len(routes))]
    rng.shuffle(weights)  # hot routes anywhere in the contract
    cum_routes = list(_accumulate(weights))
    cum_consumers = list(_accumulate(CONSUMER_WEIGHTS))
    indices = range(len(routes))
    consumer_ids = range(len(CONSUMERS))
    wall0 = time.time() - exchanges / rate

    gc.collect()
    out: dict[str, Any] = {
        "variant": variant,
        "exchanges": exchanges,
        "rate": rate,
        "routes": len(routes),
        "declared_operations": len(contract.operations),
        "contract_load_s": load_s,
        "rss_start_mb": rss_kb() / 1024,
        "checkpoints": [],
    }
    print(
        f"[{variant}] {len(contract.operations)} operations + {UNDECLARED} undeclared routes, "
        f"contract loaded in {load_s:.2f} s; RSS at start {out['rss_start_mb']:.1f} MB",
        flush=True,
    )
    next_flush = clock.now + SNAPSHOT_EVERY
    t_sampled = t_plain = t_snap = 0.0
    n_sampled = n_plain = 0
    snap_max = 0.0
    done = 0
    pending_checkpoints = sorted({c for c in checkpoints if c <= exchanges})
    seg_start_wall, seg_start_done, seg_start_proc = time.perf_counter(), 0, 0.0
    perf = time.perf_counter
    process = worker.process
    limit = worker.settings.body_limit
    while done < exchanges:
        n = min(CHUNK, exchanges - done)
        # Inputs for this chunk, prepared outside the timed calls.
        picked = rng.choices(indices, cum_weights=cum_routes, k=n)
        who = rng.choices(consumer_ids, cum_weights=cum_consumers, k=n)
        batch = []
        for r_index, c_index in zip(picked, who, strict=True):
            route = routes[r_index]
            path = route.path
            if route.has_id:
                path = path.replace(
                    "{id}",
                    str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    if r_index % 3
                    else str(rng.randrange(10**7)),
                ).replace("{n}", str(rng.randrange(1000)))
            roll = rng.random()
            response = route.ok
            if roll < 0.01:
                response = errors[500]
            elif roll < 0.04 and route.has_id and route.declared:
                response = errors[404]
            elif roll < 0.05 and route.request_body is not None:
                response = errors[400]
            gap = rng.expovariate(rate)
            latency = rng.uniform(0.002, 0.030)
            batch.append((route, path + route.query, c_index, response, gap, latency))
        for route, target, c_index, response, gap, latency in batch:
            clock.now += gap
            started = wall0 + clock.now
            request.method = route.method
            request.path = target
            request.headers = headers[(CONSUMERS[c_index], route.request_body is not None)]
            request.raw_content = route.request_body
            request.timestamp_start = started
            response.timestamp_start = started + latency
            response.timestamp_end = started + latency + 0.0005
            record = record_of(request, response, clients[c_index], limit)[0]
            before = sampler.sampled
            t = perf()
            process(record)
            elapsed = perf() - t
            if sampler.sampled != before:
                t_sampled += elapsed
                n_sampled += 1
            else:
                t_plain += elapsed
                n_plain += 1
            if clock.now >= next_flush:  # what the worker thread does every flush_interval
                next_flush = clock.now + SNAPSHOT_EVERY
                t = perf()
                snap = observer.take()
                worker.on_snapshot(snap)
                del snap
                elapsed = perf() - t
                t_snap += elapsed
                snap_max = max(snap_max, elapsed)
        done += n
        del batch
        while pending_checkpoints and done >= pending_checkpoints[0]:
            pending_checkpoints.pop(0)
            wall = perf() - seg_start_wall
            proc = t_sampled + t_plain + t_snap
            point = {
                "exchanges": done,
                "rss_mb": rss_kb() / 1024,
                "hwm_mb": rss_kb("VmHWM") / 1024,
                "simulated_s": clock.now - 1000.0,
                "segment_wall_s": wall,
                "segment_exchanges_per_s": (done - seg_start_done) / wall,
                "segment_process_us": (proc - seg_start_proc) / (done - seg_start_done) * 1e6,
                "sampled": sampler.sampled,
                **table_sizes(worker),
            }
            out["checkpoints"].append(point)
            seg_start_wall, seg_start_done, seg_start_proc = perf(), done, proc
            print(
                f"[{variant}] {done:>9,} exchanges: RSS {point['rss_mb']:6.1f} MB, "
                f"{point['segment_exchanges_per_s']:7.0f} exchanges/s (wall, incl. input "
                f"generation), {point['segment_process_us']:5.1f} us in process()+snapshots, "
                f"strata {point['sampler_strata']}, templater nodes {point['templater_nodes']}",
                flush=True,
            )
    gc.collect()
    out.update(
        rss_end_after_gc_mb=rss_kb() / 1024,
        sampled=sampler.sampled,
        seen=sampler.seen,
        processed=n_sampled + n_plain,
        worker_errors=worker.errors,
        sampled_us=t_sampled / max(n_sampled, 1) * 1e6,
        not_sampled_us=t_plain / max(n_plain, 1) * 1e6,
        process_us=(t_sampled + t_plain) / max(n_sampled + n_plain, 1) * 1e6,
        process_exchanges_per_s=(n_sampled + n_plain) / max(t_sampled + t_plain, 1e-9),
        snapshots=len(snapshots),
        snapshot_total_s=t_snap,
        snapshot_mean_ms=t_snap / max(len(snapshots), 1) * 1e3,
        snapshot_max_ms=snap_max * 1e3,
        snapshot_keys_median=statistics.median(snapshots) if snapshots else 0,
        snapshot_us_per_exchange=t_snap / max(exchanges, 1) * 1e6,
        simulated_s=clock.now - 1000.0,
    )
    return out


def _accumulate(weights: Any) -> Any:
    total = 0.0
    for w in weights:
        total += w
        yield total


# -- parent -------------------------------------------------------------------------------------


def child(variant: str, exchanges: int, rate: float, seed: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        variant,
        "--exchanges",
        str(exchanges),
        "--rate",
        str(rate),
        "--seed",
        str(seed),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] | None = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
        else:
            print(line, end="", flush=True)
    if proc.wait() != 0 or result is None:
        raise SystemExit(f"the {variant} run failed (exit {proc.returncode})")
    return result


def report(runs: list[dict[str, Any]]) -> list[str]:
    lines = [""]
    for r in runs:
        lines += [
            f"== {r['variant']} sampling: {r['exchanges']:,} exchanges over {r['routes']} routes "
            f"({r['declared_operations']} declared), {len(CONSUMERS)} consumers, "
            f"{r['rate']:.0f}/s simulated ({r['simulated_s'] / 60:.0f} min of traffic)",
            f"  {'after':>10} {'RSS MB':>7} {'peak MB':>7} {'exch/s wall':>11} {'us/exch':>8} "
            f"{'strata':>7} {'buckets':>7} {'raw paths':>9} {'tmpl nodes':>10}",
            f"  {'start':>10} {r['rss_start_mb']:7.1f}",
        ]
        for c in r["checkpoints"]:
            lines.append(
                f"  {c['exchanges']:>10,} {c['rss_mb']:7.1f} {c['hwm_mb']:7.1f} "
                f"{c['segment_exchanges_per_s']:11.0f} {c['segment_process_us']:8.1f} "
                f"{c['sampler_strata']:7d} {c['sampler_route_buckets']:7d} "
                f"{c['pending_raw_paths']:9d} {c['templater_nodes']:10d}"
            )
        growth = r["checkpoints"][-1]["rss_mb"] - r["rss_start_mb"] if r["checkpoints"] else 0
        lines += [
            f"  RSS growth {growth:+.1f} MB; after gc.collect() at the end {r['rss_end_after_gc_mb']:.1f} MB",
            f"  sampled {r['sampled']:,} of {r['processed']:,} ({100 * r['sampled'] / max(r['processed'], 1):.1f}%); "
            f"worker errors {r['worker_errors']}",
            f"  process(): {r['process_us']:.1f} us/exchange on average = "
            f"{r['process_exchanges_per_s']:,.0f} exchanges/s of worker time; "
            f"not sampled {r['not_sampled_us']:.1f} us, sampled {r['sampled_us']:.1f} us",
            f"  snapshots: {r['snapshots']} x median {r['snapshot_keys_median']:.0f} keys, mean "
            f"{r['snapshot_mean_ms']:.1f} ms, max {r['snapshot_max_ms']:.1f} ms "
            f"(= {r['snapshot_us_per_exchange']:.1f} us per exchange)",
            "",
        ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--everything-exchanges", type=int, default=100_000)
    parser.add_argument(
        "--rate", type=float, default=500.0, help="simulated exchanges per second (sampling caps)"
    )
    parser.add_argument("--seed", type=int, default=20260314)
    parser.add_argument("--quick", action="store_true", help="100k + 20k exchanges")
    parser.add_argument("--json", action="store_true", help="also print all raw numbers as JSON")
    parser.add_argument("--child", choices=("default", "everything"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        checkpoints = [100_000, 250_000, 500_000, 750_000, 1_000_000, args.exchanges]
        result = run(args.child, args.exchanges, args.rate, checkpoints, args.seed)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    if args.quick:
        args.exchanges, args.everything_exchanges = 100_000, 20_000
    started = time.monotonic()
    print(f"drift at {git_head()}; Python {sys.version.split()[0]}", flush=True)
    runs = [child("default", args.exchanges, args.rate, args.seed)]
    if args.everything_exchanges:
        runs.append(child("everything", args.everything_exchanges, args.rate, args.seed))
    print("\n".join(report(runs)))
    if len(runs) == 2:
        a, b = runs
        first_a, first_b = a["checkpoints"][0], b["checkpoints"][0]
        line = f"everything / default: {b['process_us'] / a['process_us']:.2f}x process() time"
        if first_a["exchanges"] == first_b["exchanges"]:
            line += (
                f", {first_b['segment_process_us'] / first_a['segment_process_us']:.2f}x with "
                f"snapshots, RSS growth {first_b['rss_mb'] - b['rss_start_mb']:+.1f} MB vs "
                f"{first_a['rss_mb'] - a['rss_start_mb']:+.1f} MB over the first "
                f"{first_a['exchanges']:,} exchanges"
            )
        print(line)
    print(f"elapsed {time.monotonic() - started:.0f} s")
    if args.json:
        print(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
