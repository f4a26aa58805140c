"""Run mitmproxy in-process with the drift addon (`drift proxy`)."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from mitmproxy import options
from mitmproxy.tools.dump import DumpMaster

from drift.core.identity import ConsumerIdentifier
from drift.core.privacy import NamePolicy
from drift.edges.proxy.addon import DriftAddon
from drift.errors import InputError

__all__ = ["ProxySettings", "run_proxy"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProxySettings:
    contract: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    mode: str = (
        "reverse"  # reverse (needs upstream), regular, upstream (needs upstream), transparent
    )
    upstream: str | None = None
    confdir: str | None = None  # mitmproxy CA and state; must be writable
    stream_large_bodies: str = "8m"  # bodies above this stream past unbuffered (never 502s)
    drift: dict[str, Any] = field(default_factory=dict)  # drift_* addon options
    identifier: ConsumerIdentifier | None = None  # identity rules, already built
    names: NamePolicy | None = None  # config privacy.*: names kept or dropped on top of defaults
    ready_timeout: float = 300.0  # seconds to wait for the capture process to load the contract

    def mitmproxy_mode(self) -> str:
        if self.mode in ("reverse", "upstream"):
            if not self.upstream:
                raise InputError(
                    f"{self.mode} mode needs an upstream URL",
                    hint="pass --upstream http://127.0.0.1:8000",
                )
            return f"{self.mode}:{self.upstream}"
        if self.mode in ("regular", "transparent"):
            return self.mode
        raise InputError(
            f"unknown proxy mode {self.mode!r}",
            hint="use reverse, regular, upstream or transparent",
        )


class _ShutdownNoise(logging.Filter):
    """Drop asyncio's "Exception in callback" error for client connections that mitmproxy 11
    cancels at shutdown (any keep-alive connection still open on SIGTERM): it is not an error,
    and a traceback per open connection on every rollout would hide real ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


async def _serve(settings: ProxySettings) -> None:
    opts = options.Options(
        mode=[settings.mitmproxy_mode()],
        listen_host=settings.listen_host,
        listen_port=settings.listen_port,
    )
    if settings.confdir:
        opts.update(confdir=settings.confdir)
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    addon = DriftAddon(settings.identifier, settings.names)
    master.addons.add(addon)
    # `body_size_limit` is deliberately never set: mitmproxy answers 502 above it.
    master.options.update(
        stream_large_bodies=settings.stream_large_bodies,
        drift_contract=settings.contract,
        **settings.drift,
    )
    # The capture process loads the contract; its errors end `drift proxy` before it listens.
    await asyncio.to_thread(addon.launch, settings.ready_timeout)
    logging.getLogger("asyncio").addFilter(_ShutdownNoise())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    log.info(
        "drift proxy listening",
        extra={
            "listen": f"{settings.listen_host}:{settings.listen_port}",
            "mode": settings.mitmproxy_mode(),
        },
    )
    await master.run()


def run_proxy(settings: ProxySettings) -> None:
    """Serve until SIGTERM/SIGINT; the addon flushes observations before this returns."""
    asyncio.run(_serve(settings))
