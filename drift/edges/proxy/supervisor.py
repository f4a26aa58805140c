"""The proxy's side of capture: hand exchanges to the capture process and keep it running.

The hook appends a compact record of each exchange (`wire.record_of`: references to what
mitmproxy already holds) to `CaptureProcess.queue`, bounded by the addon. A shipping thread
wakes every 100 ms and writes what is queued as one frame (`marshal`, in C) to the capture
process's standard input; the write releases the GIL. Everything costly happens in that other
process, so the proxy's event loop pays only for the hook and the hand-off, whatever the
sampling rate.

If the capture process dies it is restarted with a growing delay (1 s to 60 s); exchanges
arriving meanwhile wait in the bounded queue, then are dropped and counted. If it reports an
unusable configuration (exit code 3) capture stops for good and traffic passes unobserved.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import site
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

import orjson

import drift
from drift.edges.proxy.wire import (
    EXIT_CONFIG,
    CaptureConfig,
    Record,
    dump_records,
    error_from_fields,
    write_frame,
)
from drift.errors import DriftError

__all__ = ["CaptureProcess", "Handoff"]

log = logging.getLogger(__name__)

Handoff = tuple[Record, int]  # (the exchange, body bytes it holds)

_COUNTERS = (
    "processed",
    "sampled",
    "worker_errors",
    "flushes",
    "flush_failures",
    "dropped_observations",
)
_F_SETPIPE_SZ = 1031  # Linux: a 1 MiB pipe absorbs a burst without blocking the shipper
_MAX_BATCH = 2_000
_FAILING_AFTER = 5  # crashes in a row, without a successful start, before health says so


class CaptureProcess:
    def __init__(
        self,
        config: CaptureConfig,
        *,
        interval: float = 0.1,
        max_restart_delay: float = 60.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.config = config
        self.interval = interval
        self.max_restart_delay = max_restart_delay
        self.stop_timeout = stop_timeout
        self.queue: deque[Handoff] = deque()
        self.bytes_done = 0  # body bytes shipped or discarded (the hook keeps bytes_queued)
        self.accepting = True  # False for good once the configuration is known to be unusable
        self.shipped = 0
        self.lost = 0  # records that could not be written to a capture process
        self.errors = 0  # errors in the shipping thread
        self.restarts = 0
        self.fatal: DriftError | None = None
        self.child: dict[str, Any] = {}  # the capture process's last counters
        self._retired: dict[str, float] = dict.fromkeys(_COUNTERS, 0)
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._caller_reports = False
        self._delay = 0.0
        self._crashes = 0  # in a row, without a successful start in between
        self._restart_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drift-ship", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._spawn()
        except OSError as exc:
            raise DriftError(f"cannot start drift's capture process: {exc}") from None
        self._thread.start()

    def wait_ready(self, timeout: float) -> None:
        """Block until the capture process has loaded its contract; raise what it reported."""
        self._caller_reports = True  # the caller says why capture cannot work, not the log
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            proc = self._proc
            code = proc.poll() if proc is not None else None
            if proc is None or code is not None:
                if self._reader is not None:
                    self._reader.join(2)  # its last line may be the reason
                if self.fatal is not None:
                    raise self.fatal
                raise DriftError(
                    f"the capture process exited at start-up (exit code {code}); "
                    "its log lines above say why"
                )
            if time.monotonic() > deadline:
                log.warning("capture process is slow to start; traffic flows meanwhile")
                return

    def alive(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None and self.child.get("worker_alive", True)

    def state(self) -> str:
        """running; restarting (after a crash, briefly); failing (crashed 5 times without
        getting ready in between); off (the configuration cannot work)."""
        if not self.accepting:
            return "off"
        if self.alive():
            return "running"
        return "failing" if self._crashes >= _FAILING_AFTER else "restarting"

    def stop(self) -> None:
        """Ship what is queued, let the capture process flush and exit (bounded), then return."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.stop_timeout + 5)
            proc = self._proc
            if self._thread.is_alive() and proc is not None:  # stuck writing to a hung process
                log.warning("capture process does not read its input; killing it")
                proc.kill()
                self._thread.join(5)
        else:
            self._finish()

    # -- the shipping thread -----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._supervise()
                self._ship()
            except Exception:  # never let a bug stop the hand-off for good
                self.errors += 1
                log.warning("capture hand-off error", exc_info=self.errors <= 3)
        self._finish()

    def _finish(self) -> None:
        try:
            self._ship()
        finally:
            self._close()

    def _ship(self) -> None:
        queue, proc = self.queue, self._proc
        if not self.accepting:
            self._discard()
            return
        if proc is None or proc.stdin is None:
            return  # waiting for a restart: the queue holds what it can
        while queue:
            batch: list[Record] = []
            held = 0
            while queue and len(batch) < _MAX_BATCH:
                record, size = queue.popleft()
                batch.append(record)
                held += size
            try:
                if batch:
                    write_frame(proc.stdin.fileno(), dump_records(batch))
                    self.shipped += len(batch)
            except (OSError, ValueError):  # the capture process is gone
                self.lost += len(batch)
                self._exited(proc)
                return
            finally:
                self.bytes_done += held

    def _discard(self) -> None:
        while self.queue:
            self.bytes_done += self.queue.popleft()[1]

    def _supervise(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.poll() is not None:
                self._exited(proc)
        elif self.accepting and time.monotonic() >= self._restart_at:
            self.restarts += 1
            try:
                self._spawn()
            except OSError as exc:  # out of processes or memory: try again later
                log.warning(
                    "cannot start the capture process; will retry",
                    extra={"error": str(exc), "retry_in_s": self._plan_restart()},
                )

    # -- the capture process -----------------------------------------------------------------

    def _spawn(self) -> None:
        if not sys.executable:
            raise OSError("no Python interpreter path (sys.executable is empty)")
        proc = subprocess.Popen(
            [sys.executable, "-m", "drift.edges.proxy.capture"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_child_environment(),
            start_new_session=True,  # a Ctrl-C meant for the proxy reaches it through the proxy
        )
        assert proc.stdin is not None and proc.stdout is not None
        # Not Linux, or over the system's pipe-size limit: the default size works too.
        with contextlib.suppress(OSError):
            fcntl.fcntl(proc.stdin.fileno(), _F_SETPIPE_SZ, 1 << 20)
        config = pickle.dumps(_with_log_level(self.config), protocol=pickle.HIGHEST_PROTOCOL)
        self._proc = proc
        with contextlib.suppress(OSError):  # it died at once; the exit code tells why
            write_frame(proc.stdin.fileno(), config)
        self._reader = threading.Thread(
            target=self._read_counters, args=(proc.stdout,), name="drift-counters", daemon=True
        )
        self._reader.start()
        log.info("capture process started", extra={"pid": proc.pid})

    def _read_counters(self, out: IO[bytes]) -> None:
        with out:
            for line in out:
                try:
                    message = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if "fatal" in message:
                    self.fatal = error_from_fields(message["fatal"])
                    continue
                self.child = message
                if message.get("ready"):
                    self._delay = 0.0
                    self._crashes = 0
                    self._ready.set()

    def _exited(self, proc: subprocess.Popen[bytes]) -> None:
        """Account for a capture process that ended, and plan what happens next."""
        with self._lock:
            if self._proc is not proc:
                return
            self._proc = None
        code = proc.wait()
        if self._reader is not None:
            self._reader.join(2)  # its last line may be the reason
        for key in _COUNTERS:
            self._retired[key] += float(self.child.get(key) or 0)
        self.child = {}
        if proc.stdin is not None:
            proc.stdin.close()
        if code == EXIT_CONFIG or self.fatal is not None:
            self.accepting = False
            if self._caller_reports:
                return
            log.error(
                "drift cannot capture; traffic passes through unobserved",
                extra={"error": str(self.fatal) if self.fatal else f"exit code {code}"},
            )
            return
        if self._stop.is_set():
            return
        log.warning(
            "capture process exited; observations it had not flushed are lost",
            extra={"exit_code": code, "restart_in_s": self._plan_restart()},
        )

    def _plan_restart(self) -> float:
        """Count a crash and schedule the next start: 1 s, doubling up to the cap."""
        self._crashes += 1
        self._delay = min(self.max_restart_delay, max(1.0, self._delay * 2))
        self._restart_at = time.monotonic() + self._delay
        return self._delay

    def _close(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # end of input: drain, flush, exit
        try:
            proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning("capture process did not finish in time; killing it")
            proc.kill()
            proc.wait()
        if self._reader is not None:
            self._reader.join(2)

    # -- introspection -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        child = self.child
        totals = {key: self._retired[key] + float(child.get(key) or 0) for key in _COUNTERS}
        return {
            **totals,
            "shipped": self.shipped,
            "lost": self.lost,
            "handoff_errors": self.errors,
            "restarts": self.restarts,
            "worker_alive": self.alive(),
            "capture": self.state(),
            "backlog": child.get("backlog", 0),
            "flush_seconds": child.get("flush_seconds", 0.0),
            "pending_observations": child.get("pending_observations", 0),
            "last_flush_ok": child.get("last_flush_ok"),
            "capture_rss_bytes": child.get("rss_bytes", 0),
        }


def _child_environment() -> dict[str, str]:
    """This environment; plus drift's source root on PYTHONPATH when drift is imported from a
    checkout rather than installed (never a site-packages directory: on PYTHONPATH it would
    come before the standard library)."""
    env = dict(os.environ)
    root = str(Path(drift.__file__).resolve().parents[1])
    installed = {
        str(Path(p).resolve()) for p in (*site.getsitepackages(), site.getusersitepackages())
    }
    if root not in installed and root not in env.get("PYTHONPATH", "").split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _with_log_level(config: CaptureConfig) -> CaptureConfig:
    from dataclasses import replace

    level = logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
    return replace(config, log_level=level)
