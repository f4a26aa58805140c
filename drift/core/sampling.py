"""Stratified sampling: which exchanges get their bodies parsed and shaped.

Every exchange is *counted* (status, consumer, latency, rate); only sampled ones are detailed:
parameter names recorded, bodies decoded and inferred, which is the expensive part. Rare strata are never drowned by
hot ones: the first `first_n` exchanges of every new stratum (operation, status, consumer, media
type) are always sampled; after that a per-route token bucket and a global
one cap the rate. Time is passed in, so the sampler is pure and testable.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Sampler", "SamplingPolicy"]

MAX_STRATA = 50_000


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    first_n: int = 3  # always sample the first N of each new stratum
    route_rate: float = 5.0  # then at most this many per second per route (method + template)
    global_rate: float = 50.0  # and at most this many per second overall
    burst_seconds: float = 1.0  # bucket depth, in seconds of rate

    @classmethod
    def everything(cls) -> SamplingPolicy:
        """Parse every body (benchmarks, tests, low-traffic services)."""
        return cls(first_n=0, route_rate=float("inf"), global_rate=float("inf"))


class _Bucket:
    __slots__ = ("last", "rate", "size", "tokens")

    def __init__(self, rate: float, size: float, now: float) -> None:
        self.rate, self.size, self.tokens, self.last = rate, size, size, now

    def take(self, now: float) -> bool:
        if self.rate == float("inf"):
            return True
        self.tokens = min(self.size, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _depth(rate: float, policy: SamplingPolicy) -> float:
    """Bucket depth: `burst_seconds` of rate, at least one token unless the rate is 0."""
    return 0.0 if rate <= 0 else max(1.0, rate * policy.burst_seconds)


class Sampler:
    def __init__(self, policy: SamplingPolicy, now: float) -> None:
        self.policy = policy
        self._seen: dict[tuple[object, ...], int] = {}
        self._routes: dict[tuple[str, str], _Bucket] = {}
        self._global = _Bucket(policy.global_rate, _depth(policy.global_rate, policy), now)
        self.seen = 0
        self.sampled = 0

    def decide(self, route: tuple[str, str], stratum: tuple[object, ...], now: float) -> bool:
        """Whether to parse this exchange's bodies; `stratum` should include `route`."""
        self.seen += 1
        n = self._seen.get(stratum, 0)
        if n < self.policy.first_n:
            if n or len(self._seen) < MAX_STRATA:
                self._seen[stratum] = n + 1
            self.sampled += 1
            return True
        bucket = self._routes.get(route)
        if bucket is None:
            rate = self.policy.route_rate
            bucket = _Bucket(rate, _depth(rate, self.policy), now)
            if len(self._routes) < MAX_STRATA:
                self._routes[route] = bucket
        if bucket.take(now) and self._global.take(now):
            self.sampled += 1
            return True
        return False
