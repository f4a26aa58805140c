"""The daemon end to end: reviews over a real store, lifecycle, reports, Slack via a fake API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drift.core.observe import Observer
from drift.edges.config import load_config
from drift.edges.contracts import load_contract
from drift.edges.daemon.daemon import Daemon
from drift.edges.daemon.notifications import notifier_for
from drift.edges.daemon.runs import run_history
from drift.edges.har import read_har
from drift.edges.store import Batch, Store, bucket_start
from tests.fake_slack import TOKEN, FakeSlack, fake_slack
from tests.proxy_support import postgres_schema_url

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "examples" / "orders"
T0 = datetime.now(UTC).replace(microsecond=0)  # traffic is shifted to end just before this


def write_config(
    tmp_path: Path,
    store: str,
    *,
    slack: str | None = None,
    review: str = "every: 15m",
    extra: str = "",
) -> Path:
    text = f"""
store: "{store}"
services:
  - contract: {EXAMPLE / "openapi.yaml"}
    owner: team-orders
    slack_channel: "#orders"
consumers:
  - header: X-Consumer-Id
owners:
  billing: {{team: team-billing, slack_channel: "#billing"}}
schedule:
  review: {{{review}}}
  window: 24h
lifecycle: {{resolve_after: 2}}
policy: {{report_unused: false}}
reports: {{directory: {tmp_path / "reports"}, formats: [html, markdown, json]}}
{extra}
"""
    if slack:
        text += f"""
notify:
  slack: {{channel: "#api-drift", immediate: error, base_url: "{slack}"}}
"""
    path = tmp_path / "drift.yaml"
    path.write_text(text)
    return path


def fill_store(url: str) -> int:
    """Flush the example traffic into the store, as a sidecar would."""
    contract = load_contract(EXAMPLE / "openapi.yaml")
    observer = Observer(contract)
    exchanges = read_har(EXAMPLE / "traffic.har", consumer_header="X-Consumer-Id").exchanges
    shift = T0 - timedelta(minutes=5) - max(e.timestamp for e in exchanges if e.timestamp)
    for exchange in exchanges:
        observer.add(
            replace(exchange, timestamp=exchange.timestamp + shift if exchange.timestamp else None)
        )
    items = [(k, bucket_start(o.first_seen or T0), o) for k, o in observer.snapshot().items()]
    with Store.open(url) as store:
        store.flush(Batch(id="example", source="test", items=items))
    return len(items)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with fake_slack() as fake:
        yield fake


def daemon(config_path: Path, clock: Clock) -> tuple[Daemon, Store]:
    config = load_config(config_path)
    store = Store.open(config.store)
    return Daemon(config, store, notifier=notifier_for(config, store), clock=clock), store


def test_reviews_alert_once_route_to_owners_and_resolve(tmp_path: Path, slack: FakeSlack) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    fill_store(url)
    clock = Clock(T0)
    d, store = daemon(write_config(tmp_path, url, slack=slack.base_url), clock)
    first = d.review()
    alerts = [(m.channel, m.text) for m in slack.messages()]
    assert first["new"] == first["findings"] == 8
    # error findings alert at once: the enum violation (producer) and the deprecated call past
    # its sunset (billing's dependency: the producer's and billing's channels)
    channels = sorted({slack.channel_id("orders"), slack.channel_id("billing")})
    assert channels == sorted({c for c, _ in alerts})
    assert 3 == len(alerts)
    assert all(TOKEN not in t for _, t in alerts)
    for name in ("latest.html", "latest.md", "latest.json"):
        assert (tmp_path / "reports" / name).stat().st_size > 1000
    report = json.loads((tmp_path / "reports" / "latest.json").read_text())
    assert {"new"} == {f["extra"]["state"] for f in report["findings"]}

    clock.now = T0 + timedelta(minutes=15)
    second = d.review()
    assert (0, 8) == (second["new"], second["findings"])
    assert 3 == len(slack.messages())  # nothing new: no new alerts

    clock.now = T0 + timedelta(days=2)  # the traffic is now outside the 24 h window
    d.review()
    assert 0 == d.review()["findings"]
    resolved = [m for m in slack.messages() if "resolved" in m.text.lower()]
    assert resolved  # resolved notices after resolve_after=2 reviews without the drift
    store.close()


def test_waived_finding_does_not_alert_and_leaves_the_report(
    tmp_path: Path, slack: FakeSlack
) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    fill_store(url)
    config_path = write_config(tmp_path, url, slack=slack.base_url)
    report = subprocess.run(
        [sys.executable, "-m", "drift", "report", "--config", str(config_path), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    enum = next(
        f for f in json.loads(report.stdout)["findings"] if f["kind"].endswith("enum-violation")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "drift",
            "waive",
            "--config",
            str(config_path),
            enum["id"],
            "--reason",
            "on_hold ships in v1.5",
            "--expires",
            "2027-01-31",
        ],
        check=True,
        capture_output=True,
    )
    d, store = daemon(config_path, Clock(T0))
    result = d.review()
    assert (7, 1) == (result["findings"], result["waived"])
    texts = " ".join(m.text for m in slack.messages())
    assert "/status" not in texts
    store.close()


def test_report_command_is_read_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    fill_store(url)
    config_path = write_config(tmp_path, url)
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-m", "drift", "report", "--config", str(config_path)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "8 findings" in out.stdout
    with Store.open(url) as store, store.engine.connect() as conn:
        from sqlalchemy import func, select

        from drift.edges.store.models import findings

        assert 0 == conn.execute(select(func.count()).select_from(findings)).scalar()


def test_baseline_silences_todays_drift(tmp_path: Path, slack: FakeSlack) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    fill_store(url)
    config_path = write_config(tmp_path, url, slack=slack.base_url)
    out = subprocess.run(
        [sys.executable, "-m", "drift", "baseline", "--config", str(config_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "8 finding(s) accepted" in out.stdout
    d, store = daemon(config_path, Clock(T0))
    assert (0, 8) == (d.review()["findings"], d.review()["waived"])
    assert [] == slack.messages()
    store.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_daemons_on_one_store_run_one_review_per_period(tmp_path: Path, backend: str) -> None:
    if backend == "postgresql":
        context = postgres_schema_url()
    else:
        from contextlib import nullcontext

        context = nullcontext(f"sqlite:///{tmp_path / 'shared.db'}")
    with context as url:
        fill_store(url)
        config_path = write_config(tmp_path, url, review="every: 2s")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("SLACK_BOT_TOKEN", None)
        args = [sys.executable, "-m", "drift", "run", "--config", str(config_path), "--for", "7s"]
        procs = [
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=60)[0].decode() for p in procs]
        assert [0, 0] == [p.returncode for p in procs], outputs
        with Store.open(url) as store:
            history = run_history(store.engine, "review")
        periods = [r["period_start"] for r in history]
        assert len(periods) >= 3
        assert len(periods) == len(set(periods))
        assert {"ok"} == {r["status"] for r in history}
        assert len({r["owner"] for r in history}) >= 1
        dated = list((tmp_path / "reports").glob("drift-*.json"))
        assert len(history) == len(dated)  # one report per review, not per replica
