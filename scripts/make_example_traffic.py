"""Regenerate config/examples/orders/traffic.har: two consumers, a little planted drift.

Deterministic (seeded), so the committed file only changes when this script does.
Planted: billing reads `discount`, a field the contract never declares; web sends an
undeclared `include` query parameter; billing still calls the deprecated invoice endpoint;
unknown orders return an undeclared 404; one order carries status `on_hold`; web calls an
undocumented `/v1/internal/stats` endpoint.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "config" / "examples" / "orders" / "traffic.har"
BASE = "http://127.0.0.1:8080/v1"
rng = random.Random(7)
start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def order(i: int) -> dict[str, object]:
    oid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    body: dict[str, object] = {
        "id": oid,
        "status": "on_hold" if i == 17 else rng.choice(["pending", "paid", "shipped"]),
        "total": round(rng.uniform(5, 500), 2),
        "currency": "EUR",
        "created_at": (start - timedelta(days=i)).isoformat().replace("+00:00", "Z"),
        "lines": [{"sku": f"SKU-{rng.randint(1, 99)}", "quantity": rng.randint(1, 4)}],
        "discount": round(rng.uniform(0, 20), 2),  # never declared
    }
    return body


def entry(
    n: int,
    method: str,
    url: str,
    consumer: str,
    status: int,
    body: object | None,
    request_body: object | None = None,
    mime: str = "application/json",
) -> dict[str, object]:
    query = [
        {"name": k, "value": v}
        for k, _, v in (p.partition("=") for p in url.partition("?")[2].split("&") if p)
    ]
    request: dict[str, object] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": [
            {"name": "X-Consumer-Id", "value": consumer},
            {"name": "Authorization", "value": "Bearer dummy-token"},
            {"name": "Accept", "value": "application/json"},
        ],
        "queryString": query,
        "cookies": [],
        "headersSize": -1,
        "bodySize": 0,
    }
    if request_body is not None:
        request["postData"] = {"mimeType": "application/json", "text": json.dumps(request_body)}
    text = json.dumps(body) if body is not None else ""
    return {
        "startedDateTime": (start + timedelta(seconds=37 * n)).isoformat().replace("+00:00", "Z"),
        "time": round(rng.uniform(3, 40), 1),
        "request": request,
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Content-Type", "value": mime}] if text else [],
            "cookies": [],
            "content": {"size": len(text), "mimeType": mime if text else "", "text": text},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(text),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 1, "receive": 0},
    }


def main() -> None:
    orders = [order(i) for i in range(40)]
    entries = []
    for n in range(120):
        o = orders[n % len(orders)]
        if n % 6 == 0:
            entries.append(
                entry(
                    n,
                    "GET",
                    f"{BASE}/orders?status=paid&limit=20&include=lines",
                    "web",
                    200,
                    {"items": orders[:3], "next_cursor": None},
                )
            )
        elif n % 6 == 1:
            entries.append(entry(n, "GET", f"{BASE}/orders/{o['id']}", "billing", 200, o))
        elif n % 6 == 2:
            entries.append(
                entry(
                    n,
                    "GET",
                    f"{BASE}/orders/{o['id']}/invoice",
                    "billing",
                    200,
                    {"order_id": o["id"], "total": o["total"]},
                )
            )
        elif n % 6 == 3:
            missing = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            entries.append(
                entry(
                    n,
                    "GET",
                    f"{BASE}/orders/{missing}",
                    "web",
                    404,
                    {"title": "Not Found", "status": 404},
                    mime="application/problem+json",
                )
            )
        elif n % 6 == 4:
            new = {
                "customer_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "lines": o["lines"],
            }
            entries.append(entry(n, "POST", f"{BASE}/orders", "web", 201, o, request_body=new))
        else:
            entries.append(entry(n, "GET", f"{BASE}/internal/stats", "web", 200, {"orders": 40}))
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "drift example generator", "version": "1"},
            "entries": entries,
        }
    }
    OUT.write_text(json.dumps(har, indent=1) + "\n")
    print(f"wrote {len(entries)} entries to {OUT}")


if __name__ == "__main__":
    main()
