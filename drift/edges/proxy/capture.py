"""The capture process: folds the proxy's exchange records into observations and stores them.

`drift proxy` (or the addon under `mitmdump -s`) starts it as `python -m
drift.edges.proxy.capture` and owns it (see `supervisor.py`). Parsing, inference and store
writes run here, on their own interpreter and GIL, so they take no time from the proxy's event
loop. Protocol, all on inherited pipes:

- standard input: frames (`wire.py`); the first is the pickled `CaptureConfig`, each later one
  a batch of `Record`s. End of input means "finish": drain, flush, exit 0.
- standard output: one JSON object per line, twice a second: the counters the proxy serves on
  `/metrics`, or `{"fatal": {...}}` followed by exit code 3 when the configuration is unusable.
- standard error: logs, in the same format as the proxy's.

SIGINT and SIGTERM are ignored: the proxy ends this process by closing its input, after the
last batch, so nothing in flight is lost to a signal sent to the whole process group.
It runs at a lower CPU priority (nice +10): on a busy host the proxy's traffic goes first, and
if this process falls behind, the proxy's bounded queue counts the drops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import sys
import threading
import time
from typing import Any, BinaryIO

import orjson

from drift.core.observe import Observer
from drift.edges.proxy.flusher import Flusher
from drift.edges.proxy.wire import EXIT_CONFIG, CaptureConfig, load_records, read_frame
from drift.edges.proxy.worker import CaptureWorker
from drift.errors import DriftError, InputError

__all__ = ["main"]

log = logging.getLogger(__name__)

NICE = 10  # CPU priority below the proxy's


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(NICE)
    stats = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # standard output carries counters only; a stray print goes to the log
    first = read_frame(0)
    if first is None:
        return 0
    config: CaptureConfig = pickle.loads(first)
    from drift.edges.logs import configure_logging

    configure_logging(config.log_level)
    try:
        worker, flusher = _start(config)
    except DriftError as exc:
        _send(stats, {"fatal": _error_fields(exc)})
        return EXIT_CONFIG
    reporter = _Reporter(stats, worker, flusher, config.stats_interval)
    reporter.start()
    try:
        _pump(worker, config.backlog)
    except (EOFError, ValueError) as exc:  # a torn or corrupt frame: the proxy went away
        log.warning("capture input ended badly", extra={"error": str(exc)})
    finally:
        worker.stop()
        flusher.stop()
        reporter.stop()
    return 0


def _start(config: CaptureConfig) -> tuple[CaptureWorker, Flusher]:
    from drift.edges.contracts import load_contract
    from drift.edges.store import Store

    contract = load_contract(config.contract, service=config.service)
    for problem in contract.problems[:20]:
        log.warning("contract problem", extra={"problem": problem.describe()})
    url = config.store_url
    flusher = Flusher(lambda: Store.open(url), interval=config.settings.flush_interval)
    worker = CaptureWorker(Observer(contract), config.identifier, config.settings, flusher.submit)
    flusher.start()
    worker.start()
    log.info(
        "drift capture started",
        extra={"service": contract.service, "operations": len(contract.operations)},
    )
    return worker, flusher


def _pump(worker: CaptureWorker, backlog: int) -> None:
    queue = worker.queue
    while (frame := read_frame(0)) is not None:
        records = load_records(frame)
        while len(queue) >= backlog and worker.alive():
            time.sleep(0.005)  # the pipe fills up and the proxy counts what it cannot hand over
        queue.extend(records)


def counters(worker: CaptureWorker, flusher: Flusher) -> dict[str, Any]:
    return {
        "processed": worker.processed,
        "sampled": worker.sampler.sampled,
        "worker_errors": worker.errors,
        "worker_alive": worker.alive(),
        "backlog": len(worker.queue),
        "flushes": flusher.flushes,
        "flush_failures": flusher.failures,
        "flush_seconds": flusher.last_flush_seconds,
        "pending_observations": flusher.pending,
        "dropped_observations": flusher.dropped,
        "last_flush_ok": flusher.last_success,
        "rss_bytes": _rss(),
    }


class _Reporter:
    def __init__(
        self, out: BinaryIO, worker: CaptureWorker, flusher: Flusher, interval: float
    ) -> None:
        self.out, self.worker, self.flusher, self.interval = out, worker, flusher, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drift-stats", daemon=True)

    def start(self) -> None:
        _send(self.out, {"ready": True, **counters(self.worker, self.flusher)})
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        _send(self.out, {"done": True, **counters(self.worker, self.flusher)})

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            _send(self.out, counters(self.worker, self.flusher))


def _send(out: BinaryIO, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the proxy is gone; end of input follows
        out.write(orjson.dumps(message) + b"\n")


def _error_fields(exc: DriftError) -> dict[str, Any]:
    if isinstance(exc, InputError):
        return {
            "message": exc.message,
            "file": exc.file,
            "line": exc.line,
            "pointer": exc.pointer,
            "hint": exc.hint,
        }
    return {"message": str(exc)}


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
