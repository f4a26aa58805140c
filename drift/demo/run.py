"""`drift demo`: the whole product on one machine, ending by itself.

A sample producer (the Orders API), the drift sidecar in front of it (a real `drift proxy`
process), two consumers calling through it, and the daemon reviewing on schedule and writing
reports — on the embedded defaults (SQLite, no Slack token needed; with SLACK_BOT_TOKEN set,
alerts go to Slack as configured).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drift.core.report import Report
from drift.demo.producer import make_server
from drift.demo.traffic import play

__all__ = ["PLANTED", "free_port", "run_demo", "wait_for_port"]

CONTRACT = Path(__file__).resolve().parents[2] / "config" / "examples" / "orders" / "openapi.yaml"

# What the consumers do that the contract never promised, and who does it.
PLANTED: list[tuple[str, str, str, str, str]] = [
    # (description, kind, path, pointer, consumer)
    (
        "billing relies on `discount`, a field the contract never declares",
        "response.body.undocumented-field",
        "/orders/{orderId}",
        "/discount",
        "billing",
    ),
    (
        "web sends an undeclared `include` query parameter",
        "request.parameter.undocumented",
        "/orders",
        "/include",
        "web",
    ),
    (
        "billing still calls the deprecated invoice endpoint, past its sunset",
        "operation.deprecated-in-use",
        "/orders/{orderId}/invoice",
        "",
        "billing",
    ),
    (
        "web gets a 404 the contract does not declare",
        "response.status.undocumented",
        "/orders/{orderId}",
        "",
        "web",
    ),
    ("web calls an undocumented endpoint", "operation.undocumented", "/internal/stats", "", "web"),
]

CONFIG = """\
# Written by `drift demo`; see config/drift.yaml for an annotated configuration.
store: "sqlite:///{store}"
services:
  - contract: {contract}
    owner: team-orders
    slack_channel: "#orders"
    upstream: http://127.0.0.1:{producer}
    listen: 127.0.0.1:{proxy}
consumers:
  - header: X-Consumer-Id
owners:
  web: {{team: team-web, slack_channel: "#web"}}
  billing: {{team: team-billing, slack_channel: "#billing"}}
schedule:
  review: {{every: {review}s}}
  window: 1h
lifecycle: {{resolve_after: 3}}
reports: {{directory: {reports}, formats: [html, markdown, json]}}
notify:
  slack: {{channel: "#api-drift", immediate: error}}
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    """Until something accepts connections on 127.0.0.1:`port` (TimeoutError after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextlib.contextmanager
def _sidecar(config: Any, workdir: Path, proxy_port: int) -> Iterator[subprocess.Popen[bytes]]:
    service = config.services[0]
    log = (workdir / "proxy.log").open("wb")
    args = [
        sys.executable,
        "-m",
        "drift",
        "--log-level",
        "info",
        "proxy",
        "--contract",
        str(service.contract),
        "--upstream",
        service.upstream,
        "--listen",
        f"127.0.0.1:{proxy_port}",
        "--store",
        config.store,
        "--consumer-header",
        "X-Consumer-Id",
        "--sample-all",
        "--flush-interval",
        "2",
        "--metrics",
        f"127.0.0.1:{free_port()}",
        "--confdir",
        str(workdir / "mitmproxy"),
    ]
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(proxy_port)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # drift flushes what it saw, then exits
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def run_demo(
    workdir: Path,
    *,
    seconds: float,
    review_every: int,
    keep_running: bool,
    say: Callable[[str], None] = print,
) -> Report:
    from drift.edges.config import load_config
    from drift.edges.daemon.notifications import notifier_for
    from drift.edges.daemon.run import run_daemon

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    producer = make_server()
    threading.Thread(target=producer.serve_forever, daemon=True).start()
    proxy_port = free_port()
    config_path = workdir / "drift.yaml"
    config_path.write_text(
        CONFIG.format(
            store=workdir / "drift.db",
            contract=CONTRACT,
            producer=producer.server_address[1],
            proxy=proxy_port,
            review=review_every,
            reports=workdir / "reports",
        )
    )
    config = load_config(config_path)
    slack = (
        "on (SLACK_BOT_TOKEN is set)"
        if os.environ.get("SLACK_BOT_TOKEN")
        else "off (no SLACK_BOT_TOKEN)"
    )
    say(
        f"drift demo: Orders API on :{producer.server_address[1]}, drift sidecar on :{proxy_port}, "
        f"review every {review_every}s, Slack {slack}"
    )
    stop = threading.Event()
    holder: dict[str, Any] = {}
    daemon_thread = threading.Thread(
        target=lambda: holder.update(
            daemon=run_daemon(
                config, notifier_factory=lambda store: notifier_for(config, store), stop=stop
            )
        ),
        daemon=True,
    )
    try:
        with _sidecar(config, workdir, proxy_port):
            daemon_thread.start()
            say(f"consumers web and billing call the API through drift for {seconds:.0f}s …")
            calls = play(proxy_port, seconds)
            say("calls: " + ", ".join(f"{k}: {v}" for k, v in sorted(calls.items())))
            if keep_running:
                say("running on (Ctrl-C to stop); reports are rewritten every review")
                with contextlib.suppress(KeyboardInterrupt):
                    while True:
                        time.sleep(1)
        # the sidecar has flushed on SIGTERM; one last review sees everything
        stop.set()
        daemon_thread.join(60)
        return _final_review(config, say)
    finally:
        stop.set()
        producer.shutdown()
        producer.server_close()


def _final_review(config: Any, say: Callable[[str], None]) -> Report:
    from drift.edges.daemon.daemon import Daemon
    from drift.edges.daemon.notifications import notifier_for
    from drift.edges.store import Store

    with Store.open(config.store) as store:
        daemon = Daemon(config, store, notifier=notifier_for(config, store))
        summary = daemon.review()
        report, _ = daemon.assess(datetime.now(UTC), persist=False)  # read-only, for the summary
    say(f"\nfinal review: {summary['findings']} findings; reports in {config.reports.directory}/")
    for written in daemon.last_report:
        say(f"  {written}")
    found = {(f.kind, f.operation.path, f.pointer): f for f in report.findings}
    say("\nplanted undocumented dependencies:")
    for text, kind, path, pointer, consumer in PLANTED:
        finding = found.get((kind, path, pointer))
        names = {c.name for c in finding.evidence.consumers} if finding else set()
        ok = finding is not None and (finding.consumer == consumer or consumer in names)
        evidence = (
            f" ({finding.evidence.count}/{finding.evidence.total}, {kind})" if finding else ""
        )
        say(f"  [{'x' if ok else ' '}] {text}{evidence}")
    return report
