"""The drift capture addon for mitmproxy: watch traffic, never touch it.

Load it with `mitmdump -s drift/edges/proxy/addon.py --set drift_contract=openapi.yaml …` or let
`drift proxy` run mitmproxy with it. The `response` hook does O(1) work inside try/except:
it appends references to a deque, bounded by count and by bytes held, and counts drops.
Decoding, parsing, inference and store writes happen off the event loop (worker + flusher).
"""

from __future__ import annotations

import logging
from typing import Any

from mitmproxy import ctx, exceptions, http

from drift.core.contract.model import Contract
from drift.core.identity import ConsumerIdentifier
from drift.core.observe import Observer
from drift.core.sampling import SamplingPolicy
from drift.edges.contracts import load_contract
from drift.edges.proxy.flusher import Flusher
from drift.edges.proxy.metrics import MetricsServer
from drift.edges.proxy.worker import CaptureWorker, WorkerSettings
from drift.edges.store import Store
from drift.errors import DriftError, InputError

__all__ = ["DriftAddon", "addons"]

log = logging.getLogger(__name__)


class DriftAddon:
    def __init__(
        self, identifier: ConsumerIdentifier | None = None, contract: Contract | None = None
    ) -> None:
        # Already loaded and validated by `drift proxy` (override the options; no second load).
        self.preset_identifier = identifier
        self.preset_contract = contract
        self.worker: CaptureWorker | None = None
        self.flusher: Flusher | None = None
        self.metrics: MetricsServer | None = None
        self.max_queue = 10_000
        self.max_queue_bytes = 64 * 1024 * 1024
        self.seen = 0
        self.dropped = 0
        self.errors = 0
        self.bytes_queued = 0

    # -- mitmproxy lifecycle -----------------------------------------------------------------

    def load(self, loader: Any) -> None:
        loader.add_option(
            "drift_contract", str, "", "OpenAPI contract of the service behind the proxy."
        )
        loader.add_option(
            "drift_service", str, "", "Service name (default: from the contract title)."
        )
        loader.add_option(
            "drift_store", str, "sqlite:///drift.db", "Store URL (sqlite:///… or postgresql://…)."
        )
        loader.add_option("drift_consumer_header", str, "", "Request header naming the consumer.")
        loader.add_option(
            "drift_identity", str, "", "YAML file of consumer identity rules (tried in order)."
        )
        loader.add_option(
            "drift_sample_first", int, 3, "Always parse the first N of each new stratum."
        )
        # Numbers with a fraction are string options: mitmproxy's --set cannot parse floats.
        loader.add_option(
            "drift_sample_route_rate",
            str,
            "5",
            "Then parse at most this many per second per route ('inf' = all).",
        )
        loader.add_option(
            "drift_sample_global_rate",
            str,
            "50",
            "And at most this many per second overall ('inf' = all).",
        )
        loader.add_option(
            "drift_body_limit", int, 4 * 1024 * 1024, "Largest decoded body parsed, in bytes."
        )
        loader.add_option("drift_flush_interval", str, "5", "Seconds between store flushes.")
        loader.add_option(
            "drift_queue_max", int, 10_000, "Exchanges held for the worker before dropping."
        )
        loader.add_option(
            "drift_queue_max_bytes",
            int,
            64 * 1024 * 1024,
            "Body bytes held for the worker before dropping.",
        )
        loader.add_option(
            "drift_metrics",
            str,
            "127.0.0.1:9464",
            "host:port for /healthz and /metrics ('' = off).",
        )

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if "drift_contract" in updated and not opts.drift_contract:
            raise exceptions.OptionsError(
                "drift_contract is required: the OpenAPI contract to compare with"
            )
        for name in (
            "drift_sample_first",
            "drift_body_limit",
            "drift_queue_max",
            "drift_queue_max_bytes",
        ):
            if getattr(opts, name) < 0:
                raise exceptions.OptionsError(
                    f"{name} must be 0 or more, got {getattr(opts, name)}"
                )
        for name, low in (
            ("drift_sample_route_rate", 0.0),
            ("drift_sample_global_rate", 0.0),
            ("drift_flush_interval", 0.1),
        ):
            _number(name, getattr(opts, name), low)
        if opts.drift_metrics and opts.drift_metrics.rpartition(":")[2].isdigit() is False:
            raise exceptions.OptionsError(
                f"drift_metrics must be host:port, got {opts.drift_metrics!r}"
            )
        self.max_queue = opts.drift_queue_max
        self.max_queue_bytes = opts.drift_queue_max_bytes

    def running(self) -> None:
        opts = ctx.options
        try:
            contract = self.preset_contract or load_contract(
                opts.drift_contract, service=opts.drift_service or None
            )
        except DriftError as exc:
            log.error(
                "cannot load the contract; drift will pass traffic through unobserved",
                extra={"error": str(exc)},
            )
            return
        for problem in contract.problems[:20]:
            log.warning("contract problem", extra={"problem": problem.describe()})
        try:
            identifier = self.preset_identifier or identity_rules(
                opts.drift_identity, opts.drift_consumer_header
            )
        except DriftError as exc:
            log.error(
                "bad identity rules; drift will pass traffic through unobserved",
                extra={"error": str(exc)},
            )
            return
        self.start(
            Observer(contract),
            identifier,
            WorkerSettings(
                body_limit=opts.drift_body_limit,
                flush_interval=_number("drift_flush_interval", opts.drift_flush_interval, 0.1),
                sampling=SamplingPolicy(
                    first_n=opts.drift_sample_first,
                    route_rate=_number("drift_sample_route_rate", opts.drift_sample_route_rate, 0),
                    global_rate=_number(
                        "drift_sample_global_rate", opts.drift_sample_global_rate, 0
                    ),
                ),
            ),
            store_url=opts.drift_store,
            metrics=opts.drift_metrics,
        )

    def start(
        self,
        observer: Observer,
        identifier: ConsumerIdentifier,
        settings: WorkerSettings,
        *,
        store_url: str,
        metrics: str = "",
    ) -> None:
        """Start the worker, the flusher and (optionally) the metrics endpoint."""
        self.flusher = Flusher(lambda: Store.open(store_url), interval=settings.flush_interval)
        self.worker = CaptureWorker(observer, identifier, settings, self.flusher.submit)
        self.flusher.start()
        self.worker.start()
        if metrics:
            host, _, port = metrics.rpartition(":")
            self.metrics = MetricsServer(self, host or "127.0.0.1", int(port))
            self.metrics.start()
        log.info(
            "drift capture started",
            extra={
                "service": observer.contract.service,
                "operations": len(observer.contract.operations),
            },
        )

    def done(self) -> None:
        """mitmproxy is shutting down (SIGTERM, SIGINT): drain, flush, close."""
        if self.worker is not None:
            self.worker.stop()
        if self.flusher is not None:
            self.flusher.stop()
        if self.metrics is not None:
            self.metrics.stop()
        log.info("drift capture stopped", extra=self.stats())

    # -- the hot path ------------------------------------------------------------------------

    def response(self, flow: http.HTTPFlow) -> None:
        try:
            self.seen += 1
            worker = self.worker
            if worker is None:
                return
            request, response = flow.request, flow.response
            if response is None:
                return
            size = len(request.raw_content or b"") + len(response.raw_content or b"")
            queue = worker.queue
            if (
                len(queue) >= self.max_queue
                or self.bytes_queued - worker.bytes_done + size > self.max_queue_bytes
            ):
                self.dropped += 1
                return
            queue.append((request, response, flow.client_conn, size))
            self.bytes_queued += size
        except Exception:  # the proxy must never notice drift
            self.errors += 1

    # -- introspection -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        worker, flusher = self.worker, self.flusher
        return {
            "seen": self.seen,
            "dropped": self.dropped,
            "hook_errors": self.errors,
            "queue_depth": len(worker.queue) if worker else 0,
            "queued_bytes": self.bytes_queued - worker.bytes_done if worker else 0,
            "processed": worker.processed if worker else 0,
            "sampled": worker.sampler.sampled if worker else 0,
            "worker_errors": worker.errors if worker else 0,
            "worker_alive": worker.alive() if worker else False,
            "flushes": flusher.flushes if flusher else 0,
            "flush_failures": flusher.failures if flusher else 0,
            "flush_seconds": flusher.last_flush_seconds if flusher else 0.0,
            "pending_observations": flusher.pending if flusher else 0,
            "dropped_observations": flusher.dropped if flusher else 0,
            "last_flush_ok": flusher.last_success if flusher else None,
        }


