"""Off-loop capture work: turn handed-off flows into exchanges and fold them into observations.

The mitmproxy hook only appends references to a deque; this thread drains it in batches every
few milliseconds (no per-item wake-up), decides what to sample, decodes and parses sampled
bodies within a size bound, and every `flush_interval` hands a snapshot of the observations to
the flusher. Nothing here can raise into the proxy: errors are counted and logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from drift.core.exchange import Body, BodyState, Exchange
from drift.core.identity import ConsumerIdentifier, RequestFacts
from drift.core.observation import Observation, ObservationKey
from drift.core.observe import Observer
from drift.core.privacy import header_names, param_names
from drift.core.sampling import Sampler, SamplingPolicy
from drift.edges.decode import body_from_wire, media_type

__all__ = ["CaptureWorker", "Handoff", "WorkerSettings"]

log = logging.getLogger(__name__)

# (request, response, client connection, bytes held): references only, no copies.
Handoff = tuple[Any, Any, Any, int]
Snapshot = dict[ObservationKey, Observation]


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    body_limit: int = 4 * 1024 * 1024  # decoded bytes parsed per body; larger bodies are counted
    drain_interval: float = 0.02  # seconds between queue drains
    flush_interval: float = 5.0  # seconds between snapshots handed to the flusher
    sampling: SamplingPolicy = field(default_factory=SamplingPolicy)


_NO_BODY = Body(None, BodyState.EMPTY)


def _header_keys(message: Any) -> list[str]:
    """Header names straight from mitmproxy's raw fields (`Headers.keys()` rescans per key)."""
    return [name.decode("latin-1") for name, _ in message.headers.fields]


def _cert_cn(client: Any) -> str | None:
    certs = getattr(client, "certificate_list", ()) or ()
    return getattr(certs[0], "cn", None) if certs else None


def _client_ip(client: Any) -> str | None:
    peer = getattr(client, "peername", None)
    return str(peer[0]) if peer else None


class CaptureWorker:
    def __init__(
        self,
        observer: Observer,
        identifier: ConsumerIdentifier,
        settings: WorkerSettings,
        on_snapshot: Callable[[Snapshot], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.observer = observer
        self.identifier = identifier
        self.settings = settings
        self.on_snapshot = on_snapshot
        self.clock = clock
        self.queue: deque[Handoff] = deque()
        self.sampler = Sampler(settings.sampling, clock())
        self.bytes_done = 0  # written by this thread only; the hook keeps bytes_queued
        self.processed = 0
        self.errors = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drift-capture", daemon=True)
        self._next_flush = clock() + settings.flush_interval
        # Headers that name the consumer are identity, not API parameters: not recorded.
        self._identity_headers = frozenset(
            name.lower()
            for rule in identifier.rules
            for name in (getattr(rule, "name", None), getattr(rule, "header", None))
            if isinstance(name, str)
        )

    # -- thread ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Drain what is queued, hand over a last snapshot, and stop."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        else:
            self._drain()
            self._snapshot()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.drain_interval):
            self._drain()
            if self.clock() >= self._next_flush:
                self._snapshot()
        self._drain()
        self._snapshot()

    def _snapshot(self) -> None:
        self._next_flush = self.clock() + self.settings.flush_interval
        try:
            snapshot = self.observer.take()
            if snapshot:
                self.on_snapshot(snapshot)
        except Exception as exc:  # never let a bug stop capture
            self._failed(exc)

    def _drain(self) -> None:
        queue = self.queue
        while queue:
            request, response, client, size = queue.popleft()
            try:
                self.process(request, response, client)
            except Exception as exc:
                self._failed(exc)
            finally:
                self.bytes_done += size
                self.processed += 1

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        self.last_error = type(exc).__name__
        log.warning("capture error", extra={"error": type(exc).__name__}, exc_info=self.errors <= 3)

    # -- one exchange ------------------------------------------------------------------------

    def process(self, request: Any, response: Any, client: Any) -> None:
        method = request.method.upper()
        path, _, query = request.path.partition("?")
        route = self.observer.router.match(method, path)
        template = route.template if route is not None else "(undeclared)"
        facts = RequestFacts(request.headers, _client_ip(client), _cert_cn(client))
        consumer = self.identifier.identify(facts)
        out_type = response.headers.get("content-type")
        stratum = (method, template, response.status_code, consumer, media_type(out_type))
        sample = self.sampler.decide((method, template), stratum, self.clock())
        started = request.timestamp_start
        first_byte = response.timestamp_start or response.timestamp_end
        latency = (first_byte - started) * 1000 if first_byte and started else None
        timestamp = datetime.fromtimestamp(started, UTC) if started else None
        if not sample:  # counted only: status, consumer, latency, rate
            self.observer.add(
                Exchange(
                    method,
                    path,
                    response.status_code,
                    _NO_BODY,
                    _NO_BODY,
                    consumer=consumer,
                    latency_ms=latency,
                    timestamp=timestamp,
                ),
                routed=(route,),
                detail=False,
            )
            return
        self.observer.add(
            Exchange(
                method=method,
                path=path,
                status=response.status_code,
                request=self._body(request),
                response=self._body(response),
                query=param_names(name for name, _ in parse_qsl(query, keep_blank_values=True)),
                request_headers=header_names(_header_keys(request), deny=self._identity_headers),
                response_headers=header_names(_header_keys(response)),
                cookies=param_names(request.cookies.keys()) if "cookie" in request.headers else (),
                consumer=consumer,
                host=request.host,
                latency_ms=latency,
                timestamp=timestamp,
            ),
            routed=(route,),
        )

    def _body(self, message: Any) -> Body:
        headers = message.headers
        return body_from_wire(
            message.raw_content,
            headers.get("content-type"),
            headers.get("content-encoding"),
            limit=self.settings.body_limit,
        )
