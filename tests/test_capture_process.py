"""The capture process and its supervisor, for real: a child Python process fed over a pipe."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy.test import tflow

from drift.core.identity import ConsumerIdentifier
from drift.edges.proxy.supervisor import CaptureProcess
from drift.edges.proxy.wire import (
    CaptureConfig,
    FieldView,
    WorkerSettings,
    dump_records,
    load_records,
    read_frame,
    record_of,
    write_frame,
)
from drift.edges.store import Store
from drift.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "config" / "examples" / "orders" / "openapi.yaml"
ORDER = b'{"id": "6f1b7c3e-1d2a-4b5c-9d8e-7f6a5b4c3d2e", "status": "paid", "total": 9.5}'


def handoff(consumer: str, path: str = "/v1/orders/6f1b7c3e-1d2a-4b5c-9d8e-7f6a5b4c3d2e") -> Any:
    f = tflow.tflow(resp=True)
    f.request.path = path
    f.request.headers["X-Consumer-Id"] = consumer
    f.response.headers["content-type"] = "application/json"
    f.response.raw_content = ORDER
    return record_of(f.request, f.response, f.client_conn, 1 << 20)


def config(store: str, contract: Path = CONTRACT) -> CaptureConfig:
    return CaptureConfig(
        contract=str(contract),
        store_url=store,
        identifier=ConsumerIdentifier.from_config([{"header": "X-Consumer-Id"}]),
        settings=WorkerSettings(flush_interval=0.2),
        stats_interval=0.1,
    )


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[CaptureProcess]:
    proc = CaptureProcess(config(f"sqlite:///{tmp_path / 'd.db'}"), interval=0.02)
    proc.start()
    proc.wait_ready(60)
    try:
        yield proc
    finally:
        proc.stop()


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def consumers_in(url: str) -> dict[str, int]:
    store = Store.open(url)
    try:
        out: dict[str, int] = {}
        for key, obs in store.load().items():
            out[key.consumer] = out.get(key.consumer, 0) + obs.count
        return out
    finally:
        store.close()


def test_records_cross_the_pipe_and_land_in_the_store_on_stop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    proc = CaptureProcess(config(url), interval=0.02)
    proc.start()
    proc.wait_ready(60)
    for consumer in ("web", "billing", "web"):
        proc.queue.append(handoff(consumer))
    wait_until(lambda: proc.stats()["processed"] == 3)
    assert proc.alive()
    proc.stop()
    assert {"web": 2, "billing": 1} == consumers_in(url)
    stats = proc.stats()
    assert (3, 3, 0, 0) == (stats["shipped"], stats["sampled"], stats["lost"], stats["restarts"])
    assert not proc.alive()


def test_an_unusable_contract_is_reported_with_its_file_and_capture_stops_for_good(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.3\ninfo: [not, a, mapping\n")
    proc = CaptureProcess(config(f"sqlite:///{tmp_path / 'd.db'}", bad), interval=0.02)
    proc.start()
    with pytest.raises(InputError) as caught:
        proc.wait_ready(60)
    assert str(bad) in caught.value.describe()
    proc.queue.append(handoff("web"))
    wait_until(lambda: not proc.accepting)
    wait_until(lambda: not proc.queue)  # discarded: nothing will ever read it
    time.sleep(0.2)
    assert (0, None, "off") == (proc.restarts, proc._proc, proc.state())
    proc.stop()


def test_a_killed_capture_process_is_restarted_and_capture_goes_on(
    capture: CaptureProcess, tmp_path: Path
) -> None:
    capture.max_restart_delay = 0.2
    capture.queue.append(handoff("web"))
    wait_until(lambda: capture.stats()["processed"] == 1)
    first = capture._proc
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    wait_until(lambda: capture.restarts == 1 and capture.alive())
    capture.queue.append(handoff("billing"))
    wait_until(lambda: capture.stats()["processed"] == 2)  # 1 before the kill, 1 after
    capture.stop()
    # what the first process had not flushed may be lost; what the second got is stored
    assert consumers_in(f"sqlite:///{tmp_path / 'd.db'}").get("billing") == 1


def test_the_capture_process_ignores_signals_and_ends_when_its_input_ends(
    capture: CaptureProcess, tmp_path: Path
) -> None:
    child = capture._proc
    assert child is not None
    capture.queue.append(handoff("web"))
    wait_until(lambda: capture.stats()["processed"] == 1)
    os.kill(child.pid, signal.SIGTERM)  # e.g. systemd signalling the whole control group
    os.kill(child.pid, signal.SIGINT)
    time.sleep(0.3)
    assert child.poll() is None
    capture.stop()  # closes its input: it flushes and exits 0
    assert 0 == child.returncode
    assert {"web": 1} == consumers_in(f"sqlite:///{tmp_path / 'd.db'}")


# -- the wire format -------------------------------------------------------------------------


def test_frames_round_trip_and_a_torn_frame_is_an_error() -> None:
    read, write = os.pipe()
    records = [handoff("web")[0], handoff("billing")[0]]
    write_frame(write, dump_records(records))
    write_frame(write, b"x" * 10)
    os.write(write, b"\x00\x00\x00\x09abc")  # announces 9 bytes, sends 3
    os.close(write)
    try:
        frame = read_frame(read)
        assert frame is not None and records == load_records(frame)
        assert b"x" * 10 == read_frame(read)
        with pytest.raises(EOFError):
            read_frame(read)
    finally:
        os.close(read)


def test_end_of_input_between_frames_is_a_clean_end() -> None:
    read, write = os.pipe()
    os.close(write)
    try:
        assert read_frame(read) is None
    finally:
        os.close(read)


def test_field_view_is_case_insensitive_and_first_value_wins() -> None:
    view = FieldView(((b"Content-Type", b"application/json"), (b"content-type", b"text/plain")))
    assert "application/json" == view.get("content-type") == view.get("CONTENT-TYPE")
    assert view.get("x-missing") is None
    assert ["Content-Type", "content-type"] == view.names()


def test_a_capture_process_that_keeps_crashing_is_reported_as_failing(tmp_path: Path) -> None:
    from dataclasses import replace

    broken = replace(config(f"sqlite:///{tmp_path / 'd.db'}"), settings=None)  # a bug, not input
    proc = CaptureProcess(broken, interval=0.02, max_restart_delay=0.05)  # type: ignore[arg-type]
    proc.start()
    try:
        assert proc.state() in ("running", "restarting")  # not known to be broken yet
        wait_until(lambda: proc.state() == "failing", timeout=60)
        assert proc.restarts >= 4 and proc.accepting  # it keeps trying
    finally:
        proc.stop()


@pytest.mark.parametrize(
    ("state", "code"), [("running", 200), ("restarting", 200), ("failing", 503), ("off", 503)]
)
def test_health_fails_only_when_capture_is_off_or_keeps_crashing(state: str, code: int) -> None:
    from drift.edges.proxy.metrics import _health

    status, body = _health({"capture": state, "restarts": 2})
    assert (code, state, 2) == (status, body["capture"], body["restarts"])


def test_a_capture_process_that_cannot_be_started_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drift.errors import DriftError

    monkeypatch.setattr("sys.executable", str(tmp_path / "no-such-python"))
    proc = CaptureProcess(config(f"sqlite:///{tmp_path / 'd.db'}"))
    with pytest.raises(DriftError, match="cannot start drift's capture process"):
        proc.start()
