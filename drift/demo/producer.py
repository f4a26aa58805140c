"""A small Orders API (the contract is config/examples/orders/openapi.yaml), with real drift.

It returns a `discount` field the contract never declares, a 404 the contract does not list,
one order whose status is outside the declared enum, and serves an undocumented
`/v1/internal/stats`. Standard library only; `python -m drift.demo.producer --port 8000`.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ORDERS", "make_server"]

_rng = random.Random(42)


def _order(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=_rng.getrandbits(128), version=4)),
        "status": "on_hold" if i == 7 else ["pending", "paid", "shipped"][i % 3],
        "total": round(10 + i * 3.5, 2),
        "currency": "EUR",
        "created_at": f"2026-11-{1 + i % 20:02d}T09:{i % 60:02d}:00Z",
        "lines": [{"sku": f"SKU-{i}", "quantity": 1 + i % 3}],
        "discount": round(i % 5 * 1.5, 2),  # never declared in the contract
    }


ORDERS = [_order(i) for i in range(20)]
_BY_ID = {o["id"]: o for o in ORDERS}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes on a kept-alive socket

    def _json(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = [p for p in urlsplit(self.path).path.split("/") if p]
        if parts[:1] == ["v1"]:
            parts = parts[1:]
        if parts == ["orders"]:
            self._json(200, {"items": ORDERS[:5], "next_cursor": None})
        elif len(parts) == 2 and parts[0] == "orders":
            order = _BY_ID.get(parts[1])
            if order is None:
                self._json(404, {"title": "Not Found", "status": 404}, "application/problem+json")
            else:
                self._json(200, order)
        elif (
            len(parts) == 3
            and parts[0] == "orders"
            and parts[2] == "invoice"
            and parts[1] in _BY_ID
        ):
            self._json(200, {"order_id": parts[1], "total": _BY_ID[parts[1]]["total"]})
        elif parts == ["internal", "stats"]:
            self._json(200, {"orders": len(ORDERS)})
        else:
            self._json(404, {"title": "Not Found", "status": 404}, "application/problem+json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"title": "Invalid JSON", "status": 400}, "application/problem+json")
            return
        order = {**ORDERS[0], "id": str(uuid.uuid4()), "lines": body.get("lines", [])}
        self._json(201, order)

    def log_message(self, format: str, *args: Any) -> None:
        return


def make_server(host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    print(f"orders producer on http://{args.host}:{server.server_address[1]}", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
