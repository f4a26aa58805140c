"""`check_config`: `load_config`, then what only the outside world can tell — the contracts, the
environment, the clock — as errors (unusable contracts) and warnings (everything else)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from drift.core.contract.model import Contract
from drift.core.pointer import join
from drift.core.render import RENDERERS
from drift.edges.config.issues import ConfigError, Issue, locate
from drift.edges.config.load import load_config
from drift.edges.config.model import DriftConfig
from drift.edges.contracts import load_contract
from drift.errors import InputError

__all__ = ["check_config"]

MAX_PROBLEMS = 5  # contract problems listed per service


def _close(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean {close[0]!r}?" if close else None


class _Checker:
    def __init__(self, config: DriftConfig, env: Mapping[str, str], now: datetime) -> None:
        self.config, self.env, self.now = config, env, now
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.contracts: dict[int, Contract] = {}
        self.names: list[str] = []  # service names known: given, or from a loaded contract

    def warn(self, pointer: str | None, message: str, hint: str | None = None) -> None:
        self.warnings.append(Issue(pointer, message, hint))

    def run(self) -> None:
        self.contracts_load()
        self.service_names()
        self.owners()
        self.secrets()
        self.channels()
        self.reports()
        self.waivers()
        window, keep = self.config.schedule.window, self.config.retention.observations
        if window > keep:
            self.warn(
                "/schedule/window",
                "the review window is longer than observations are kept (retention.observations)",
                "keep observations at least as long as the window",
            )

    def contracts_load(self) -> None:
        for i, service in enumerate(self.config.services):
            at = join("/services", i, "contract")
            if not service.contract.exists():
                self.warn(
                    at,
                    f"contract file {str(service.contract)!r} does not exist",
                    "relative paths start at the config file's directory",
                )
                continue
            try:
                contract = load_contract(service.contract, service=service.name)
            except InputError as exc:
                inner = Issue(exc.pointer, exc.message, exc.hint, exc.line)
                self.errors.append(
                    Issue(
                        at, f"unusable contract: {inner.where(exc.file)}: {exc.message}", exc.hint
                    )
                )
                continue
            self.contracts[i] = contract
            for problem in contract.problems[:MAX_PROBLEMS]:
                self.warn(at, f"contract problem: {problem.describe()}")
            if len(contract.problems) > MAX_PROBLEMS:
                more = len(contract.problems) - MAX_PROBLEMS
                self.warn(at, f"{more} more contract problems (drift check lists them all)")
            owner = contract.guarantees.owner
            if service.owner and owner and service.owner != owner:
                self.warn(
                    join("/services", i, "owner"),
                    f"the contract's x-owner {owner!r} wins over {service.owner!r} "
                    "(owner only applies where the contract names none)",
                )
            elif not service.owner and not owner:
                self.warn(
                    join("/services", i),
                    f"service {contract.service!r} has no owner: its findings go to no team",
                    "set `owner`, or x-owner in the contract",
                )

    def service_names(self) -> None:
        seen: dict[str, int] = {}
        for i, service in enumerate(self.config.services):
            contract = self.contracts.get(i)
            name = service.name or (contract.service if contract else None)
            if name is None:
                continue
            if name in seen and service.name is None:
                self.errors.append(
                    Issue(
                        join("/services", i),
                        f"service name {name!r} (from the contract's title) is already used "
                        f"by services[{seen[name]}]",
                        "set `name` to tell the services apart",
                    )
                )
            seen.setdefault(name, i)
        self.names = list(seen)

    def owners(self) -> None:
        declared: set[str] = set()
        for contract in self.contracts.values():
            for g in (contract.guarantees, *(op.guarantees for op in contract.operations)):
                declared.update(g.consumers or ())
        if not declared:
            return
        for name in self.config.owners:
            if name not in declared:
                self.warn(
                    join("/owners", name),
                    f"{name!r} is not a consumer any contract declares in x-consumers",
                    _close(name, sorted(declared)) or f"declared: {', '.join(sorted(declared))}",
                )

    def secrets(self) -> None:
        slack = self.config.notify.slack
        if slack is not None:
            token = slack.token(self.env)
            if token is None:
                self.warn(
                    "/notify/slack/token_env",
                    f"environment variable {slack.token_env} is not set: no Slack alerts",
                    f"export {slack.token_env}=xoxb-… where drift run starts",
                )
            elif not token.startswith("xox"):
                self.warn(
                    "/notify/slack/token_env",
                    f"{slack.token_env} does not hold a Slack bot token (xoxb-…)",
                )
        for i, hook in enumerate(self.config.notify.webhooks):
            at = join("/notify/webhooks", i, "url_env")
            url = hook.url(self.env)
            if url is None:
                self.warn(at, f"environment variable {hook.url_env} is not set: no {hook.name!r}")
            elif not url.startswith(("https://", "http://")):
                self.warn(at, f"{hook.url_env} does not hold an http(s) URL")

    def channels(self) -> None:
        if self.config.notify.slack is not None:
            return
        hint = "add notify.slack with a token_env and a default channel"
        for i, service in enumerate(self.config.services):
            if service.slack_channel:
                at = join("/services", i, "slack_channel")
                self.warn(at, "no alerts go to this channel: notify.slack is not set", hint)
        for name, owner in self.config.owners.items():
            if owner.slack_channel:
                at = join("/owners", name, "slack_channel")
                self.warn(at, "no alerts go to this channel: notify.slack is not set", hint)

    def reports(self) -> None:
        for i, fmt in enumerate(self.config.reports.formats):
            if fmt not in RENDERERS:
                self.warn(
                    join("/reports/formats", i),
                    f"this drift cannot write {fmt!r} reports yet; it skips them",
                    f"formats available: {', '.join(sorted(RENDERERS))}",
                )

    def waivers(self) -> None:
        names = self.names
        ids: dict[str, int] = {}
        for i, waiver in enumerate(self.config.waivers):
            at = join("/waivers", i)
            if waiver.expires is not None and not waiver.active(self.now):
                self.warn(
                    join(at, "expires"),
                    f"this waiver expired at {waiver.expires:%Y-%m-%d %H:%M} UTC",
                    "its findings alert again: remove the waiver or extend `expires`",
                )
            if waiver.finding is not None:
                if waiver.finding in ids:
                    self.warn(join(at, "finding"), f"also waived by waivers[{ids[waiver.finding]}]")
                ids.setdefault(waiver.finding, i)
            service = waiver.match.service if waiver.match else None
            if service is not None and names and service not in names:
                self.warn(
                    join(at, "match", "service"),
                    f"no service is named {service!r}: this waiver matches nothing",
                    _close(service, names) or f"services: {', '.join(names)}",
                )


def check_config(
    path: str | Path, *, env: Mapping[str, str] = os.environ, now: datetime | None = None
) -> tuple[DriftConfig, list[str]]:
    """`load_config` plus the contracts, the environment and expiries.

    Raises `InputError` for a bad file and `ConfigError` for unusable contracts; returns the
    config and warnings (`file:line at '/pointer': message`, with a hint line when there is one).
    """
    config = load_config(path, env=env)
    checker = _Checker(config, env, now or datetime.now(UTC))
    checker.run()
    file = Path(path)
    if checker.errors:
        raise ConfigError(str(path), locate(file, checker.errors))
    warnings = sorted(locate(file, checker.warnings), key=Issue.sort_key)
    return config, [w.describe(str(path)) for w in warnings]
