"""A fake Slack Web API on 127.0.0.1: `chat.postMessage`, `conversations.history` and
`users.conversations`, with faults.

It is a real HTTP server (`ThreadingHTTPServer`), so the real slack-sdk `WebClient` talks to it
over a socket. Faults are scripted per method: the next calls answer 429 (with Retry-After),
500 / 503, or 500 *after* storing the message (the case the idempotency guard exists for);
`down()` closes the listening socket (connection refused) and `up()` listens again on the same
port. Messages are checked against Slack's Block Kit limits, as Slack does, and as in Slack,
`#name` works for posting while the history wants the channel id.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Call", "FakeSlack", "Fault", "Posted", "fake_slack"]

TOKEN = "xoxb-fake-0123456789-secret-token"


@dataclass(frozen=True)
class Fault:
    status: int  # 429, 500, 503, …
    retry_after: int | None = None
    store_first: bool = False  # store the message, then answer with `status`
    error: str | None = None  # a Slack error code with HTTP 200 (e.g. channel_not_found)


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None

    @property
    def outbox_id(self) -> Any:
        return ((self.metadata or {}).get("event_payload") or {}).get("outbox_id")

    @property
    def dedupe_key(self) -> Any:
        return ((self.metadata or {}).get("event_payload") or {}).get("dedupe_key")


@dataclass(frozen=True)
class Call:
    method: str
    channel: str
    status: int
    at: float  # time.monotonic() on arrival


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list[Posted] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    last_ts: float = 0.0
    latency: float = 0.0
    channels: dict[str, str] = field(default_factory=dict)  # name → id


def _limits_error(text: str, blocks: list[dict[str, Any]]) -> str | None:
    """Slack's own checks of a message (the ones drift's builders must respect)."""
    if len(text) > 40000:
        return "msg_too_long"
    if len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        inner = block.get("text") or {}
        if block.get("type") == "header" and len(inner.get("text", "")) > 150:
            return "invalid_blocks"
        if block.get("type") == "section" and len(inner.get("text", "")) > 3000:
            return "invalid_blocks"
        for element in block.get("elements") or []:
            if len(element.get("text", "")) > 3000:
                return "invalid_blocks"
    return None


class FakeSlack:
    """The server and its state; the state outlives `down()` / `up()`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def up(self) -> None:
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: new connections are refused until `up()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    # -- scripting and inspection -------------------------------------------------------------

    def fail_next(self, method: str, *faults: Fault) -> None:
        with self.state.lock:
            self.state.faults.setdefault(method, []).extend(faults)

    def set_latency(self, seconds: float) -> None:
        self.state.latency = seconds

    def messages(self, channel: str | None = None) -> list[Posted]:
        with self.state.lock:
            return [m for m in self.state.messages if channel is None or m.channel == channel]

    def calls(self, method: str | None = None) -> list[Call]:
        with self.state.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    # -- the API ------------------------------------------------------------------------------

    def handle(self, method: str, auth: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for one call; also returns the Retry-After via the body."""
        if self.state.latency:
            time.sleep(self.state.latency)
        channel = str(params.get("channel", ""))
        with self.state.lock:
            queue = self.state.faults.get(method) or []
            fault = queue.pop(0) if queue else None
        status = 200
        if auth != f"Bearer {self.token}":
            body: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
        elif fault is not None and fault.error is not None:
            body = {"ok": False, "error": fault.error}
        elif fault is not None and not fault.store_first:
            status = fault.status
            body = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
            if fault.retry_after is not None:
                body["_retry_after"] = fault.retry_after
        elif method == "chat.postMessage":
            body = self._post(channel, params)
            if fault is not None:  # stored, but the answer is lost in a 5xx
                status, body = fault.status, {"ok": False, "error": "internal_error"}
        elif method == "conversations.history":
            body = self._history(channel, params)
        elif method == "users.conversations":
            body = self._channels(params)
        else:
            body = {"ok": False, "error": "unknown_method"}
        with self.state.lock:
            self.state.calls.append(Call(method, channel, status, time.monotonic()))
        return status, body

    def channel_id(self, name: str) -> str:
        """The id of channel `#name` (Slack accepts names when posting, answers with ids)."""
        with self.state.lock:
            return self.state.channels.setdefault(name, f"C{len(self.state.channels) + 1:08d}")

    def _post(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        if channel.startswith("#"):
            channel = self.channel_id(channel[1:])
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        text = str(params.get("text") or "")
        problem = _limits_error(text, blocks)
        if not channel:
            problem = "channel_not_found"
        if problem:
            return {"ok": False, "error": problem}
        with self.state.lock:
            stamp = max(time.time(), self.state.last_ts + 0.000001)
            self.state.last_ts = stamp
            posted = Posted(channel, f"{stamp:.6f}", text, blocks, metadata)
            self.state.messages.append(posted)
        return {"ok": True, "channel": channel, "ts": posted.ts, "message": {"text": text}}

    def _channels(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = int(params.get("limit") or 100)
        offset = int(params.get("cursor") or 0)
        with self.state.lock:
            known = [{"id": id_, "name": name} for name, id_ in self.state.channels.items()]
        more = offset + limit < len(known)
        return {
            "ok": True,
            "channels": known[offset : offset + limit],
            "response_metadata": {"next_cursor": str(offset + limit) if more else ""},
        }

    def _history(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        if channel.startswith("#"):  # as Slack: history wants an id
            return {"ok": False, "error": "channel_not_found"}
        limit = int(params.get("limit") or 100)
        oldest = float(params.get("oldest") or 0)
        offset = int(params.get("cursor") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = [m for m in self.messages(channel) if float(m.ts) > oldest]
        found.reverse()  # newest first, as Slack answers
        page = found[offset : offset + limit]
        more = offset + limit < len(found)
        out = []
        for m in page:
            item: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if with_metadata and m.metadata is not None:
                item["metadata"] = m.metadata
            out.append(item)
        return {
            "ok": True,
            "messages": out,
            "has_more": more,
            "response_metadata": {"next_cursor": str(offset + limit) if more else ""},
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def _params(self) -> dict[str, Any]:
        parts = urlsplit(self.path)
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:  # slack-sdk labels form bodies as JSON too; accept both
                body = dict(parse_qsl(raw.decode()))
            if isinstance(body, dict):
                params.update(body)
        return params

    def do_POST(self) -> None:
        method = urlsplit(self.path).path.rsplit("/", 1)[-1]
        params = self._params()
        status, body = self.fake.handle(method, self.headers.get("Authorization", ""), params)
        retry_after = body.pop("_retry_after", None)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST


@contextmanager
def fake_slack(token: str = TOKEN) -> Iterator[FakeSlack]:
    fake = FakeSlack(token)
    fake.up()
    try:
        yield fake
    finally:
        fake.down()
