"""`/healthz` and `/metrics` (Prometheus text format) for the sidecar, on localhost by default.

Counters are read from the addon at scrape time, so the hot path pays nothing for metrics.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["MetricsServer", "StatsSource"]


class StatsSource(Protocol):
    def stats(self) -> dict[str, Any]: ...


_COUNTERS = {
    "seen": ("drift_exchanges_seen", "Exchanges the proxy saw."),
    "processed": ("drift_exchanges_processed", "Exchanges the worker folded into observations."),
    "sampled": ("drift_exchanges_sampled", "Exchanges whose bodies were parsed."),
    "dropped": (
        "drift_exchanges_dropped",
        "Exchanges dropped because the hand-off queue was full.",
    ),
    "hook_errors": ("drift_hook_errors", "Errors caught in the proxy hook."),
    "handoff_errors": (
        "drift_handoff_errors",
        "Errors caught in the proxy's shipping thread.",
    ),
    "lost": (
        "drift_exchanges_lost",
        "Exchanges that could not be handed over because the capture process had died.",
    ),
    "restarts": ("drift_capture_restarts", "Times the capture process was restarted."),
    "worker_errors": ("drift_worker_errors", "Errors caught in the capture worker."),
    "flushes": ("drift_flushes", "Successful store flushes."),
    "flush_failures": ("drift_flush_errors", "Failed store flushes (retried)."),
    "dropped_observations": (
        "drift_observations_dropped",
        "Observation deltas dropped while the store was unreachable.",
    ),
}
_GAUGES = {
    "queue_depth": ("drift_queue_depth", "Exchanges waiting in the proxy for hand-off."),
    "queued_bytes": ("drift_queue_bytes", "Body bytes waiting in the proxy for hand-off."),
    "backlog": ("drift_capture_backlog", "Exchanges waiting in the capture process."),
    "capture_rss_bytes": (
        "drift_capture_rss_bytes",
        "Resident memory of the capture process.",
    ),
    "pending_observations": (
        "drift_pending_observations",
        "Observation deltas waiting for the store.",
    ),
    "flush_seconds": ("drift_flush_seconds", "Duration of the last successful flush."),
}


class _Collector(Collector):
    def __init__(self, source: StatsSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        stats = self.source.stats()
        for key, (name, doc) in _COUNTERS.items():
            yield CounterMetricFamily(name, doc, value=float(stats.get(key) or 0))
        for key, (name, doc) in _GAUGES.items():
            yield GaugeMetricFamily(name, doc, value=float(stats.get(key) or 0))


class MetricsServer:
    def __init__(self, source: StatsSource, host: str = "127.0.0.1", port: int = 9464) -> None:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Collector(source))
        handler = _handler(source, registry)
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="drift-metrics", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _health(stats: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """200 while capture runs or is being restarted; 503 when it is off for good (its
    configuration cannot work) or keeps crashing. Traffic flows through the proxy either way."""
    last = stats.get("last_flush_ok")
    capture = stats.get("capture", "off")
    body = {
        "status": "ok" if capture in ("running", "restarting") else "degraded",
        "capture": capture,
        "worker_alive": stats.get("worker_alive"),
        "queue_depth": stats.get("queue_depth"),
        "pending_observations": stats.get("pending_observations"),
        "seconds_since_flush": round(time.time() - last, 1) if last else None,
        "flush_failures": stats.get("flush_failures"),
        "restarts": stats.get("restarts"),
    }
    return (200 if body["status"] == "ok" else 503), body


def _handler(source: StatsSource, registry: CollectorRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] in ("/healthz", "/health", "/readyz"):
                code, body = _health(source.stats())
                self._send(code, "application/json", json.dumps(body).encode())
            elif self.path.split("?")[0] == "/metrics":
                self._send(200, "text/plain; version=0.0.4", generate_latest(registry))
            else:
                self._send(404, "text/plain", b"not found\n")

        def _send(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # scrapes are not worth a log line each

    return Handler
