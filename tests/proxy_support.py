"""Helpers to run a real `drift proxy` process in front of a real local HTTP server."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drift.demo.run import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
ORDERS_CONTRACT = ROOT / "config" / "examples" / "orders" / "openapi.yaml"


@dataclass
class Proxy:
    process: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    log: Path

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (as Kubernetes does) and wait; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()  # only the process we started
            self.process.wait(5)
            raise


@contextlib.contextmanager
def drift_proxy(
    tmp_path: Path, upstream: str, store_url: str, *extra: str, contract: Path = ORDERS_CONTRACT
) -> Iterator[Proxy]:
    port, metrics_port = free_port(), free_port()
    log = tmp_path / f"proxy-{port}.log"
    args = [
        sys.executable,
        "-m",
        "drift",
        "--log-level",
        "info",
        "proxy",
        "--contract",
        str(contract),
        "--upstream",
        upstream,
        "--listen",
        f"127.0.0.1:{port}",
        "--store",
        store_url,
        "--metrics",
        f"127.0.0.1:{metrics_port}",
        "--confdir",
        str(tmp_path / "mitmproxy"),
        "--flush-interval",
        "0.5",
        *extra,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    proxy = Proxy(process, port, metrics_port, log)
    try:
        wait_for_port(port)
        wait_for_port(metrics_port)
        yield proxy
    finally:
        if process.poll() is None:
            with contextlib.suppress(Exception):
                proxy.stop()


def request(
    port: int,
    method: str,
    path: str,
    *,
    consumer: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = dict(headers or {})
    if consumer:
        sent["X-Consumer-Id"] = consumer
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def get_json(port: int, path: str) -> Any:
    status, _, body = request(port, "GET", path)
    assert 200 == status, body
    return json.loads(body)


@contextlib.contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = os.environ.get("DRIFT_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("DRIFT_TEST_POSTGRES_URL is not set")
    import sqlalchemy

    schema = f"drift_e2e_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1)
        if base.startswith("postgresql://")
        else base
    )
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
