"""`Observer`: route exchanges to operations and fold them into observations.

Pure and single-threaded: capture edges feed it exchanges, and ask for a snapshot when they
flush or report. Undeclared paths are grouped into inferred templates at snapshot time, so a
segment that only turns out to be high-cardinality later still folds every earlier path.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, datetime
from functools import lru_cache

from drift.core.contract.model import Contract, Operation
from drift.core.exchange import Body, BodyState, Exchange
from drift.core.observation import BodyStats, MessageStats, Observation, ObservationKey
from drift.core.routing import Route, Router
from drift.core.templating import PathTemplater, classify_segment

__all__ = ["MAX_PARAM_NAMES", "Observer"]

MAX_PARAM_NAMES = 128
MAX_PENDING_PATHS = 5_000
_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]$]{1,64}")
_INVALID_NAME = "(invalid name)"


@lru_cache(maxsize=8192)
def _name(name: str) -> str:
    # names that look like values (ids, tokens, emails) are data, not parameter names
    valid = _NAME.fullmatch(name) and classify_segment(name) is None
    return name if valid else _INVALID_NAME


def _names(names: tuple[str, ...], lower: bool = False) -> set[str]:
    return {_name(n.lower() if lower else n) for n in names}


def _count_params(stats: MessageStats, location: str, names: set[str]) -> None:
    if not names:
        return
    counts = stats.params.setdefault(location, {})
    for name in names:
        if name in counts or len(counts) < MAX_PARAM_NAMES:
            counts[name] = counts.get(name, 0) + 1


def _epoch_minute(moment: datetime) -> int:
    """Minutes since the epoch; a naive timestamp is taken as UTC (never as the host's zone)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() // 60)


def _record_body(stats: MessageStats, body: Body) -> None:
    stats.count += 1
    if 0 <= body.size < math.inf:
        stats.sizes.record(body.size)
    media = body.media_type or ""
    stats.media[media] = stats.media.get(media, 0) + 1
    stats.states[body.state] = stats.states.get(body.state, 0) + 1
    if body.state != BodyState.EMPTY:
        stats.with_body[media] = stats.with_body.get(media, 0) + 1
    if body.state == BodyState.JSON:
        shapes = stats.bodies.get(media or "application/json")
        if shapes is None:
            shapes = stats.bodies[media or "application/json"] = BodyStats()
        shapes.add(body.value)


class Observer:
    """Aggregates exchanges for one contract (one service)."""

    def __init__(self, contract: Contract, *, max_literals: int = 20) -> None:
        self.contract = contract
        self.router: Router[Operation] = Router(
            ((op.method, op.path, op) for op in contract.operations), contract.base_paths
        )
        self.templater = PathTemplater(max_literals=max_literals)
        self._observations: dict[ObservationKey, Observation] = {}
        self._pending: set[str] = set()  # raw undeclared paths, kept in memory only
        self.counts: Counter[str] = Counter()

    def add(
        self,
        exchange: Exchange,
        *,
        routed: tuple[Route[Operation] | None] | None = None,
        detail: bool = True,
    ) -> None:
        """Fold one exchange in; `routed` carries the router's answer when the caller has it.

        With `detail=False` (an exchange the sampler passed over) only the call is counted —
        status, consumer, latency, rate — while names and bodies are left out; message-level
        counts (`request.count`, `response.count`) then cover the detailed exchanges only, so
        presence ratios stay exact.
        """
        self.counts["exchanges"] += 1
        method = exchange.method.upper()
        route = routed[0] if routed is not None else self.router.match(method, exchange.path)
        if route is not None:
            path, declared = route.template, route.target is not None
            self.counts["declared" if declared else "undeclared-method"] += 1
        else:
            self.counts["undeclared-path"] += 1
            raw = self._strip_base(exchange.path)
            self.templater.add(raw)
            if raw in self._pending or len(self._pending) < MAX_PENDING_PATHS:
                self._pending.add(raw)
                path = raw
            else:
                path = self.templater.template(raw)
            declared = False
        obs = self._tally(
            ObservationKey(
                service=exchange.service or self.contract.service,
                method=method,
                path=path,
                declared=declared,
                consumer=exchange.consumer or "",
                status=exchange.status,
            ),
            exchange.latency_ms,
            exchange.timestamp,
        )
        if not detail:
            return
        _record_body(obs.request, exchange.request)
        _record_body(obs.response, exchange.response)
        _count_params(obs.request, "query", _names(exchange.query))
        _count_params(obs.request, "header", _names(exchange.request_headers, lower=True))
        _count_params(obs.request, "cookie", _names(exchange.cookies))

    def _tally(
        self, key: ObservationKey, latency: float | None, timestamp: datetime | None
    ) -> Observation:
        obs = self._observations.get(key)
        if obs is None:
            obs = self._observations[key] = Observation()
        obs.seen(timestamp)
        if latency is not None and 0 <= latency < math.inf:
            obs.latency.record(latency)
        if timestamp is not None:
            minute = _epoch_minute(timestamp)
            obs.minutes[minute] = obs.minutes.get(minute, 0) + 1
        return obs

    def _strip_base(self, path: str) -> str:
        """Undeclared paths are reported like declared ones: without the servers' base path."""
        for base in self.contract.base_paths:
            if path == base or path.startswith(base + "/"):
                return path[len(base) :] or "/"
        return path

    def snapshot(self) -> dict[ObservationKey, Observation]:
        """Observations so far, raw undeclared paths folded into inferred templates.

        A read-only view: values may be the observer's own objects, so later `add`s show.
        """
        return self._fold(self._observations, self._pending)

    def take(self) -> dict[ObservationKey, Observation]:
        """Hand over what was observed and start afresh (the sidecar's flush); learned path
        templates are kept. Nothing is copied, so a flush costs next to nothing."""
        taken, pending = self._observations, self._pending
        self._observations, self._pending = {}, set()
        return self._fold(taken, pending)

    def _fold(
        self, observations: dict[ObservationKey, Observation], pending: set[str]
    ) -> dict[ObservationKey, Observation]:
        out: dict[ObservationKey, Observation] = {}
        for key, obs in observations.items():
            if not key.declared and key.path in pending:
                template = self.templater.template(key.path)
                key = ObservationKey(
                    key.service, key.method, template, False, key.consumer, key.status
                )
            held = out.get(key)
            out[key] = obs if held is None else held.merge(obs)
        return out
