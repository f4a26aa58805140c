"""End to end: a real `drift proxy` process in front of a real HTTP server, two real consumers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drift.demo.producer import ORDERS, make_server
from tests.proxy_support import ORDERS_CONTRACT, drift_proxy, get_json, postgres_schema_url, request

pytestmark = pytest.mark.slow


@pytest.fixture
def producer() -> Iterator[str]:
    server = make_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'drift.db'}"
    else:
        with postgres_schema_url() as url:
            yield url


def play_consumers(port: int, direct_port: int) -> list[tuple[Any, ...]]:
    """web lists orders with an undeclared parameter and hits a 404; billing reads orders and
    calls the deprecated invoice endpoint. Returns what each consumer got, for comparison."""
    seen = []
    for i, order in enumerate(ORDERS[:10]):
        seen.append(request(port, "GET", "/v1/orders?status=paid&include=lines", consumer="web"))
        seen.append(request(port, "GET", f"/v1/orders/{order['id']}", consumer="billing"))
        seen.append(request(port, "GET", f"/v1/orders/{order['id']}/invoice", consumer="billing"))
        seen.append(
            request(
                port, "GET", f"/v1/orders/00000000-0000-4000-8000-00000000000{i}", consumer="web"
            )
        )
    seen.append(
        request(
            port,
            "POST",
            "/v1/orders",
            consumer="web",
            body={"customer_id": ORDERS[0]["id"], "lines": [{"sku": "A", "quantity": 1}]},
        )
    )
    return seen


def check_store(store_url: str, *extra: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "drift",
            "check",
            "--contract",
            str(ORDERS_CONTRACT),
            "--store",
            store_url,
            "--format",
            "json",
            "--fail-on",
            "never",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert 0 == out.returncode, out.stderr
    return json.loads(out.stdout)


def findings_by(report: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(f["kind"], f["operation"]["path"], f["pointer"]): f for f in report["findings"]}


def test_proxy_learns_both_consumers_and_check_reports_their_drift(
    producer: str, store_url: str, tmp_path: Path
) -> None:
    with drift_proxy(
        tmp_path, producer, store_url, "--consumer-header", "X-Consumer-Id", "--sample-all"
    ) as proxy:
        got = play_consumers(proxy.port, 0)
        assert 0 == proxy.stop()
    statuses = sorted({status for status, _, _ in got})
    assert [200, 201, 404] == statuses
    report = check_store(store_url)
    found = findings_by(report)
    discount = found[("response.body.undocumented-field", "/orders/{orderId}", "/discount")]
    assert [{"name": "billing", "count": 10}] == discount["evidence"]["consumers"]
    include = found[("request.parameter.undocumented", "/orders", "/include")]
    assert ("web", 10) == (include["consumer"], include["evidence"]["count"])
    deprecated = found[("operation.deprecated-in-use", "/orders/{orderId}/invoice", "")]
    assert ("billing", 10, "error") == (
        deprecated["consumer"],
        deprecated["evidence"]["count"],
        deprecated["severity"],
    )
    not_found = found[("response.status.undocumented", "/orders/{orderId}", "")]
    assert [{"name": "web", "count": 10}] == not_found["evidence"]["consumers"]
    assert 41 == report["stats"]["stored_exchanges"]
    identity_header = [k for k in found if k[2] == "/x-consumer-id"]
    assert [] == identity_header  # the consumer header is identity, not an API parameter


def test_check_store_filters_by_consumer(producer: str, tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'drift.db'}"
    with drift_proxy(
        tmp_path, producer, store_url, "--consumer-header", "X-Consumer-Id", "--sample-all"
    ) as proxy:
        play_consumers(proxy.port, 0)
        assert 0 == proxy.stop()
    report = check_store(store_url, "--consumer", "web")
    consumers = {c["name"] for f in report["findings"] for c in f["evidence"]["consumers"]}
    assert {"web"} == consumers


def test_responses_through_the_proxy_are_byte_identical(producer: str, tmp_path: Path) -> None:
    direct_port = int(producer.rsplit(":", 1)[1])
    with drift_proxy(tmp_path, producer, f"sqlite:///{tmp_path / 'd.db'}", "--sample-all") as proxy:
        for path in [
            "/v1/orders",
            f"/v1/orders/{ORDERS[3]['id']}",
            "/v1/orders/nope",
            "/v1/internal/stats",
        ]:
            via = request(proxy.port, "GET", path)
            direct = request(direct_port, "GET", path)
            assert (direct[0], direct[2], direct[1]["content-type"]) == (
                via[0],
                via[2],
                via[1]["content-type"],
            )
        health = get_json(proxy.metrics_port, "/healthz")
        assert "ok" == health["status"]
        assert 0 == proxy.stop()


def test_metrics_endpoint_counts_seen_and_sampled(producer: str, tmp_path: Path) -> None:
    with drift_proxy(
        tmp_path, producer, f"sqlite:///{tmp_path / 'm.db'}", "--sample-route-rate", "0"
    ) as proxy:
        for _ in range(30):
            request(proxy.port, "GET", "/v1/orders")
        import time

        deadline = time.monotonic() + 10
        metrics: dict[str, float] = {}
        while time.monotonic() < deadline:
            _, _, body = request(proxy.metrics_port, "GET", "/metrics")
            metrics = {
                line.split()[0]: float(line.split()[1])
                for line in body.decode().splitlines()
                if line and not line.startswith("#")
            }
            if metrics.get("drift_exchanges_processed_total") == 30:
                break
            time.sleep(0.2)
        assert 30 == metrics["drift_exchanges_seen_total"]
        assert 30 == metrics["drift_exchanges_processed_total"]
        assert 3 == metrics["drift_exchanges_sampled_total"]  # the first 3 of the one stratum only
        assert 0 == metrics["drift_exchanges_dropped_total"]
        assert 0 == proxy.stop()


def test_addon_loads_into_plain_mitmdump(producer: str, tmp_path: Path) -> None:
    import os
    import signal

    from tests.proxy_support import free_port, wait_for_port

    mitmdump = Path(sys.executable).with_name("mitmdump")
    addon = Path(__file__).resolve().parents[1] / "drift" / "edges" / "proxy" / "addon.py"
    port, metrics = free_port(), free_port()
    store = f"sqlite:///{tmp_path / 'md.db'}"
    args = [
        str(mitmdump),
        "-q",
        "-s",
        str(addon),
        "--mode",
        f"reverse:{producer}",
        "-p",
        str(port),
        "--set",
        f"confdir={tmp_path / 'conf'}",
        "--set",
        f"drift_contract={ORDERS_CONTRACT}",
        "--set",
        f"drift_store={store}",
        "--set",
        f"drift_metrics=127.0.0.1:{metrics}",
        "--set",
        "drift_consumer_header=X-Consumer-Id",
        "--set",
        "drift_flush_interval=0.5",
    ]
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for_port(port)
        wait_for_port(metrics)
        status, _, _ = request(port, "GET", "/v1/orders?include=lines", consumer="web")
        assert 200 == status
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert 0 == process.returncode, output
    found = findings_by(check_store(store))
    assert "web" == found[("request.parameter.undocumented", "/orders", "/include")]["consumer"]


SECRETS = {
    "bearer": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIiwiYXpwIjoid2ViIn0.SECRETsig1",
    "cookie": "SECRETcookie2",
    "api_key": "sk_live_SECRET3",
    "email": "alice.SECRET4@example.com",
    "card": "4111111111111111",
    "query": "SECRETquery5",
}


def test_no_secret_reaches_the_store_the_logs_or_the_reports(producer: str, tmp_path: Path) -> None:
    db = tmp_path / "private.db"
    store_url = f"sqlite:///{db}"
    identity = tmp_path / "identity.yaml"
    identity.write_text("- {jwt_claim: azp}\n")
    with drift_proxy(
        tmp_path, producer, store_url, "--identity", str(identity), "--sample-all"
    ) as proxy:
        headers = {
            "Authorization": f"Bearer {SECRETS['bearer']}",
            "Cookie": f"session={SECRETS['cookie']}",
            "X-Api-Key": SECRETS["api_key"],
        }
        for _ in range(3):
            request(
                proxy.port,
                "GET",
                f"/v1/orders?q={SECRETS['query']}&email={SECRETS['email']}",
                headers=headers,
            )
            request(
                proxy.port,
                "POST",
                "/v1/orders",
                headers=headers,
                body={
                    "customer_id": ORDERS[0]["id"],
                    "email": SECRETS["email"],
                    "card_number": SECRETS["card"],
                    "lines": [],
                    "note": SECRETS["query"],
                },
            )
        assert 0 == proxy.stop()
    reports = [check_store(store_url), check_store(store_url)]
    texts = {
        "store": b"".join(p.read_bytes() for p in tmp_path.glob("private.db*")).decode("latin-1"),
        "proxy log": proxy.log.read_text(),
        "report": json.dumps(reports),
    }
    leaks = {
        (where, name)
        for where, text in texts.items()
        for name, secret in SECRETS.items()
        if secret in text or secret.split(".")[0] in text
    }
    assert set() == leaks
    consumers = {c["name"] for f in reports[0]["findings"] for c in f["evidence"]["consumers"]}
    assert {"web"} == consumers  # the JWT's azp claim, and only that, named the consumer
    assert "/q" in {f["pointer"] for f in reports[0]["findings"]}  # the name is kept, not the value


def test_regular_proxy_mode_observes_the_same(producer: str, tmp_path: Path) -> None:
    import http.client

    store_url = f"sqlite:///{tmp_path / 'regular.db'}"
    with drift_proxy(
        tmp_path, producer, store_url, "--mode", "regular", "--consumer-header", "X-Consumer-Id"
    ) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
        conn.request("GET", f"{producer}/v1/orders?include=lines", headers={"X-Consumer-Id": "web"})
        response = conn.getresponse()
        assert 200 == response.status
        response.read()
        conn.close()
        assert 0 == proxy.stop()
    found = findings_by(check_store(store_url))
    assert "web" == found[("request.parameter.undocumented", "/orders", "/include")]["consumer"]


def test_a_broken_contract_stops_drift_proxy_before_it_listens(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("openapi: 3.0.3\ninfo: [oops\n")
    from tests.proxy_support import free_port

    port = free_port()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "drift", "proxy", "--contract", str(bad)),
            *("--upstream", "http://127.0.0.1:9", "--listen", f"127.0.0.1:{port}", "--metrics", ""),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert 2 == done.returncode
    assert f"{bad}:3: invalid YAML" in done.stderr
    assert "Traceback" not in done.stderr
    assert "unobserved" not in done.stderr  # it did not start at all


def _h2_get(port: int, path: str, consumer: str) -> tuple[int, bytes, str]:
    """One HTTP/2 GET over TLS (ALPN h2) to the proxy, with the `h2` library mitmproxy uses."""
    import socket
    import ssl

    import h2.config
    import h2.connection
    import h2.events

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # mitmproxy's own CA; what is tested is pass-through
    context.set_alpn_protocols(["h2"])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname="orders.internal") as sock,
    ):
        alpn = sock.selected_alpn_protocol() or ""
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(
            stream,
            [
                (":method", "GET"),
                (":path", path),
                (":scheme", "https"),
                (":authority", "orders.internal"),
                ("x-consumer-id", consumer),
            ],
            end_stream=True,
        )
        sock.sendall(conn.data_to_send())
        status, body = 0, b""
        while True:
            data = sock.recv(65536)
            assert data, "connection closed before the response ended"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded):
                    return status, body, alpn
            sock.sendall(conn.data_to_send())


def test_http2_clients_pass_through_untouched_and_are_observed(
    producer: str, tmp_path: Path
) -> None:
    direct_port = int(producer.rsplit(":", 1)[1])
    url = f"sqlite:///{tmp_path / 'h2.db'}"
    path = f"/v1/orders/{ORDERS[2]['id']}"
    with drift_proxy(
        tmp_path, producer, url, "--consumer-header", "X-Consumer-Id", "--sample-all"
    ) as proxy:
        status, body, alpn = _h2_get(proxy.port, path, "mobile")
        direct = request(direct_port, "GET", path)
        assert ("h2", direct[0], direct[2]) == (alpn, status, body)
        assert 0 == proxy.stop()
    from drift.edges.store import Store

    store = Store.open(url)
    try:
        seen = {(k.path, k.consumer, k.status): o.count for k, o in store.load().items()}
    finally:
        store.close()
    assert {("/orders/{orderId}", "mobile", 200): 1} == seen


class _EchoWebSocket:
    """A WebSocket echo server on 127.0.0.1 (wsproto, the library mitmproxy uses)."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        # mitmproxy connects upstream as soon as a client connects (even a port probe): serve
        # every connection, each on its own thread.
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: Any) -> None:
        from wsproto import ConnectionType, WSConnection
        from wsproto.events import AcceptConnection, CloseConnection, Message, Request

        with conn:
            ws = WSConnection(ConnectionType.SERVER)
            parts: list[Any] = []
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, Request):
                        conn.sendall(ws.send(AcceptConnection()))
                    elif isinstance(event, Message):  # echo whole messages, as received
                        parts.append(event.data)
                        if event.message_finished:
                            whole = "".join(parts) if isinstance(parts[0], str) else b"".join(parts)
                            conn.sendall(ws.send(Message(data=whole)))
                            parts = []
                    elif isinstance(event, CloseConnection):
                        conn.sendall(ws.send(event.response()))
                        return

    def close(self) -> None:
        self.sock.close()


