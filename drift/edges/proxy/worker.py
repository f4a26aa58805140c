"""The capture engine: turn exchange records into observations (runs in the capture process).

The proxy process ships compact `Record` tuples (see `drift.edges.proxy.wire`); this thread
drains them in batches every few milliseconds (no per-item wake-up), decides what to sample,
decodes and parses sampled bodies within a size bound, and every `flush_interval` hands a
snapshot of the observations to the flusher. Nothing here raises: errors are counted and logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from drift.core.exchange import Body, BodyState, Exchange
from drift.core.identity import ConsumerIdentifier, RequestFacts
from drift.core.observation import Observation, ObservationKey
from drift.core.observe import Observer
from drift.core.privacy import cookie_names
from drift.core.sampling import Sampler, shape_fingerprint
from drift.edges.decode import body_from_wire, is_json_media_type, media_type
from drift.edges.proxy.wire import FieldView, Record, WorkerSettings

__all__ = ["CaptureWorker", "WorkerSettings"]

log = logging.getLogger(__name__)

Snapshot = dict[ObservationKey, Observation]


_NO_BODY = Body(None, BodyState.EMPTY)
SHAPE_CHECK_LIMIT = 256 * 1024  # raw bytes: larger bodies are left to the rate caps


def _shape_checkable(
    request: bytes | int | None, response: bytes | int | None, media: str | None
) -> bool:
    """Whether an exchange the rates passed over is cheap enough to parse for its shape."""
    if media is not None and not is_json_media_type(media):
        return False
    return all(
        body is None or (isinstance(body, bytes) and len(body) <= SHAPE_CHECK_LIMIT)
        for body in (request, response)
    )


def _shape(body: Body) -> object:
    return shape_fingerprint(body.value) if body.state == BodyState.JSON else body.state


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
        self.queue: deque[Record] = deque()
        self.sampler = Sampler(settings.sampling, clock())
        policy = settings.sampling
        self._shapes = policy.new_shapes and not policy.samples_everything
        self.processed = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drift-capture", daemon=True)
        self._next_flush = clock() + settings.flush_interval
        # Headers that name the consumer are identity, not API parameters: not recorded.
        self._names = settings.names.denying_headers(identifier.header_names())

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
            record = queue.popleft()
            try:
                self.process(record)
            except Exception as exc:
                self._failed(exc)
            finally:
                self.processed += 1

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        log.warning("capture error", extra={"error": type(exc).__name__}, exc_info=self.errors <= 3)

    # -- one exchange ------------------------------------------------------------------------

    def process(self, record: Record) -> None:
        (
            raw_method,
            target,
            host,
            status,
            request_fields,
            response_fields,
            request_body,
            response_body,
            started,
            first_byte,
            client_ip,
            cert_cn,
        ) = record
        method = raw_method.decode("ascii", "replace").upper()
        path, _, query = target.decode("utf-8", "surrogateescape").partition("?")
        route = self.observer.router.match(method, path)
        template = route.template if route is not None else "(undeclared)"
        request_headers, response_headers = FieldView(request_fields), FieldView(response_fields)
        consumer = self.identifier.identify(RequestFacts(request_headers, client_ip, cert_cn))
        media = media_type(response_headers.get("content-type"))
        stratum = (method, template, status, consumer, media)
        sample = self.sampler.decide((method, template), stratum, self.clock())
        bodies: tuple[Body, Body] | None = None
        if self._shapes and (
            sample or _shape_checkable(request_body, response_body, media)
        ):  # a new body shape is sampled whatever the rates say
            bodies = (
                self._body(request_body, request_headers),
                self._body(response_body, response_headers),
            )
            shape = (_shape(bodies[0]), _shape(bodies[1]))
            sample = (
                self.sampler.shape((method, template, status, media), shape, sampled=sample)
                or sample
            )
        latency = (first_byte - started) * 1000 if first_byte and started else None
        timestamp = datetime.fromtimestamp(started, UTC) if started else None
        if not sample:  # counted only: status, consumer, latency, rate
            self.observer.add(
                Exchange(
                    method,
                    path,
                    status,
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
        cookie = request_headers.get("cookie")
        names = self._names
        if bodies is None:
            bodies = (
                self._body(request_body, request_headers),
                self._body(response_body, response_headers),
            )
        self.observer.add(
            Exchange(
                method=method,
                path=path,
                status=status,
                request=bodies[0],
                response=bodies[1],
                query=names.params(name for name, _ in parse_qsl(query, keep_blank_values=True)),
                request_headers=names.headers(request_headers.names()),
                response_headers=names.headers(response_headers.names()),
                cookies=names.params(cookie_names(cookie)) if cookie is not None else (),
                consumer=consumer,
                host=host,
                latency_ms=latency,
                timestamp=timestamp,
            ),
            routed=(route,),
        )

    def _body(self, raw: bytes | int | None, headers: FieldView) -> Body:
        content_type = headers.get("content-type")
        if isinstance(raw, int):  # too large to ship: only its size crossed the pipe
            return Body(media_type(content_type), BodyState.TOO_LARGE, size=raw)
        return body_from_wire(
            raw, content_type, headers.get("content-encoding"), limit=self.settings.body_limit
        )
