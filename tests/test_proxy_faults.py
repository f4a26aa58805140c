"""Faults around a real `drift proxy`: the traffic it watches never fails or changes.

Store down, store locked (slow), decompression bomb, bodies larger than the streaming
threshold, malformed JSON — every client request must get exactly what the upstream sent.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.proxy_support import drift_proxy, get_json, request

pytestmark = pytest.mark.slow

BIG = 24 * 1024 * 1024  # above drift proxy's 8 MiB streaming threshold


def _bomb() -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        chunk = b"\0" * (1 << 20)
        for _ in range(256):  # 256 MiB of zeros, ~250 KiB compressed
            gz.write(chunk)
    return out.getvalue()


BOMB = _bomb()
BIG_BODY = json.dumps({"items": ["x" * 1000] * (BIG // 1006)}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        routes: dict[str, tuple[bytes, dict[str, str]]] = {
            "/v1/orders/bomb": (
                BOMB,
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            ),
            "/v1/orders/big": (BIG_BODY, {"Content-Type": "application/json"}),
            "/v1/orders/broken": (b'{"id": "x", "status": ', {"Content-Type": "application/json"}),
            "/v1/orders": (b'{"items": []}', {"Content-Type": "application/json"}),
        }
        body, headers = routes.get(
            self.path, (b'{"title":"nf","status":404}', {"Content-Type": "application/json"})
        )
        self.send_response(200 if self.path in routes else 404)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def capture_pid(proxy_pid: int) -> int:
    """drift's capture process: the proxy's one child."""
    kids = [
        int(pid)
        for task in Path(f"/proc/{proxy_pid}/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    assert 1 == len(kids), kids
    return kids[0]


def wait_for_metric(port: int, name: str, check: Any, timeout: float = 30) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        metrics = _metrics(port)
        if check(metrics.get(name, 0.0)):
            return metrics
        assert time.monotonic() < deadline, f"{name} = {metrics.get(name)}"
        time.sleep(0.2)


PATHS = ["/v1/orders", "/v1/orders/bomb", "/v1/orders/big", "/v1/orders/broken", "/v1/nowhere"]


def assert_transparent(proxy_port: int, upstream: str, rounds: int = 2) -> None:
    direct_port = int(upstream.rsplit(":", 1)[1])
    for _ in range(rounds):
        for path in PATHS:
            status, headers, body = request(proxy_port, "GET", path, consumer="web")
            d_status, d_headers, d_body = request(direct_port, "GET", path)
            assert (d_status, digest(d_body), d_headers.get("content-encoding")) == (
                status,
                digest(body),
                headers.get("content-encoding"),
            ), path


def test_store_down_changes_nothing_for_clients_and_is_reported(
    upstream: str, tmp_path: Path
) -> None:
    dead_store = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=1"
    with drift_proxy(tmp_path, upstream, dead_store, "--sample-all") as proxy:
        assert_transparent(proxy.port, upstream)
        deadline = time.monotonic() + 15
        health: dict[str, Any] = {}
        while time.monotonic() < deadline:
            health = get_json(proxy.metrics_port, "/healthz")
            if health["flush_failures"]:
                break
            time.sleep(0.3)
        assert health["flush_failures"] >= 1
        assert health["pending_observations"] >= 1
        started = time.monotonic()
        assert 0 == proxy.stop()
        assert time.monotonic() - started < 20  # a dead store does not hang shutdown
    log = proxy.log.read_text()
    assert "store flush failed; will retry" in log
    assert "Traceback" not in log


def test_locked_sqlite_store_slows_flushes_not_traffic(upstream: str, tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    url = f"sqlite:///{db}"
    with drift_proxy(tmp_path, upstream, url, "--sample-all") as proxy:
        request(proxy.port, "GET", "/v1/orders")  # the store gets created on the first flush
        time.sleep(1.5)
        lock = sqlite3.connect(db, timeout=30)
        lock.execute("BEGIN EXCLUSIVE")  # hold the write lock: every flush now waits, then fails
        try:
            started = time.monotonic()
            for _ in range(20):
                status, _, _ = request(proxy.port, "GET", "/v1/orders", consumer="web")
                assert 200 == status
            assert time.monotonic() - started < 10
        finally:
            lock.rollback()
            lock.close()
        assert 0 == proxy.stop()
    # after the lock is gone, everything seen was written (retries, once)
    from drift.edges.store import Store

    store = Store.open(url)
    try:
        total = sum(o.count for o in store.load().values())
    finally:
        store.close()
    assert 21 == total


def test_bombs_big_and_broken_bodies_pass_untouched_within_a_memory_bound(
    upstream: str, tmp_path: Path
) -> None:
    with drift_proxy(tmp_path, upstream, f"sqlite:///{tmp_path / 'b.db'}", "--sample-all") as proxy:
        capture = capture_pid(proxy.process.pid)
        baseline = rss_kib(proxy.process.pid), rss_kib(capture)
        assert_transparent(proxy.port, upstream, rounds=3)
        grown = rss_kib(proxy.process.pid) - baseline[0], rss_kib(capture) - baseline[1]
        # 3 x (24 MiB streamed body + 256 MiB bomb) went through; drift may hold a bounded amount
        assert grown[0] < 64 * 1024, f"proxy RSS grew by {grown[0]} KiB"
        assert grown[1] < 64 * 1024, f"capture process RSS grew by {grown[1]} KiB"
        time.sleep(1.0)
        metrics = _metrics(proxy.metrics_port)
        assert metrics["drift_hook_errors_total"] == 0
        assert metrics["drift_exchanges_processed_total"] == metrics["drift_exchanges_seen_total"]
        assert 0 == proxy.stop()


def _metrics(port: int) -> dict[str, float]:
    _, _, body = request(port, "GET", "/metrics")
    return {
        line.split()[0]: float(line.split()[1])
        for line in body.decode().splitlines()
        if line and not line.startswith("#")
    }


def test_a_crashing_capture_process_is_restarted_and_clients_never_notice(
    upstream: str, tmp_path: Path
) -> None:
    with drift_proxy(tmp_path, upstream, f"sqlite:///{tmp_path / 'k.db'}", "--sample-all") as proxy:
        assert_transparent(proxy.port, upstream, rounds=1)
        wait_for_metric(proxy.metrics_port, "drift_exchanges_processed_total", lambda v: v >= 5)
        os.kill(capture_pid(proxy.process.pid), signal.SIGKILL)
        assert_transparent(proxy.port, upstream, rounds=2)  # during the crash and the restart
        wait_for_metric(proxy.metrics_port, "drift_capture_restarts_total", lambda v: v == 1)
        health = get_json(proxy.metrics_port, "/healthz")
        deadline = time.monotonic() + 30
        while health["status"] != "ok":
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
            health = get_json(proxy.metrics_port, "/healthz")
        before = _metrics(proxy.metrics_port)["drift_exchanges_processed_total"]
        assert_transparent(proxy.port, upstream, rounds=1)
        wait_for_metric(
            proxy.metrics_port, "drift_exchanges_processed_total", lambda v: v >= before + 5
        )
        assert 0 == proxy.stop()
    log = proxy.log.read_text()
    assert "capture process exited; observations it had not flushed are lost" in log
    assert "Traceback" not in log
