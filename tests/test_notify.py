"""The outbox and its sinks, end to end: the real slack-sdk against a fake Slack Web API on
127.0.0.1, a real local webhook receiver, and the outbox in SQLite (and PostgreSQL when
DRIFT_TEST_POSTGRES_URL is set). Each fault scenario prints enqueued / delivered / duplicates."""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from drift.core.findings import ConsumerCount, Evidence, Finding, OperationRef
from drift.core.kinds import Severity
from drift.core.report import Window, build_report
from drift.edges.notify import (
    Backoff,
    Delivery,
    NotifyConfigError,
    OutboxMessage,
    Sender,
    SlackSink,
    WebhookSink,
    enqueue,
    slack_alerts,
    slack_digest,
    slack_resolved,
    webhook_events,
)
from drift.edges.notify import rows as outbox_rows
from drift.edges.store import Store
from drift.edges.store.models import outbox
from tests.fake_slack import TOKEN, FakeSlack, Fault, fake_slack
from tests.store_support import PG_URL, postgres_schema_url

COOLDOWN = timedelta(hours=24)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="set DRIFT_TEST_POSTGRES_URL for PostgreSQL"),
    ),
]


# -- helpers -------------------------------------------------------------------------------------


class FakeClock:
    """Wall and monotonic time that only move when told to (or when something sleeps)."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC).replace(microsecond=0)
        self._mono = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


def finding(i: int = 0, *, service: str = "pets", severity: Severity = Severity.ERROR) -> Finding:
    seen = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    return Finding(
        kind="response.body.type-mismatch",
        severity=severity,
        service=service,
        operation=OperationRef("GET", f"/pets/{{id}}/toys/{i}"),
        location="response.body",
        pointer=f"/items/*/price{i}",
        message=f"`price{i}` is a string in 3 of 40 responses; the contract says number",
        evidence=Evidence(3, 40, seen, seen + timedelta(hours=2), (ConsumerCount("web", 3),)),
        status="200",
        owner="team-pets",
        declared="number",
        observed="string",
    )


def alerts(n: int, channel: str = "C-PETS", now: datetime | None = None) -> list[OutboxMessage]:
    return slack_alerts(
        [finding(i) for i in range(n)],
        event="new",
        channel=channel,
        now=now or datetime.now(UTC),
        cooldown=COOLDOWN,
        bundle_over=1000,
    )


def slack_sink(fake: FakeSlack, **options: Any) -> SlackSink:
    return SlackSink(token=TOKEN, base_url=fake.base_url, timeout=5, **options)


def make_sender(engine: Engine, sink: Any, clock: FakeClock | None = None, **kw: Any) -> Sender:
    kw.setdefault("backoff", Backoff(base=1.0, cap=60.0))
    kw.setdefault("pacing", 0.0)
    return Sender(engine, {"slack": sink, "webhook": sink}, clock=clock, **kw)


def table(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(outbox).order_by(outbox.c.id))]


def pending(engine: Engine) -> list[dict[str, Any]]:
    return [row for row in table(engine) if row["delivered_at"] is None]


def drain(sender: Sender, engine: Engine, clock: FakeClock, passes: int = 20) -> int:
    """Run passes, moving the fake clock to the next due row, until nothing is pending."""
    for used in range(1, passes + 1):
        sender.send_due()
        waiting = pending(engine)
        if not waiting:
            return used
        due = min(row["next_attempt_at"] for row in waiting)
        clock.advance(max(0.0, (due - clock.now()).total_seconds()))
    raise AssertionError(f"still pending after {passes} passes: {pending(engine)}")


def scenario(name: str, engine: Engine, fake: FakeSlack, enqueued: int) -> tuple[int, int, int]:
    """(enqueued, delivered, duplicates), printed for the summary."""
    delivered = sum(1 for row in table(engine) if row["delivered_at"] is not None)
    keys = [m.dedupe_key for m in fake.messages()]
    duplicates = len(keys) - len(set(keys))
    print(f"\nSCENARIO {name}: enqueued={enqueued} delivered={delivered} duplicates={duplicates}")
    return enqueued, delivered, duplicates


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'drift.db'}")
    yield opened
    opened.close()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        with postgres_schema_url(PG_URL) as scoped:
            yield scoped


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


# -- enqueue and dedupe ------------------------------------------------------------------------


def test_enqueueing_the_same_alert_twice_yields_one_row(store_url: str) -> None:
    with Store.open(store_url) as store:
        now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
        assert 3 == enqueue(store.engine, alerts(3, now=now), now=now)
        later = now + timedelta(hours=5)  # same cooldown window: same keys
        assert 0 == enqueue(store.engine, alerts(3, now=later), now=later)
        assert 3 == len(table(store.engine))
        next_day = now + COOLDOWN
        assert 3 == enqueue(store.engine, alerts(3, now=next_day), now=next_day)


def test_dedupe_keys_say_what_once_means() -> None:
    now = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    [alert] = slack_alerts([finding()], event="new", channel="C1", now=now, cooldown=COOLDOWN)
    assert f"slack:C1:new:{finding().id}:2024-05-01T00:00:00Z" == alert.dedupe_key
    [resolved] = slack_resolved([finding()], channel="C1", now=now, cooldown=COOLDOWN)
    assert f"slack:C1:resolved:{finding().id}:2024-05-01T00:00:00Z" == resolved.dedupe_key
    report = build_report([finding()], generated_at=now, window=Window(None, now))
    digest = slack_digest(report, channel="C1", period_start=now.replace(minute=0), scope="pets")
    assert "slack:C1:digest:pets:2024-05-01T10:00:00Z" == digest.dedupe_key
    bundle = slack_alerts(
        [finding(i) for i in range(6)], event="new", channel="C1", now=now, cooldown=COOLDOWN
    )
    assert 1 == len(bundle)
    assert bundle[0].dedupe_key.startswith("slack:C1:new:set-")


# -- claims and leases -------------------------------------------------------------------------


def test_a_leased_row_is_not_claimed_again_until_the_lease_runs_out(store: Store) -> None:
    engine, now = store.engine, datetime.now(UTC)
    enqueue(engine, alerts(2), now=now)
    lease = timedelta(seconds=30)
    first = outbox_rows.claim(engine, sinks=["slack"], now=now, lease=lease, limit=10)
    assert 2 == len(first)
    assert [] == outbox_rows.claim(engine, sinks=["slack"], now=now, lease=lease, limit=10)
    later = now + timedelta(seconds=31)
    second = outbox_rows.claim(engine, sinks=["slack"], now=later, lease=lease, limit=10)
    assert [c.id for c in first] == [c.id for c in second]
    # the first sender's lease is gone: it may not start an attempt any more
    assert outbox_rows.start_attempt(engine, first[0], now=later, lease=lease) is None
    assert outbox_rows.start_attempt(engine, second[0], now=later, lease=lease) is not None


# -- Slack faults --------------------------------------------------------------------------------


def test_429_then_success_honours_retry_after_and_posts_once(
    store: Store, slack: FakeSlack
) -> None:
    slack.fail_next("chat.postMessage", Fault(429, retry_after=1))
    enqueued = enqueue(store.engine, alerts(1))
    result = make_sender(store.engine, slack_sink(slack)).send_due()
    posts = slack.calls("chat.postMessage")
    assert [429, 200] == [c.status for c in posts]
    assert posts[1].at - posts[0].at >= 1.0  # waited Retry-After in-process
    assert 1 == result.delivered
    assert (1, 1, 0) == scenario("429 then success", store.engine, slack, enqueued)


def test_a_long_retry_after_is_left_to_the_outbox(store: Store, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", Fault(429, retry_after=30))
    clock = FakeClock()
    enqueue(store.engine, alerts(1), now=clock.now())
    sender = make_sender(store.engine, slack_sink(slack, max_retry_after=5), clock)
    assert 1 == sender.send_due().failed
    [row] = pending(store.engine)
    assert clock.now() + timedelta(seconds=30) == row["next_attempt_at"]
    assert "Slack rate limit" == row["last_error"]
    clock.advance(29)
    assert 0 == sender.send_due().claimed  # not due yet
    clock.advance(1)
    assert 1 == sender.send_due().delivered
    assert 1 == len(slack.messages())


def test_5xx_burst_then_success_delivers_once_even_when_a_500_hid_a_post(
    store: Store, slack: FakeSlack
) -> None:
    slack.fail_next(
        "chat.postMessage",
        Fault(500),
        Fault(503, store_first=True),  # Slack posted it, but the answer was a 503
        Fault(500),
    )
    clock = FakeClock()
    enqueued = enqueue(store.engine, alerts(2), now=clock.now())
    sender = make_sender(store.engine, slack_sink(slack), clock)
    drain(sender, store.engine, clock)
    assert 2 == len(slack.messages())
    assert [] == pending(store.engine)
    assert 1 <= len(slack.calls("conversations.history"))  # the guard looked before re-posting
    assert (2, 2, 0) == scenario("5xx burst then success", store.engine, slack, enqueued)


def test_backoff_doubles_up_to_the_cap(store: Store, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", *[Fault(500)] * 5)
    clock = FakeClock()
    enqueue(store.engine, alerts(1), now=clock.now())
    sender = make_sender(store.engine, slack_sink(slack), clock, backoff=Backoff(1.0, 4.0))
    delays = []
    for _ in range(5):
        sender.send_due()
        [row] = pending(store.engine)
        delays.append((row["next_attempt_at"] - clock.now()).total_seconds())
        clock.advance(delays[-1])
    assert [1.0, 2.0, 4.0, 4.0, 4.0] == delays
    assert 5 == pending(store.engine)[0]["attempts"]


def test_slack_down_for_a_while_then_back(store: Store, slack: FakeSlack) -> None:
    clock = FakeClock()
    enqueued = enqueue(store.engine, alerts(3), now=clock.now())
    sender = make_sender(store.engine, slack_sink(slack), clock)
    slack.down()
    for _ in range(2):  # the second pass also finds the history unreachable
        assert 3 == sender.send_due().failed
        clock.advance(60)
    waiting = pending(store.engine)
    assert 3 == len(waiting)
    assert {"cannot reach Slack: Connection refused"} == {r["last_error"] for r in waiting}
    slack.up()
    drain(sender, store.engine, clock)
    assert 3 == len(slack.messages())
    assert (3, 3, 0) == scenario("Slack down, then back", store.engine, slack, enqueued)


def test_a_wrong_token_is_refused_and_the_row_waits_the_longest_backoff(
    store: Store, slack: FakeSlack
) -> None:
    clock = FakeClock()
    enqueue(store.engine, alerts(1), now=clock.now())
    sink = SlackSink(token="xoxb-wrong", base_url=slack.base_url, timeout=5)
    make_sender(store.engine, sink, clock).send_due()
    [row] = pending(store.engine)
    assert "Slack refused to post the message: invalid_auth" == row["last_error"]
    assert clock.now() + timedelta(seconds=60) == row["next_attempt_at"]  # the cap
    assert [] == slack.messages()


def test_the_token_never_reaches_logs_or_the_store(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    slack.fail_next("chat.postMessage", Fault(429, retry_after=30), Fault(500))
    enqueue(store.engine, alerts(2), now=clock.now())
    sink = SlackSink.from_env(
        "DRIFT_SLACK_TOKEN",
        environ={"DRIFT_SLACK_TOKEN": TOKEN},
        base_url=slack.base_url,
        timeout=5,
        max_retry_after=1,
    )
    sender = make_sender(store.engine, sink, clock)
    sender.send_due()
    slack.down()
    clock.advance(60)
    sender.send_due()
    slack.up()
    drain(sender, store.engine, clock)
    assert 2 == len(slack.messages())
    logged = caplog.text + "".join(repr(r.args) + repr(r.__dict__) for r in caplog.records)
    assert "Bearer" in logged or "Authorization" in logged  # the SDK logged its headers, redacted
    assert TOKEN not in logged
    assert TOKEN not in repr(table(store.engine))
    assert TOKEN not in repr(sink)


def test_a_missing_token_variable_is_a_config_error() -> None:
    with pytest.raises(NotifyConfigError, match="'DRIFT_SLACK_TOKEN' is not set"):
        SlackSink.from_env("DRIFT_SLACK_TOKEN", environ={})


# -- killed mid-delivery -------------------------------------------------------------------------


def _sender_process(url: str, base_url: str, marker: str | None, crash_after: int) -> None:
    """A sender in its own process; with `marker`, it hangs (to be SIGKILLed) right after the
    `crash_after`-th message reached Slack, before the row is marked delivered."""
    store = Store.open(url)
    accepted = 0

    def after_attempt(delivery: Delivery, receipt: str) -> None:
        nonlocal accepted
        accepted += 1
        if marker is not None and accepted == crash_after:
            Path(marker).write_text(f"{delivery.id} {receipt}")
            time.sleep(600)

    sink = SlackSink(token=TOKEN, base_url=base_url, timeout=5)
    sender = Sender(
        store.engine,
        {"slack": sink},
        lease=timedelta(seconds=2),
        backoff=Backoff(base=0.2, cap=1.0),
        pacing=0.2,
        after_attempt=after_attempt,
    )
    deadline = time.monotonic() + 45
    while pending(store.engine) and time.monotonic() < deadline:
        sender.send_due()
        time.sleep(0.1)
    store.close()


def test_a_sender_killed_after_posting_does_not_post_again_on_restart(
    tmp_path: Path, slack: FakeSlack
) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    with Store.open(url) as store:
        engine = store.engine
        enqueued = enqueue(engine, alerts(3, "#drift-alerts") + alerts(2, "C-B"))
        marker = tmp_path / "posted"
        spawn = multiprocessing.get_context("spawn")
        first = spawn.Process(target=_sender_process, args=(url, slack.base_url, str(marker), 1))
        first.start()
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the first sender never reached the crash point"
        first.kill()  # SIGKILL: no cleanup, no marking
        first.join(10)
        crashed_id = int(marker.read_text().split()[0])
        [crashed] = [row for row in table(engine) if row["id"] == crashed_id]
        assert (None, 1) == (crashed["delivered_at"], crashed["attempts"])  # sent, not marked
        assert [crashed_id] == [m.outbox_id for m in slack.messages()]

        # the restarted sender knows no channel ids: it resolves "#drift-alerts" to read history
        second = spawn.Process(target=_sender_process, args=(url, slack.base_url, None, 0))
        second.start()
        second.join(60)
        assert 0 == second.exitcode
        assert [] == pending(engine)
        [message] = [m for m in slack.messages() if m.outbox_id == crashed_id]
        [crashed] = [row for row in table(engine) if row["id"] == crashed_id]
        assert f"{slack.channel_id('drift-alerts')}:{message.ts}" == crashed["receipt"]
        assert 1 <= len(slack.calls("users.conversations"))
        assert 5 == len([c for c in slack.calls("chat.postMessage") if c.status == 200])
        assert (5, 5, 0) == scenario("sender SIGKILLed after posting", engine, slack, enqueued)


def test_without_history_access_a_retry_posts_again_and_says_so(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    enqueue(store.engine, alerts(1), now=clock.now())
    slack.fail_next("chat.postMessage", Fault(500))
    slack.fail_next("conversations.history", Fault(200, error="missing_scope"))
    drain(make_sender(store.engine, slack_sink(slack), clock), store.engine, clock)
    assert 1 == len(slack.messages())
    assert ["cannot check slack for an earlier delivery; posting again"] == [
        r.getMessage() for r in caplog.records if r.name == "drift.edges.notify.slack"
    ]


# -- two senders -----------------------------------------------------------------------------------


def test_two_senders_on_one_store_never_send_a_row_twice(store_url: str, slack: FakeSlack) -> None:
    slack.set_latency(0.005)
    channels = [f"C-{n}" for n in range(4)]
    with Store.open(store_url) as setup:
        enqueued = enqueue(setup.engine, [m for c in channels for m in alerts(10, c)])
    stores = [Store.open(store_url) for _ in range(2)]
    barrier = threading.Barrier(2)
    delivered = [0, 0]

    def run(index: int) -> None:
        sender = make_sender(stores[index].engine, slack_sink(slack), batch=3)
        barrier.wait()
        while pending(stores[index].engine):
            result = sender.send_due()
            delivered[index] += result.delivered
            if not result.claimed:
                time.sleep(0.01)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert 40 == sum(delivered)
        assert 40 == len(slack.messages())
        assert (40, 40, 0) == scenario(
            f"two senders ({stores[0].engine.dialect.name})", stores[0].engine, slack, enqueued
        )
    finally:
        for opened in stores:
            opened.close()


# -- pacing ---------------------------------------------------------------------------------------


class RecordingSink:
    def __init__(self, inner: SlackSink, clock: FakeClock) -> None:
        self.inner, self.clock = inner, clock
        self.sent: list[tuple[str, float]] = []

    def deliver(self, delivery: Delivery) -> str:
        self.sent.append((delivery.target, self.clock.monotonic()))
        return self.inner.deliver(delivery)


def test_pacing_sends_at_most_one_message_per_second_per_channel(
    store: Store, slack: FakeSlack
) -> None:
    clock = FakeClock()
    enqueue(store.engine, alerts(3, "C-A") + alerts(3, "C-B"), now=clock.now())
    sink = RecordingSink(slack_sink(slack), clock)
    start = clock.monotonic()
    make_sender(store.engine, sink, clock, pacing=1.0).send_due()
    assert [
        ("C-A", 0.0),
        ("C-B", 0.0),
        ("C-A", 1.0),
        ("C-B", 1.0),
        ("C-A", 2.0),
        ("C-B", 2.0),
    ] == [(target, at - start) for target, at in sink.sent]
    assert [1.0, 1.0] == clock.sleeps  # the two channels share each wait
    assert 6 == len(slack.messages())


# -- message limits ---------------------------------------------------------------------------------


def test_oversized_messages_are_cut_to_slack_limits_and_accepted(
    store: Store, slack: FakeSlack
) -> None:
    now = datetime.now(UTC)
    many = [finding(i, service=f"svc-{i % 60}") for i in range(300)]
    report = build_report(many, generated_at=now, window=Window(now - COOLDOWN, now))
    messages = [
        *slack_alerts(many[:40], event="regressed", channel="C-X", now=now, cooldown=COOLDOWN),
        slack_digest(
            report, channel="C-X", period_start=now, link="https://drift.example/r?a=1&b=2"
        ),
        *slack_resolved(many[:100], channel="C-X", now=now, cooldown=COOLDOWN),
    ]
    enqueued = enqueue(store.engine, messages)
    assert 3 == make_sender(store.engine, slack_sink(slack)).send_due().delivered
    alert, digest, resolved = slack.messages()
    assert all(len(m.blocks) <= 50 and len(m.text) <= 4000 for m in slack.messages())
    assert "…and 30 more findings" == alert.blocks[-1]["text"]["text"]
    assert "…and 275 more findings" in [b.get("text", {}).get("text") for b in digest.blocks]
    assert "…and 75 more findings" == resolved.blocks[-1]["text"]["text"]
    assert (3, 3, 0) == scenario("oversized messages", store.engine, slack, enqueued)


# -- webhook ----------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    statuses: list[int]
    received: list[tuple[dict[str, str], dict[str, Any]]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(self.statuses.pop(0) if self.statuses else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_webhook_500_then_success(store: Store) -> None:
    handler = type("Receiver", (_Receiver,), {"statuses": [500], "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        clock = FakeClock()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook?secret=s3cr3t"
        sink = WebhookSink.from_env(
            {"ops": "DRIFT_OPS_WEBHOOK"}, environ={"DRIFT_OPS_WEBHOOK": url}
        )
        messages = webhook_events(
            [finding()], event="regressed", target="ops", now=clock.now(), cooldown=COOLDOWN
        )
        enqueued = enqueue(store.engine, messages, now=clock.now())
        sender = Sender(store.engine, {"webhook": sink}, clock=clock, backoff=Backoff(1.0, 60.0))
        assert 1 == sender.send_due().failed
        [row] = pending(store.engine)
        assert "webhook answered HTTP 500" == row["last_error"]
        assert 2 == drain(sender, store.engine, clock)
        assert 2 == len(handler.received)
        (first_headers, _), (headers, body) = handler.received
        assert (
            messages[0].dedupe_key == headers["Idempotency-Key"] == first_headers["Idempotency-Key"]
        )
        assert ("regressed", [finding().id]) == (body["event"], [f["id"] for f in body["findings"]])
        [row] = table(store.engine)
        assert "HTTP 200" == row["receipt"]
        assert "s3cr3t" not in repr(table(store.engine)) + repr(sink)
        print(f"\nSCENARIO webhook 500 then success: enqueued={enqueued} delivered=1 duplicates=0")
    finally:
        server.shutdown()
        server.server_close()


def test_a_row_is_parked_after_max_attempts_and_can_be_made_due_again(
    store: Store, slack: FakeSlack
) -> None:
    clock = FakeClock()
    enqueue(store.engine, alerts(1), now=clock.now())
    slack.fail_next("chat.postMessage", Fault(500), Fault(500))
    backoff = Backoff(base=1.0, cap=2.0, max_attempts=2)
    sender = make_sender(store.engine, slack_sink(slack), clock, backoff=backoff)
    assert 0 == sender.send_due().parked
    clock.advance(1)
    assert 1 == sender.send_due().parked
    assert outbox_rows.PARKED == pending(store.engine)[0]["next_attempt_at"]
    clock.advance(10 * 365 * 86400)
    assert 0 == sender.send_due().claimed
    assert 1 == outbox_rows.unpark(store.engine, now=clock.now())
    assert 1 == sender.send_due().delivered
    assert 1 == len(slack.messages())
