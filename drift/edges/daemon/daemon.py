"""The daemon's jobs: review (compare → lifecycle → reports → notifications), digest, retention."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from drift.core.compare import compare
from drift.core.contract.model import Contract
from drift.core.findings import Finding
from drift.core.lifecycle import Event, review
from drift.core.opstats import operation_stats
from drift.core.regroup import regroup_undeclared
from drift.core.report import Report, Window, build_report
from drift.edges.config.model import DriftConfig, ServiceConfig
from drift.edges.contracts import load_contract
from drift.edges.daemon.reports import prune_reports, write_reports
from drift.edges.daemon.scheduler import JobSpec
from drift.edges.state import list_waivers, load_tracked, save_review
from drift.edges.store import Store

__all__ = ["Daemon", "Notifier", "Service"]

log = logging.getLogger(__name__)


class Notifier(Protocol):
    def review_events(
        self, events: Sequence[Event], report: Report, report_paths: Sequence[Path], now: datetime
    ) -> int: ...

    def digest(
        self, findings: Sequence[Finding], report_paths: Sequence[Path], now: datetime
    ) -> int: ...

    def send_due(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Service:
    config: ServiceConfig
    contract: Contract

    @property
    def name(self) -> str:
        return self.contract.service


class Daemon:
    def __init__(
        self,
        config: DriftConfig,
        store: Store,
        *,
        notifier: Notifier | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.services = [
            Service(svc, load_contract(svc.contract, service=svc.name)) for svc in config.services
        ]
        self.policy = config.compare_policy()
        self.last_report: list[Path] = []

    # -- jobs --------------------------------------------------------------------------------

    def jobs(self) -> list[JobSpec]:
        s = self.config.schedule

        def spec(
            name: str, trigger: Any, run: Callable[[datetime], dict[str, Any]], start: bool
        ) -> JobSpec:
            every = timedelta(seconds=trigger.every) if trigger.every else None
            return JobSpec(name, run, every=every, cron=trigger.cron, run_at_start=start)

        return [
            spec("review", s.review, self.review, True),
            spec("digest", s.digest, self.digest, False),
            spec("retention", s.retention, self.retention, False),
        ]

    def assess(self, now: datetime, *, persist: bool) -> tuple[Report, list[Event]]:
        """Compare every service with its recent traffic; with `persist`, advance the lifecycle."""
        window = timedelta(seconds=self.config.schedule.window)
        events: list[Event] = []
        findings: list[Finding] = []
        operations: list[dict[str, Any]] = []
        waived = 0
        waivers = [w.to_waiver() for w in self.config.waivers] + list_waivers(self.store.engine)
        for service in self.services:
            observations = regroup_undeclared(
                self.store.load(start=now - window, services=[service.name])
            )
            current = [
                self._owned(f, service)
                for f in compare(service.contract, observations, self.policy, now)
            ]
            previous = load_tracked(self.store.engine, service.name)
            result = review(
                previous, current, waivers, now, resolve_after=self.config.lifecycle.resolve_after
            )
            if persist:
                save_review(self.store.engine, service.name, result)
                events.extend(result.events)
            for finding in current:
                tracked = result.tracked[finding.id]
                if tracked.waived:
                    waived += 1
                    continue
                findings.append(replace(finding, extra={**finding.extra, "state": tracked.state}))
            operations.extend(operation_stats(service.contract, observations))
        report = build_report(
            findings,
            generated_at=now,
            window=Window(now - window, now),
            sources={
                "config": str(self.config.path),
                "store": self.store.url_for_display,
                "services": [s.name for s in self.services],
                "contracts": {s.name: str(s.config.contract) for s in self.services},
            },
            stats={"operations_seen": len(operations), "waived": waived, "operations": operations},
            warnings=[p.describe() for s in self.services for p in s.contract.problems],
        )
        return report, events

    def review(self, period: datetime | None = None) -> dict[str, Any]:
        """The scheduled review: assess, persist the lifecycle, write reports, notify."""
        now = self.clock()
        report, events = self.assess(now, persist=True)
        paths = write_reports(report, self.config.reports.directory, self.config.reports.formats)
        self.last_report = paths
        queued = 0
        if self.notifier is not None:
            queued = self.notifier.review_events(events, report, paths, now)
            self.notifier.send_due()
        kinds = [e.kind for e in events]
        return {
            "findings": len(report.findings),
            "waived": report.stats["waived"],
            "new": kinds.count("new"),
            "regressed": kinds.count("regressed"),
            "resolved": kinds.count("resolved"),
            "notifications": queued,
            "report": str(paths[0]) if paths else None,
        }

    def digest(self, period: datetime | None = None) -> dict[str, Any]:
        """Everything still open, to each owner's channel, once per digest period."""
        if self.notifier is None:
            return {"notifications": 0}
        now = self.clock()
        open_findings = []
        for service in self.services:
            for tracked in load_tracked(self.store.engine, service.name).values():
                if tracked.state != "resolved" and not tracked.waived:
                    open_findings.append(tracked.finding)
        queued = self.notifier.digest(open_findings, self.last_report, now)
        self.notifier.send_due()
        return {"open": len(open_findings), "notifications": queued}

    def retention(self, period: datetime | None = None) -> dict[str, Any]:
        now = self.clock()
        removed = self.store.prune(now - timedelta(seconds=self.config.retention.observations))
        reports = 0
        if self.config.reports.keep is not None:
            reports = prune_reports(
                self.config.reports.directory,
                keep=timedelta(seconds=self.config.reports.keep),
                now=now,
            )
        return {"observation_rows_removed": removed, "reports_removed": reports}

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _owned(finding: Finding, service: Service) -> Finding:
        if finding.owner is None and service.config.owner:
            return replace(finding, owner=service.config.owner)
        return finding
