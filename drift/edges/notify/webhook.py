"""Generic JSON webhook sink: POST the payload with `urllib.request`; failures go back to the
outbox. URLs come from environment variables only (they often embed a secret) and are never
logged or put in error messages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import orjson

from drift.edges.notify.sink import (
    Delivery,
    DeliveryError,
    NotifyConfigError,
    connection_reason,
    retry_after,
)

__all__ = ["WebhookSink"]

_RETRIED_4XX = {408, 409, 425, 429}  # client-side statuses that mean "try again later"


class WebhookSink:
    """Delivers payloads to the URL configured for each target (webhook name)."""

    def __init__(self, urls: Mapping[str, str], *, timeout: float = 10.0) -> None:
        self._urls = dict(urls)
        self._timeout = timeout

    @classmethod
    def from_env(
        cls,
        url_envs: Mapping[str, str],
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> WebhookSink:
        """`url_envs` maps each webhook name to the environment variable holding its URL."""
        env = os.environ if environ is None else environ
        urls: dict[str, str] = {}
        for name, variable in url_envs.items():
            url = env.get(variable, "").strip()
            if not url.startswith(("https://", "http://")):
                problem = "is not set" if not url else "does not hold an http(s) URL"
                raise NotifyConfigError(
                    f"webhook {name!r}: the variable {variable!r} {problem}; export the "
                    "webhook's URL under that name"
                )
            urls[name] = url
        return cls(urls, timeout=timeout)

    def __repr__(self) -> str:
        return f"WebhookSink(targets={sorted(self._urls)!r})"

    def deliver(self, delivery: Delivery) -> str:
        url = self._urls.get(delivery.target)
        if url is None:
            raise DeliveryError(f"no URL for webhook {delivery.target!r}", permanent=True)
        request = Request(
            url,
            data=orjson.dumps(delivery.payload),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "drift-notify",
                # receivers that dedupe can drop a retried delivery they already processed
                "Idempotency-Key": delivery.dedupe_key,
            },
        )
        try:
            with urlopen(request, timeout=self._timeout) as response:
                response.read(65536)
                return f"HTTP {response.status}"
        except HTTPError as exc:
            status = exc.code
            exc.close()
            wait = retry_after(dict(exc.headers.items()), default=-1) if exc.headers else -1
            raise DeliveryError(
                f"webhook answered HTTP {status}",
                retry_after=wait if wait >= 0 else None,
                permanent=400 <= status < 500 and status not in _RETRIED_4XX,
            ) from None
        except (URLError, OSError, HTTPException) as exc:
            raise DeliveryError(f"cannot reach webhook: {connection_reason(exc)}") from None