def test_websocket_messages_pass_through_untouched(tmp_path: Path) -> None:
    import socket

    from wsproto import ConnectionType, WSConnection
    from wsproto.events import (
        AcceptConnection,
        CloseConnection,
        Request,
        TextMessage,
    )

    server = _EchoWebSocket()
    try:
        upstream = f"http://127.0.0.1:{server.port}"
        with (
            drift_proxy(tmp_path, upstream, f"sqlite:///{tmp_path / 'ws.db'}") as proxy,
            socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as sock,
        ):
            ws = WSConnection(ConnectionType.CLIENT)
            sock.sendall(ws.send(Request(host="orders.internal", target="/v1/stream")))
            got: list[Any] = []
            messages = ["hello", '{"id": 1, "token": "SECRET"}', "x" * 70_000]
            sent = False
            while len([e for e in got if isinstance(e, TextMessage) and e.message_finished]) < 3:
                data = sock.recv(65536)
                assert data, "the proxy closed the WebSocket"
                ws.receive_data(data)
                for event in ws.events():
                    got.append(event)
                    if isinstance(event, AcceptConnection) and not sent:
                        for text in messages:
                            sock.sendall(ws.send(TextMessage(data=text)))
                        sent = True
            echoed: list[str] = []
            current = ""
            for event in got:
                if isinstance(event, TextMessage):
                    current += event.data
                    if event.message_finished:
                        echoed.append(current)
                        current = ""
            assert messages == echoed
            sock.sendall(ws.send(CloseConnection(code=1000)))
            metrics = get_json(proxy.metrics_port, "/healthz")
            assert "ok" == metrics["status"]
            assert 0 == proxy.stop()
        log = proxy.log.read_text()
        assert "Traceback" not in log and "SECRET" not in log
    finally:
        server.close()


def test_sigterm_with_open_keep_alive_connections_exits_cleanly(
    producer: str, tmp_path: Path
) -> None:
    import http.client

    with drift_proxy(tmp_path, producer, f"sqlite:///{tmp_path / 'ka.db'}") as proxy:
        clients = [http.client.HTTPConnection("127.0.0.1", proxy.port) for _ in range(3)]
        for conn in clients:  # answered, and left open (keep-alive)
            conn.request("GET", "/v1/orders")
            response = conn.getresponse()
            response.read()
            assert 200 == response.status
        assert 0 == proxy.stop()
        for conn in clients:
            conn.close()
    log = proxy.log.read_text()
    assert "Traceback" not in log and '"level":"error"' not in log
