"""`drift run`: the scheduler in the foreground; SIGTERM/SIGINT stop it cleanly.

With `proxy.enabled` in the config the same process also hosts the capture sidecar for the
first service that has an `upstream` (a single-process sidecar): mitmproxy owns the main
thread's event loop and the scheduler runs in the background.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from drift.edges.config.model import DriftConfig
from drift.edges.daemon.daemon import Daemon, Notifier
from drift.edges.daemon.scheduler import schedule
from drift.edges.store import Store

if TYPE_CHECKING:  # mitmproxy is imported only when a proxy is actually hosted
    from drift.edges.proxy.run import ProxySettings

__all__ = ["run_daemon"]

log = logging.getLogger(__name__)


def run_daemon(
    config: DriftConfig,
    *,
    notifier_factory: Callable[[Store], Notifier | None] = lambda _store: None,
    stop: threading.Event | None = None,
    duration: float | None = None,
) -> Daemon:
    """Run until SIGTERM/SIGINT, `stop` is set, or `duration` seconds have passed."""
    store = Store.open(config.store)
    daemon = Daemon(config, store, notifier=notifier_factory(store))
    scheduler = BackgroundScheduler(timezone=config.schedule.timezone)
    schedule(
        scheduler,
        daemon.jobs(),
        store,
        timezone=config.schedule.timezone,
        misfire_grace=timedelta(seconds=config.schedule.misfire_grace),
    )
    stop = stop or threading.Event()
    proxy_settings = _hosted_proxy(config)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    if threading.current_thread() is threading.main_thread() and proxy_settings is None:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    log.info(
        "drift daemon started",
        extra={
            "services": [s.name for s in daemon.services],
            "store": store.url_for_display,
            "started": datetime.now(UTC).isoformat(),
        },
    )
    try:
        if proxy_settings is not None:
            from drift.edges.proxy.run import run_proxy

            run_proxy(proxy_settings)  # returns on SIGTERM/SIGINT (mitmproxy's handlers)
        else:
            stop.wait(duration)
    finally:
        scheduler.shutdown(wait=True)  # lets a running review finish
        store.close()
        log.info("drift daemon stopped")
    return daemon


def _hosted_proxy(config: DriftConfig) -> ProxySettings | None:
    if not config.proxy.enabled:
        return None
    if not any(s.upstream for s in config.services):
        log.warning("proxy.enabled but no service has an upstream; not hosting a proxy")
        return None
    return proxy_settings(config)


def proxy_settings(config: DriftConfig, service_name: str | None = None) -> ProxySettings:
    """Sidecar settings for one service of the config (the first with an upstream by default)."""
    from drift.core.identity import ConsumerIdentifier
    from drift.edges.proxy.run import ProxySettings
    from drift.errors import InputError

    candidates = [s for s in config.services if s.upstream]
    if service_name is not None:
        candidates = [s for s in candidates if s.name == service_name]
    if not candidates:
        raise InputError(
            "no service with an upstream" + (f" named {service_name!r}" if service_name else ""),
            file=str(config.path),
            pointer="/services",
            hint="give the service an `upstream: http://host:port` to put a sidecar in front of it",
        )
    service = candidates[0]

    from drift.edges.proxy.addon import sampling_options

    return ProxySettings(
        contract=str(service.contract),
        listen_host=service.listen_host,
        listen_port=service.listen_port,
        upstream=service.upstream,
        confdir=str(config.proxy.confdir) if config.proxy.confdir else None,
        identifier=ConsumerIdentifier(config.consumers) if config.consumers else None,
        names=config.privacy.policy(),
        stream_large_bodies=str(config.proxy.stream_large_bodies),
        drift={
            "drift_store": config.store,
            "drift_service": service.name or "",
            **sampling_options(config.sampling.policy()),
            "drift_flush_interval": str(config.proxy.flush_interval),
            "drift_metrics": config.proxy.metrics,
            "drift_body_limit": config.proxy.body_limit,
            "drift_queue_max": config.proxy.queue_max,
            "drift_queue_max_bytes": config.proxy.queue_max_bytes,
        },
    )
