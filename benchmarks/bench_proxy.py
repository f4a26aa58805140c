"""Proxy overhead: bare `mitmdump` vs `drift proxy` (default sampling, and --sample-all), side by side.

An nginx upstream serves realistic ~1.5 KB order JSON on the example contract's paths; `wrk`
drives each proxy with a Lua-generated route mix (many order ids, list queries, invoices, order
creation with a JSON body, an undeclared path) and four consumers in an `X-Consumer` header.

All proxies are started once (own port, own store file, own metrics port) and warmed up; then
each round gives every configuration, in an order rotating per round, one slice:

* a load pass: wrk, 16 keep-alive connections, 2 threads -> req/s and latency under load, plus the
  proxy process's CPU (utime + stime per thread from /proc/PID/task) per request, split into the
  event-loop (main) thread and the others (drift's worker, flusher, metrics server);
* a latency pass: wrk with 1 connection -> unloaded p50/p99, i.e. the latency each proxy adds;
* for drift, /metrics before and after (seen, processed, sampled, dropped: dropped must stay 0).

Short slices interleaved many times keep each drift/bare pair seconds apart, which is what makes
ratios usable on a shared, noisy 2-core machine. At the end: RSS, SIGTERM, drift's "capture
stopped" stats line, and the observations found in each store. The upstream alone is measured at
the start and the end; it must do at least 20x the proxy's throughput.

Prerequisites (Debian): `apt-get install -y wrk nginx-light`. Run from the repository root:

    .venv/bin/python benchmarks/bench_proxy.py            # 10 rounds x (8 s load + 3 s c=1), ~6 min
    .venv/bin/python benchmarks/bench_proxy.py --quick    # ~1 min smoke run
    .venv/bin/python benchmarks/bench_proxy.py --json     # also print every raw number as JSON

Only 127.0.0.1 is used. Every process this script starts is stopped by its PID.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's bin: mitmdump and drift live next to python
CONTRACT = ROOT / "config" / "examples" / "orders" / "openapi.yaml"
CONSUMER_HEADER = "X-Consumer"
UPSTREAM_FACTOR = 20  # the upstream alone must be at least this much faster than a proxy
CONFIGS = ("bare", "drift", "drift-all")
LABELS = {
    "bare": "bare mitmdump",
    "drift": "drift proxy (default sampling)",
    "drift-all": "drift proxy --sample-all",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- upstream bodies and configuration ----------------------------------------------------------


def _uuid(rng: int) -> str:
    return str(uuid.UUID(int=(rng * 0x9E3779B97F4A7C15 << 32 | rng) & ((1 << 128) - 1), version=4))


def _order(i: int, lines: int) -> dict[str, Any]:
    return {
        "id": _uuid(1000 + i),
        "status": ("pending", "paid", "shipped", "cancelled")[i % 4],
        "total": round(19.95 * (i % 7 + 1) * lines, 2),
        "currency": "EUR",
        "created_at": f"2026-03-{10 + i % 18:02d}T09:{i % 60:02d}:53Z",
        "customer_id": _uuid(5000 + i),
        "lines": [
            {
                "sku": f"SKU-{10040 + j}",
                "name": f"Stainless steel widget, size {j + 1}",
                "quantity": j % 3 + 1,
                "unit_price": round(4.5 + j * 1.25, 2),
            }
            for j in range(lines)
        ],
        "shipping": {
            "method": "standard",
            "address": {"city": "Lyon", "postcode": "69002", "country": "FR"},
        },
    }


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def bodies() -> dict[str, str]:
    """Response and request bodies; the order (the hot path's body) is ~1.5 KB."""
    lines = 1
    while len(_dump(_order(1, lines))) < 1450:
        lines += 1
    order = _order(1, lines)
    listing = {"items": [_order(i, 2) for i in range(3)], "next_cursor": "b3JkZXJzOjEwMjQ="}
    out = {
        "order": _dump(order),
        "list": _dump(listing),
        "invoice": _dump({"order_id": order["id"], "total": order["total"]}),
        "customer": _dump(
            {"id": 48213, "name": "Ada Example", "email": "ada@example.com", "tier": "gold"}
        ),
        "new_order": _dump(
            {
                "customer_id": _uuid(77),
                "lines": [{"sku": "SKU-10040", "quantity": 2}, {"sku": "SKU-10041", "quantity": 1}],
                "note": "leave at the door",
            }
        ),
    }
    for name, text in out.items():
        if "'" in text or "\\" in text or "$" in text:
            raise AssertionError(f"{name} body cannot be quoted for nginx")
    return out


def nginx_conf(workdir: Path, port: int, body: dict[str, str]) -> str:
    return f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path {workdir}/nginx-tmp/body;
  proxy_temp_path {workdir}/nginx-tmp/proxy;
  fastcgi_temp_path {workdir}/nginx-tmp/fastcgi;
  uwsgi_temp_path {workdir}/nginx-tmp/uwsgi;
  scgi_temp_path {workdir}/nginx-tmp/scgi;
  server {{
    listen 127.0.0.1:{port};
    default_type application/json;
    location = /v1/orders {{
      if ($request_method = POST) {{ return 201 '{body["order"]}'; }}
      return 200 '{body["list"]}';
    }}
    location ~ ^/v1/orders/[^/]+/invoice$ {{ return 200 '{body["invoice"]}'; }}
    location ~ ^/v1/orders/[^/]+$ {{ return 200 '{body["order"]}'; }}
    location ~ ^/v1/customers/[0-9]+$ {{ return 200 '{body["customer"]}'; }}
    location / {{ return 404 '{{"title":"Not Found","status":404}}'; }}
  }}
}}
"""


# The route mix, per request: 65% GET /v1/orders/{uuid} (2,000 ids per wrk thread), 15% GET
# /v1/orders?status=…&limit=20, 8% GET /v1/orders/{uuid}/invoice, 7% POST /v1/orders with a JSON
# body, 5% GET /v1/customers/{n} (not in the contract: the templater's path). Four consumers.
WRK_LUA = r"""
local consumers = {"web", "billing", "mobile", "reporting"}
local statuses = {"pending", "paid", "shipped", "cancelled"}
local new_order = [==[NEW_ORDER]==]
local hex = "0123456789abcdef"
local uuids = {}
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local function make_uuid()
  local t = {}
  for i = 1, 32 do
    local r = math.random(1, 16)
    t[i] = hex:sub(r, r)
  end
  local s = table.concat(t)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-4" .. s:sub(14, 16) .. "-a" .. s:sub(18, 20)
    .. "-" .. s:sub(21, 32)