def identity_rules(path: str, header: str) -> ConsumerIdentifier:
    """Rules from the identity file, then the consumer header, else 'unknown'."""
    rules: list[dict[str, Any]] = []
    if path:
        from pathlib import Path

        from drift.edges.documents import read_document

        loaded = read_document(Path(path))
        if not isinstance(loaded, list):
            raise InputError(
                "expected a list of consumer rules",
                file=path,
                hint="e.g. - {header: X-Consumer-Id}\n- {jwt_claim: azp}",
            )
        rules.extend(loaded)
    if header:
        rules.append({"header": header})
    try:
        return ConsumerIdentifier.from_config(rules, where="")
    except InputError as exc:
        where = (
            exc.pointer if exc.pointer and exc.pointer.startswith("/") else f"/{exc.pointer or ''}"
        )
        raise InputError(
            exc.message, file=path or "--consumer-header", pointer=where, hint=exc.hint
        ) from None


def _number(name: str, text: str, low: float) -> float:
    """A numeric option given as text ('inf' allowed); OptionsError names the option."""
    try:
        value = float(text)
    except ValueError:
        raise exceptions.OptionsError(f"{name} must be a number, got {text!r}") from None
    if value != value or value < low:  # NaN or too small
        raise exceptions.OptionsError(f"{name} must be at least {low:g}, got {text!r}")
    return value


addons = [DriftAddon()]
