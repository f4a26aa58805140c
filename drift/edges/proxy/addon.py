"""The drift capture addon for mitmproxy: watch traffic, never touch it.

Load it with `mitmdump -s drift/edges/proxy/addon.py --set drift_contract=openapi.yaml …` or let
`drift proxy` run mitmproxy with it. The `response` hook does O(1) work inside try/except:
it appends references to a deque, bounded by count and by bytes held, and counts drops.
A shipping thread hands them to the capture process (`supervisor.py`), where decoding,
parsing, inference and store writes happen on another interpreter, off the proxy's GIL.
"""

from __future__ import annotations

import logging
from typing import Any

from mitmproxy import ctx, exceptions, http

from drift.core.identity import ConsumerIdentifier
from drift.core.privacy import NamePolicy
from drift.core.sampling import SamplingPolicy
from drift.edges.proxy.metrics import MetricsServer
from drift.edges.proxy.supervisor import CaptureProcess
from drift.edges.proxy.wire import CaptureConfig, WorkerSettings, record_of
from drift.errors import DriftError, InputError

__all__ = ["DriftAddon", "addons", "identity_rules", "sampling_options"]

log = logging.getLogger(__name__)


class DriftAddon:
    def __init__(
        self, identifier: ConsumerIdentifier | None = None, names: NamePolicy | None = None
    ) -> None:
        # Already built and validated by `drift proxy` (overrides the identity options).
        self.preset_identifier = identifier
        self.names = names or NamePolicy()  # config privacy.* (no mitmproxy option for it)
        self.want_cn = False  # read the client certificate's CN (~10 µs) only for a rule
        self.capture: CaptureProcess | None = None
        self.metrics: MetricsServer | None = None
        self.max_queue = 10_000
        self.max_queue_bytes = 64 * 1024 * 1024
        self.body_limit = 4 * 1024 * 1024
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
        loader.add_option("drift_sample_burst", str, "1", "Token bucket depth, in seconds of rate.")
        loader.add_option(
            "drift_sample_new_shapes",
            bool,
            True,
            "Also parse the first body of each new shape, whatever the rates.",
        )
        loader.add_option(
            "drift_body_limit", int, 4 * 1024 * 1024, "Largest decoded body parsed, in bytes."
        )
        loader.add_option("drift_flush_interval", str, "5", "Seconds between store flushes.")
        loader.add_option(
            "drift_queue_max", int, 10_000, "Exchanges held for hand-off before dropping."
        )
        loader.add_option(
            "drift_queue_max_bytes",
            int,
            64 * 1024 * 1024,
            "Body bytes held for hand-off before dropping.",
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
            ("drift_sample_burst", 0.001),
            ("drift_flush_interval", 0.1),
        ):
            _number(name, getattr(opts, name), low)
        if opts.drift_metrics and opts.drift_metrics.rpartition(":")[2].isdigit() is False:
            raise exceptions.OptionsError(
                f"drift_metrics must be host:port, got {opts.drift_metrics!r}"
            )
        self.max_queue = opts.drift_queue_max
        self.max_queue_bytes = opts.drift_queue_max_bytes
        self.body_limit = opts.drift_body_limit

    def running(self) -> None:
        if self.capture is None:  # `drift proxy` launches before serving; `mitmdump -s` here
            try:
                self.launch()
            except DriftError as exc:
                log.error(
                    "drift cannot capture; traffic passes through unobserved",
                    extra={"error": str(exc)},
                )

    def launch(self, ready_timeout: float | None = None) -> None:
        """Start the capture process (and the metrics endpoint) from the current options.

        With `ready_timeout`, wait until the capture process has loaded the contract and raise
        its error (file, line, pointer, hint) if it cannot: how `drift proxy` fails fast.
        """
        opts = ctx.options
        identifier = self.preset_identifier or identity_rules(
            opts.drift_identity, opts.drift_consumer_header
        )
        config = CaptureConfig(
            contract=opts.drift_contract,
            service=opts.drift_service or None,
            store_url=opts.drift_store,
            identifier=identifier,
            backlog=opts.drift_queue_max,
            settings=WorkerSettings(
                body_limit=opts.drift_body_limit,
                flush_interval=_number("drift_flush_interval", opts.drift_flush_interval, 0.1),
                sampling=SamplingPolicy(
                    first_n=opts.drift_sample_first,
                    route_rate=_number("drift_sample_route_rate", opts.drift_sample_route_rate, 0),
                    global_rate=_number(
                        "drift_sample_global_rate", opts.drift_sample_global_rate, 0
                    ),
                    burst_seconds=_number("drift_sample_burst", opts.drift_sample_burst, 0.001),
                    new_shapes=opts.drift_sample_new_shapes,
                ),
                names=self.names,
            ),
        )
        self.want_cn = identifier.wants_client_cn
        capture = CaptureProcess(config)
        capture.start()
        if ready_timeout is not None:
            try:
                capture.wait_ready(ready_timeout)
            except DriftError:
                capture.stop()
                raise
        self.capture = capture
        if opts.drift_metrics:
            host, _, port = opts.drift_metrics.rpartition(":")
            self.metrics = MetricsServer(self, host or "127.0.0.1", int(port))
            self.metrics.start()

    def done(self) -> None:
        """mitmproxy is shutting down (SIGTERM, SIGINT): ship, flush, close."""
        if self.capture is not None:
            self.capture.stop()
        if self.metrics is not None:
            self.metrics.stop()
        log.info("drift capture stopped", extra=self.stats())

    # -- the hot path ------------------------------------------------------------------------

    def response(self, flow: http.HTTPFlow) -> None:
        try:
            self.seen += 1
            capture = self.capture
            if capture is None or not capture.accepting:
                return
            response = flow.response
            if response is None:
                return
            queue = capture.queue
            if len(queue) >= self.max_queue:
                self.dropped += 1
                return
            record, size = record_of(
                flow.request, response, flow.client_conn, self.body_limit, self.want_cn
            )
            if self.bytes_queued - capture.bytes_done + size > self.max_queue_bytes:
                self.dropped += 1
                return
            queue.append((record, size))
            self.bytes_queued += size
        except Exception:  # the proxy must never notice drift
            self.errors += 1

    # -- introspection -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        capture = self.capture
        return {
            "seen": self.seen,
            "dropped": self.dropped,
            "hook_errors": self.errors,
            "queue_depth": len(capture.queue) if capture else 0,
            "queued_bytes": self.bytes_queued - capture.bytes_done if capture else 0,
            **(capture.stats() if capture else {"worker_alive": False}),
        }


def sampling_options(policy: SamplingPolicy) -> dict[str, Any]:
    """The addon's `drift_sample_*` options for a sampling policy (mitmproxy option values)."""
    return {
        "drift_sample_first": policy.first_n,
        "drift_sample_route_rate": str(policy.route_rate),
        "drift_sample_global_rate": str(policy.global_rate),
        "drift_sample_burst": str(policy.burst_seconds),
        "drift_sample_new_shapes": policy.new_shapes,
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