end

function init(args)
  math.randomseed(7919 * (thread_id or 1) + tonumber(args[1] or "0"))
  for i = 1, 2000 do
    uuids[i] = make_uuid()
  end
end

function request()
  counter = counter + 1
  local headers = {["X-Consumer"] = consumers[counter % 4 + 1], ["Accept"] = "application/json"}
  local r = math.random()
  if r < 0.65 then
    return wrk.format("GET", "/v1/orders/" .. uuids[math.random(2000)], headers)
  elseif r < 0.80 then
    return wrk.format("GET", "/v1/orders?status=" .. statuses[math.random(4)] .. "&limit=20", headers)
  elseif r < 0.88 then
    return wrk.format("GET", "/v1/orders/" .. uuids[math.random(2000)] .. "/invoice", headers)
  elseif r < 0.95 then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/v1/orders", headers, new_order)
  end
  return wrk.format("GET", "/v1/customers/" .. math.random(1, 100000), headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, '
      .. '"p50_us": %.1f, "p90_us": %.1f, "p99_us": %.1f, "max_us": %.1f, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


# -- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds_of(stat_file: Path) -> float:
    """CPU seconds of a task: nanoseconds on CPU from `schedstat` when the kernel has it, else
    utime + stime (fields 14 and 15 of proc(5)), which are counted in whole clock ticks and
    charge a thread that runs in short bursts by chance."""
    try:
        return int((stat_file.parent / "schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    stat = stat_file.read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, all its threads."""
    return sum(thread_cpu(pid).values())


def children(pid: int) -> list[int]:
    """Direct child processes (drift's capture process), from /proc/PID/task/*/children."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return out


def tree_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue  # ended meanwhile
    return total


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds per thread id (the main thread's id is the pid)."""
    out: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[int(task.name)] = cpu_seconds_of(task / "stat")
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
    return out


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def host_ticks() -> tuple[int, int, int]:
    """(busy, steal, total) jiffies of the whole machine, from the first line of /proc/stat."""
    # user nice system idle iowait irq softirq steal (guest time is already in user/nice)
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]
    return sum(values) - idle, values[7], sum(values)


def git_head() -> str:
    """The commit measured, and whether drift/ had uncommitted changes (read-only git calls)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "drift"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in drift/' if dirty else ''}"


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int
    metrics_port: int | None = None
    store: Path | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"  !! {self.name} (pid {self.pid}) ignored SIGTERM; killing it", flush=True)
                self.popen.kill()
                self.popen.wait(10)
        return self.popen.returncode


@dataclass
class Bench:
    args: argparse.Namespace
    workdir: Path
    lua: Path
    upstream_port: int = 0
    started: list[Proc] = field(default_factory=list)

    def spawn(self, name: str, cmd: list[str], port: int, metrics_port: int | None = None) -> Proc:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir)
        proc = Proc(name, popen, log, port, metrics_port)
        self.started.append(proc)
        return proc

    def wait_ready(self, proc: Proc, path: str, timeout: float = 30.0) -> None:
        """Until an HTTP GET through the process answers (the proxy and the upstream are up)."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{proc.port}{path}"
        while True:
            if proc.popen.poll() is not None:
                raise SystemExit(f"{proc.name} exited ({proc.popen.returncode}):\n{tail(proc.log)}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    resp.read()
                    if proc.metrics_port is None or _get(proc.metrics_port, "/healthz"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{proc.name} not ready after {timeout} s:\n{tail(proc.log)}")
            time.sleep(0.1)

    def wrk(self, port: int, seconds: int, connections: int, threads: int) -> dict[str, Any]:
        cmd = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(self.lua),
            f"http://127.0.0.1:{port}",
        ]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
        for line in run.stdout.splitlines():
            if line.startswith("WRKJSON "):
                result: dict[str, Any] = json.loads(line[len("WRKJSON ") :])
                result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
                result["errors"] = sum(
                    result[k]
                    for k in (
                        "connect_errors",
                        "read_errors",
                        "write_errors",
                        "status_errors",
                        "timeouts",
                    )
                )
                return result
        raise SystemExit(f"wrk failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")

    # -- the proxies ----------------------------------------------------------------------------

    def start_proxy(self, config: str) -> Proc:
        port = free_port()
        upstream = f"http://127.0.0.1:{self.upstream_port}"
        if config == "bare":
            cmd = [str(BIN / "mitmdump"), "-q", "--mode", f"reverse:{upstream}"]
            cmd += ["--listen-host", "127.0.0.1", "-p", str(port)]
            proc = self.spawn(config, cmd, port)
        else:
            metrics_port = free_port()
            store = self.workdir / f"{config}.db"
            cmd = [str(BIN / "drift"), "--log-level", "info", "proxy"]
            cmd += ["--contract", str(self.args.contract), "--upstream", upstream]
            cmd += ["--listen", f"127.0.0.1:{port}", "--store", f"sqlite:///{store}"]
            cmd += ["--metrics", f"127.0.0.1:{metrics_port}"]
            cmd += ["--consumer-header", CONSUMER_HEADER]
            if config == "drift-all":
                cmd.append("--sample-all")
            proc = self.spawn(config, cmd, port, metrics_port)
            proc.store = store
        self.wait_ready(proc, "/v1/orders?status=paid")
        return proc

    def slice(self, config: str, proc: Proc, round_no: int, idle: list[Proc]) -> dict[str, Any]:
        """One load pass and one 1-connection pass through `proc`; the other proxies idle."""
        a = self.args
        out: dict[str, Any] = {"round": round_no, "config": config}
        before = scrape(proc.metrics_port) if proc.metrics_port else {}
        idle0 = sum(cpu_seconds(p.pid) for p in idle)
        busy0, steal0, total0 = host_ticks()
        kids = children(proc.pid)
        threads0, kids0 = thread_cpu(proc.pid), tree_cpu(kids)
        t0 = time.monotonic()
        load = self.wrk(proc.port, a.duration, a.connections, a.threads)
        t1 = time.monotonic()
        threads1, kids1 = thread_cpu(proc.pid), tree_cpu(kids)
        busy1, steal1, total1 = host_ticks()
        idle1 = sum(cpu_seconds(p.pid) for p in idle)
        single = self.wrk(proc.port, a.latency_duration, 1, 1)
        # The event loop (mitmproxy and the hook) runs on the main thread; drift's shipping,
        # counters and metrics threads (and any executor thread of mitmproxy's) on the others;
        # parsing, inference and store writes in drift's capture process (a child process).
        main_s = threads1.get(proc.pid, 0.0) - threads0.get(proc.pid, 0.0)
        other_s = sum(v - threads0.get(t, 0.0) for t, v in threads1.items() if t != proc.pid)
        n = max(load["requests"], 1)
        out.update(
            load=load,
            single=single,
            cpu_s=main_s + other_s,
            cpu_us_per_req=(main_s + other_s) / n * 1e6,
            main_thread_us_per_req=main_s / n * 1e6,
            other_threads_us_per_req=other_s / n * 1e6,
            capture_us_per_req=(kids1 - kids0) / n * 1e6,
            total_cpu_us_per_req=(main_s + other_s + kids1 - kids0) / n * 1e6,
            threads=len(threads1),
            proxy_cpu_util=(main_s + other_s) / (t1 - t0),
            idle_proxies_cpu_util=(idle1 - idle0) / (t1 - t0),
            host_busy=(busy1 - busy0) / max(total1 - total0, 1),
            host_steal=(steal1 - steal0) / max(total1 - total0, 1),
            rss_kb=status_kb(proc.pid, "VmRSS"),
            capture_rss_kb=sum(status_kb(k, "VmRSS") for k in kids),
        )
        if proc.metrics_port:
            after = wait_drained(proc.metrics_port)
            out["metrics"] = after
            out["metrics_delta"] = {k: v - before.get(k, 0.0) for k, v in after.items()}
        return out

    def finish(self, config: str, proc: Proc) -> dict[str, Any]:
        out: dict[str, Any] = {"config": config, "pid": proc.pid}
        if proc.metrics_port:
            out["metrics"] = wait_drained(proc.metrics_port)
        out["rss_kb"] = status_kb(proc.pid, "VmRSS")
        out["hwm_kb"] = status_kb(proc.pid, "VmHWM")
        kids = children(proc.pid)
        out["capture_rss_kb"] = sum(status_kb(k, "VmRSS") for k in kids)
        out["capture_hwm_kb"] = sum(status_kb(k, "VmHWM") for k in kids)
        out["exit_code"] = proc.stop()
        out["log"] = read_log(proc.log, drift=config != "bare")
        if proc.store is not None:
            out["stored_observations"] = stored_rows(proc.store)
        return out

    def cleanup(self, *, keep: bool) -> None:
        """Stop every process started here, by PID; remove the work directory unless kept."""
        for proc in reversed(self.started):
            proc.stop(signal.SIGQUIT if proc.name == "nginx" else signal.SIGTERM)
        if keep:
            print(f"logs and stores kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_upstream(self, nginx: str) -> Proc:
        """nginx with `nginx.conf` from the work directory, ready to answer."""
        conf = self.workdir / "nginx.conf"
        cmd = [nginx, "-p", str(self.workdir), "-c", str(conf), "-e", "stderr"]
        upstream = self.spawn("nginx", cmd, self.upstream_port)
        self.wait_ready(upstream, "/v1/orders?status=paid")
        return upstream

    def upstream_check(self, when: str) -> dict[str, Any]:
        seconds = max(2, self.args.latency_duration)
        load = self.wrk(self.upstream_port, seconds, self.args.connections, self.args.threads)
        single = self.wrk(self.upstream_port, seconds, 1, 1)
        return {"when": when, "load": load, "single": single}


def _get(port: int, path: str) -> bytes | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            body: bytes = resp.read()
            return body
    except OSError:
        return None


def scrape(port: int) -> dict[str, float]:
    """drift's /metrics as {name without drift_ prefix and _total suffix: value}."""
    text = (_get(port, "/metrics") or b"").decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("drift_") and " " in line:
            name, _, value = line.partition(" ")
            out[name.removeprefix("drift_").removesuffix("_total")] = float(value)
    return out


def wait_drained(port: int, timeout: float = 10.0) -> dict[str, float]:
    """Metrics once the worker has caught up with the hook (processed == seen), or at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        m = scrape(port)
        caught_up = m.get("exchanges_processed", 0) + m.get("exchanges_dropped", 0)
        if (m and caught_up >= m.get("exchanges_seen", 0)) or time.monotonic() > deadline:
            return m
        time.sleep(0.1)


def read_log(path: Path, *, drift: bool) -> dict[str, Any]:
    """Warnings and errors in a proxy's log, and drift's final stats line."""
    problems: list[str] = []
    stopped: dict[str, Any] | None = None
    for line in path.read_text(errors="replace").splitlines():
        if drift and line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                problems.append(line)
                continue
            if doc.get("msg") == "drift capture stopped":
                stopped = doc
            elif doc.get("level") in ("warning", "error", "critical"):
                problems.append(line)
        elif line.strip():
            problems.append(line)
    return {"problems": len(problems), "first_problems": problems[:8], "stopped": stopped}


def stored_rows(db: Path) -> int | None:
    """Rows in the store's observations table after the final flush (None if unreadable)."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM observations").fetchone()[0])
    except sqlite3.Error:
        return None


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- report -------------------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def span(values: list[float], fmt: str) -> str:
    if not values:
        return "n/a"
    return f"{fmt.format(med(values))}  [{fmt.format(min(values))} .. {fmt.format(max(values))}]"


def report(results: dict[str, Any], configs: tuple[str, ...]) -> list[str]:
    st = results["settings"]
    rounds: list[dict[str, Any]] = results["rounds"]
    by = {c: [r for r in rounds if r["config"] == c] for c in configs}
    final = {f["config"]: f for f in results["final"]}
    anomalies: list[str] = []

    def col(rows: list[dict[str, Any]], get: Callable[[dict[str, Any]], float]) -> float:
        return med([get(r) for r in rows])

    lines = [
        "",
        f"Medians over {st['rounds']} rounds; load: wrk -t{st['threads']} -c{st['connections']} "
        f"{st['duration']} s, latency: wrk -t1 -c1 {st['latency_duration']} s; measured: "
        f"{results['environment']['commit']}",
        "CPU us/req = proxy process CPU per request (main = event-loop thread, others = the rest);",
        "capture = drift's capture process (parsing, inference, store writes), on another core",
        "",
        f"{'configuration':32} {'req/s':>7} {'CPU us/req':>10} {'main':>6} {'others':>6} "
        f"{'capture':>7} {'p50 load':>9} {'p99 load':>9} {'p50 c=1':>8} {'p99 c=1':>8} "
        f"{'RSS MB':>7} {'+capture':>8} {'host busy':>9}",
    ]
    for c in configs:
        rows = by[c]
        if not rows:
            continue
        lines.append(
            f"{LABELS[c]:32} {col(rows, lambda r: r['load']['rps']):7.0f} "
            f"{col(rows, lambda r: r['cpu_us_per_req']):10.0f} "
            f"{col(rows, lambda r: r['main_thread_us_per_req']):6.0f} "
            f"{col(rows, lambda r: r['other_threads_us_per_req']):6.0f} "
            f"{col(rows, lambda r: r.get('capture_us_per_req', 0)):7.0f} "
            f"{col(rows, lambda r: r['load']['p50_us']) / 1e3:7.2f}ms "
            f"{col(rows, lambda r: r['load']['p99_us']) / 1e3:7.2f}ms "
            f"{col(rows, lambda r: r['single']['p50_us']) / 1e3:6.2f}ms "
            f"{col(rows, lambda r: r['single']['p99_us']) / 1e3:6.2f}ms "
            f"{final.get(c, {}).get('rss_kb', 0) / 1024:7.1f} "
            f"{final.get(c, {}).get('capture_rss_kb', 0) / 1024:8.1f} "
            f"{col(rows, lambda r: r['host_busy']) * 100:8.0f}%"
        )
    ups = results["upstream"]
    if ups:
        up_rps = med([u["load"]["rps"] for u in ups])
        lines.append(
            f"{'upstream direct (nginx)':32} {up_rps:7.0f} {'':10} {'':6} {'':6} {'':7} "
            f"{med([u['load']['p50_us'] for u in ups]) / 1e3:7.2f}ms "
            f"{med([u['load']['p99_us'] for u in ups]) / 1e3:7.2f}ms "
            f"{med([u['single']['p50_us'] for u in ups]) / 1e3:6.2f}ms "
            f"{med([u['single']['p99_us'] for u in ups]) / 1e3:6.2f}ms"
        )
    lines.append("(RSS at the end of the run, after every round's traffic)")
    if rounds:
        idle = max(r["idle_proxies_cpu_util"] for r in rounds)
        proxy = med([r["proxy_cpu_util"] for r in rounds])
        steal = max(r["host_steal"] for r in rounds)
        lines.append(
            f"proxy under load used {proxy * 100:.0f}% of a core (median); the idle proxies "
            f"together at most {idle * 100:.1f}%; CPU steal at most {steal * 100:.1f}%"
        )
    if ups and any(by.values()):
        fastest = max(col(by[c], lambda r: r["load"]["rps"]) for c in configs if by[c])
        factor = up_rps / fastest if fastest else float("inf")
        ok = factor >= UPSTREAM_FACTOR
        lines.append(
            f"upstream alone / fastest proxy: {factor:.0f}x "
            f"({'OK' if ok else 'TOO SLOW'}: must be >= {UPSTREAM_FACTOR}x)"
        )
        if not ok:
            anomalies.append(f"upstream only {factor:.1f}x the proxy: it may be the bottleneck")

    # Each drift slice paired with the bare slice of the same round (seconds apart).
    bare = {r["round"]: r for r in by.get("bare", [])}
    for c in configs:
        if c == "bare" or not by[c] or not bare:
            continue
        pairs = [(r, bare[r["round"]]) for r in by[c] if r["round"] in bare]

        def ratio(key: str, pairs: list[Any] = pairs) -> list[float]:
            return [d[key] / b[key] for d, b in pairs]

        def diff(get: Callable[[dict[str, Any]], float], pairs: list[Any] = pairs) -> list[float]:
            return [get(d) - get(b) for d, b in pairs]

        lines += [
            "",
            f"{LABELS[c]} vs bare mitmdump, per-round pairs: median  [min .. max]",
            "  throughput ratio        "
            + span([d["load"]["rps"] / b["load"]["rps"] for d, b in pairs], "{:.3f}"),
            "  CPU per request ratio   " + span(ratio("cpu_us_per_req"), "{:.3f}"),
            "  added CPU us/request    " + span(diff(lambda r: r["cpu_us_per_req"]), "{:+.0f}"),
            "    on the main thread    "
            + span(diff(lambda r: r["main_thread_us_per_req"]), "{:+.0f}"),
            "    on other threads      "
            + span(diff(lambda r: r["other_threads_us_per_req"]), "{:+.0f}"),
            "  capture process us/req  "
            + span([d.get("capture_us_per_req", 0.0) for d, _ in pairs], "{:.0f}"),
            "  total CPU ratio, with the capture process "
            + span([d["total_cpu_us_per_req"] / b["cpu_us_per_req"] for d, b in pairs], "{:.3f}"),
            "  added p50, c=1 (ms)     "
            + span(diff(lambda r: r["single"]["p50_us"] / 1e3), "{:+.3f}"),
            "  added p99, c=1 (ms)     "
            + span(diff(lambda r: r["single"]["p99_us"] / 1e3), "{:+.3f}"),
            "  added p50 under load    "
            + span(diff(lambda r: r["load"]["p50_us"] / 1e3), "{:+.3f}"),
        ]

    lines += ["", "drift /metrics per slice (load + latency pass; totals include warm-up):"]
    lines.append(
        f"  {'round':>5} {'config':10} {'seen':>7} {'processed':>9} {'sampled':>8} "
        f"{'sampled%':>8} {'dropped':>7} {'hook err':>8} {'worker err':>10} {'wrk err':>7}"
    )
    for r in rounds:
        wrk_errors = r["load"]["errors"] + r["single"]["errors"]
        if wrk_errors:
            anomalies.append(f"round {r['round']} {r['config']}: {wrk_errors} wrk errors")
        if "metrics_delta" not in r:
            continue
        m = r["metrics_delta"]
        seen = m.get("exchanges_seen", 0)
        lines.append(
            f"  {r['round']:>5} {r['config']:10} {seen:7.0f} {m.get('exchanges_processed', 0):9.0f} "
            f"{m.get('exchanges_sampled', 0):8.0f} "
            f"{100 * m.get('exchanges_sampled', 0) / max(seen, 1):7.1f}% "
            f"{m.get('exchanges_dropped', 0):7.0f} {m.get('hook_errors', 0):8.0f} "
            f"{m.get('worker_errors', 0):10.0f} {wrk_errors:7d}"
        )
    for c, f in final.items():
        if f.get("exit_code") not in (0, None):
            anomalies.append(f"{c}: exit code {f['exit_code']}")
        if f["log"]["problems"]:
            anomalies.append(
                f"{c}: {f['log']['problems']} warning/error log lines, e.g. "
                f"{f['log']['first_problems'][0][:300]}"
            )
        if c == "bare":
            continue
        m = f.get("metrics", {})
        stopped = f["log"]["stopped"] or {}
        lines.append(
            f"  {'total':>5} {c:10} {m.get('exchanges_seen', 0):7.0f} "
            f"{m.get('exchanges_processed', 0):9.0f} {m.get('exchanges_sampled', 0):8.0f} "
            f"{100 * m.get('exchanges_sampled', 0) / max(m.get('exchanges_seen', 0), 1):7.1f}% "
            f"{m.get('exchanges_dropped', 0):7.0f} {m.get('hook_errors', 0):8.0f} "
            f"{m.get('worker_errors', 0):10.0f}   flushes {stopped.get('flushes', '?')}, "
            f"observations stored {f.get('stored_observations')}"
        )
        dropped = max(m.get("exchanges_dropped", 0), stopped.get("dropped") or 0)
        if dropped:
            anomalies.append(f"!!! {c}: {dropped:.0f} EXCHANGES DROPPED (hand-off queue full) !!!")
        for key in ("hook_errors", "worker_errors", "flush_errors", "observations_dropped"):
            if m.get(key):
                anomalies.append(f"{c}: {key} = {m[key]:.0f}")
        if not stopped:
            anomalies.append(f"{c}: no 'drift capture stopped' line in its log")
        elif stopped.get("flush_failures") or not stopped.get("flushes"):
            anomalies.append(
                f"{c}: flushes={stopped.get('flushes')} failures={stopped.get('flush_failures')}"
            )
        if not f.get("stored_observations"):
            anomalies.append(f"{c}: no observations in the store after shutdown")
    lines += ["", "anomalies:" if anomalies else "anomalies: none (no drops, no errors)"]
    lines += [f"  - {a}" for a in anomalies]
    results["anomalies"] = anomalies
    return lines


# -- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--duration", type=int, default=8, help="seconds of each load pass")
    parser.add_argument(
        "--latency-duration", type=int, default=3, help="seconds of each 1-connection pass"
    )
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of load per proxy before round 1"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--configs", default=",".join(CONFIGS), help="subset of " + ",".join(CONFIGS)
    )
    parser.add_argument("--contract", type=Path, default=CONTRACT)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 4 s + 2 s: a smoke run")
    parser.add_argument("--json", action="store_true", help="also print all raw numbers as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, stores)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.latency_duration, args.warmup = 3, 4, 2, 1
    configs = tuple(c for c in args.configs.split(",") if c)
    if unknown := set(configs) - set(CONFIGS):
        parser.error(f"unknown configurations {sorted(unknown)}")

    missing = [] if shutil.which("wrk") else ["wrk"]
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not nginx:
        missing.append("nginx-light")
    for tool in ("mitmdump", "drift"):
        if not (BIN / tool).exists():
            print(f"{BIN / tool} not found: run with the project's venv python", file=sys.stderr)
            return 2
    if missing:
        print(
            f"missing: {', '.join(missing)}; install with:\n"
            f"  apt-get update && apt-get install -y {' '.join(missing)}",
            file=sys.stderr,
        )
        return 2
    assert nginx is not None

    workdir = Path(tempfile.mkdtemp(prefix="drift-bench-proxy-"))
    (workdir / "nginx-tmp").mkdir()
    body = bodies()
    lua = workdir / "mix.lua"
    lua.write_text(WRK_LUA.replace("NEW_ORDER", body["new_order"]))
    bench = Bench(args, workdir, lua, upstream_port=free_port())
    (workdir / "nginx.conf").write_text(nginx_conf(workdir, bench.upstream_port, body))
    version = subprocess.run(
        [str(BIN / "mitmdump"), "--version"], capture_output=True, text=True
    ).stdout
    results: dict[str, Any] = {
        "settings": {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "configs": configs,
            "body_bytes": {k: len(v) for k, v in body.items()},
        },
        "environment": {
            "cpus": os.cpu_count(),
            "mitmproxy": " ".join(version.split()[:2]),
            "python": sys.version.split()[0],
            "commit": git_head(),
        },
        "upstream": [],
        "rounds": [],
        "final": [],
    }
    started = time.monotonic()
    print(
        f"bodies: order {len(body['order'])} B, list {len(body['list'])} B, invoice "
        f"{len(body['invoice'])} B, customer {len(body['customer'])} B, POST body "
        f"{len(body['new_order'])} B; {results['environment']['mitmproxy']}; "
        f"{os.cpu_count()} CPUs; drift at {results['environment']['commit']}",
        flush=True,
    )
    proxies: dict[str, Proc] = {}
    try:
        bench.start_upstream(nginx)
        results["upstream"].append(bench.upstream_check("start"))
        print(f"upstream alone: {results['upstream'][-1]['load']['rps']:.0f} req/s", flush=True)
        for config in configs:
            proxies[config] = bench.start_proxy(config)
        for config in configs:
            if args.warmup:
                bench.wrk(proxies[config].port, args.warmup, args.connections, args.threads)
        for round_no in range(1, args.rounds + 1):
            shift = (round_no - 1) % len(configs)
            for config in configs[shift:] + configs[:shift]:
                idle = [p for c, p in proxies.items() if c != config]
                r = bench.slice(config, proxies[config], round_no, idle)
                results["rounds"].append(r)
                m = r.get("metrics_delta", {})
                extra = (
                    f", seen {m.get('exchanges_seen', 0):.0f} sampled "
                    f"{m.get('exchanges_sampled', 0):.0f} dropped "
                    f"{m.get('exchanges_dropped', 0):.0f}"
                    if m
                    else ""
                )
                print(
                    f"round {round_no:2} {config:9}: {r['load']['rps']:5.0f} req/s, "
                    f"{r['cpu_us_per_req']:5.0f} us CPU/req ({r['other_threads_us_per_req']:4.0f} "
                    f"off the event loop, {r['capture_us_per_req']:4.0f} in the capture "
                    f"process), p50 c=1 {r['single']['p50_us'] / 1e3:.2f} ms, "
                    f"host busy {r['host_busy'] * 100:.0f}%{extra}",
                    flush=True,
                )
        results["upstream"].append(bench.upstream_check("end"))
        print(f"upstream alone: {results['upstream'][-1]['load']['rps']:.0f} req/s", flush=True)
        for config, proc in proxies.items():
            results["final"].append(bench.finish(config, proc))
    finally:
        bench.cleanup(keep=args.keep)
    results["elapsed_s"] = time.monotonic() - started
    print("\n".join(report(results, configs)))
    print(f"\nelapsed {results['elapsed_s']:.0f} s")
    if args.json:
        print(json.dumps(results, indent=1, default=str))
    return 1 if any("DROPPED" in a for a in results["anomalies"]) else 0


if __name__ == "__main__":
    sys.exit(main())
