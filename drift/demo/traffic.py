"""Two consumers of the Orders API, each with its own habits (some of them undocumented).

* web lists paid orders with an `include` query parameter the contract never declares, looks
  up orders that do not exist (a 404 the contract does not list), creates orders, and polls
  an undocumented `/v1/internal/stats`;
* billing reads orders (and relies on `discount`, a field nobody promised) and still calls the
  deprecated invoice endpoint, past its sunset.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from typing import Any

from drift.demo.producer import ORDERS

__all__ = ["play"]


def _call(port: int, consumer: str, method: str, path: str, body: Any = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"X-Consumer-Id": consumer, "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _web(port: int, i: int) -> int:
    step = i % 4
    if step == 0:
        return _call(port, "web", "GET", "/v1/orders?status=paid&limit=20&include=lines")
    if step == 1:
        return _call(port, "web", "GET", f"/v1/orders/{uuid.UUID(int=i, version=4)}")
    if step == 2:
        order = ORDERS[i % len(ORDERS)]
        body = {"customer_id": str(uuid.UUID(int=i + 7, version=4)), "lines": order["lines"]}
        return _call(port, "web", "POST", "/v1/orders", body)
    return _call(port, "web", "GET", "/v1/internal/stats")


def _billing(port: int, i: int) -> int:
    order = ORDERS[i % len(ORDERS)]
    if i % 3 == 2:
        return _call(port, "billing", "GET", f"/v1/orders/{order['id']}/invoice")
    return _call(port, "billing", "GET", f"/v1/orders/{order['id']}")


def play(
    port: int, seconds: float, *, rate: float = 10.0, stop: threading.Event | None = None
) -> Counter[str]:
    """Both consumers call through `port` for `seconds` (about `rate` calls/s each)."""
    stop = stop or threading.Event()
    calls: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline and not stop.is_set():
        for name, consumer in (("web", _web), ("billing", _billing)):
            try:
                status = consumer(port, i)
                calls[f"{name} {status}"] += 1
            except OSError:
                calls[f"{name} error"] += 1
        i += 1
        stop.wait(1.0 / rate)
    return calls
