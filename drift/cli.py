"""The `drift` command line. Turns `DriftError` into a clean message and exit code 2."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from drift import __version__
from drift.core.compare import Policy
from drift.core.diff import DIFF_FORMATS, FAIL_ON
from drift.core.kinds import Severity
from drift.core.render import RENDERERS, render
from drift.core.report import Window
from drift.edges.logs import configure_logging
from drift.errors import DriftError

if TYPE_CHECKING:
    from drift.edges.config.model import DriftConfig

__all__ = ["main"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
PROGRESS_MIN_ENTRIES = 200


@contextmanager
def _rich_progress(name: str, total: int) -> Iterator[Callable[[], None]]:
    if total < PROGRESS_MIN_ENTRIES or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(f"reading {name}", total=total)
        yield lambda: bar.advance(task)


def _emit(text: str, output: str | None, written: str) -> None:
    """The result to standard output, or to `output` (bytes as given: CRLF stays CRLF)."""
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_bytes(text.encode("utf-8"))
        click.echo(written, err=True)
    else:
        click.echo(text, nl=False)


def _traffic_options(command: Callable[..., None]) -> Callable[..., None]:
    """--har, --store, --since and --consumer: where observed traffic comes from."""
    options = [
        click.option(
            "--har",
            "hars",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="Recorded traffic (HAR 1.2). Repeat for several files.",
        ),
        click.option(
            "--store",
            "store_url",
            metavar="URL",
            envvar="DRIFT_STORE_URL",
            help="Also read stored observations (sqlite:///drift.db, postgresql://…). "
            "Env: DRIFT_STORE_URL.",
        ),
        click.option(
            "--since",
            metavar="DURATION",
            help="With --store: only the last DURATION (e.g. 24h, 7d, 30m).",
        ),
        click.option(
            "--consumer",
            "consumers",
            multiple=True,
            metavar="NAME",
            help="With --store: only these consumers (repeatable).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drift")
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Logging verbosity (stderr).",
)
def cli(log_level: str) -> None:
    """drift: catch drift between declared API contracts and live traffic."""
    configure_logging(log_level)


@cli.command()
@click.option(
    "--contract",
    "contract",
    required=True,
    type=click.Path(dir_okay=False),
    help="OpenAPI 3.0/3.1 (or Swagger 2.0) document, YAML or JSON.",
)
@_traffic_options
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(sorted(RENDERERS)),
    help="Report format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report here instead of standard output.",
)
@click.option(
    "--fail-on",
    default="error",
    show_default=True,
    type=click.Choice([*(s.label for s in Severity), "never"]),
    help="Exit 1 when a finding is at least this severe ('never': always exit 0).",
)
@click.option(
    "--consumer-header",
    metavar="NAME",
    help="Request header naming the consumer, e.g. X-Consumer-Id.",
)
@click.option("--service", metavar="NAME", help="Service name (default: from the contract title).")
@click.option("--report-unused", is_flag=True, help="Also report declared operations never called.")
def check(
    contract: str,
    hars: tuple[str, ...],
    store_url: str | None,
    since: str | None,
    consumers: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str,
    consumer_header: str | None,
    service: str | None,
    report_unused: bool,
) -> None:
    """Compare a contract with recorded traffic and report the drift.

    Exit status: 0 nothing at or above --fail-on, 1 findings that are, 2 bad input.
    """
    from drift.edges.check import run_check

    if not hars and not store_url:
        raise click.UsageError("give traffic to check: --har FILE and/or --store URL")
    now = datetime.now(UTC)
    window = _since_window(since, now)
    ignore = frozenset({consumer_header.strip().lower()}) if consumer_header else frozenset()
    policy = Policy(report_unused=report_unused, ignore_headers=ignore)
    report = run_check(
        contract,
        hars,
        now=now,
        policy=policy,
        consumer_header=consumer_header,
        service=service,
        progress=_rich_progress,
        store_url=store_url,
        window=window,
        consumers=consumers,
    )
    text = render(report, fmt)
    _emit(text, output, f"report written to {output}: {report.summary['total']} findings")
    worst = report.worst()
    failed = fail_on != "never" and worst is not None and worst >= Severity.parse(fail_on)
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


def _duration_seconds(text: str, option: str = "--since") -> float:
    from drift.edges.config.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _since_window(since: str | None, now: datetime) -> Window | None:
    """`--since 24h`: the window from then to the end of the store."""
    return Window(now - timedelta(seconds=_duration_seconds(since)), None) if since else None


@cli.command()
@click.option(
    "--contract",
    type=click.Path(dir_okay=False),
    help="OpenAPI contract of the service behind the proxy.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Take everything from a drift config instead (the service with an upstream, or --service).",
)
@click.option(
    "--upstream",
    metavar="URL",
    help="The service, e.g. http://127.0.0.1:8000 (reverse and upstream modes).",
)
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    show_default=True,
    metavar="HOST:PORT",
    help="Where the proxy listens (use 0.0.0.0:PORT in a pod).",
)
@click.option(
    "--mode",
    default="reverse",
    show_default=True,
    type=click.Choice(["reverse", "regular", "upstream", "transparent"]),
    help="mitmproxy mode.",
)
@click.option(
    "--store",
    "store_url",
    default="sqlite:///drift.db",
    show_default=True,
    envvar="DRIFT_STORE_URL",
    metavar="URL",
    help="Where observations go. Env: DRIFT_STORE_URL.",
)
@click.option("--service", metavar="NAME", help="Service name (default: from the contract title).")
@click.option("--consumer-header", metavar="NAME", help="Request header naming the consumer.")
@click.option(
    "--identity",
    type=click.Path(dir_okay=False, exists=True),
    help="YAML list of consumer identity rules (header, user_agent, jwt_claim, cidr, mtls_cn).",
)
@click.option(
    "--sample-first",
    default=3,
    show_default=True,
    type=click.IntRange(0),
    help="Always parse the first N bodies of each new stratum.",
)
@click.option(
    "--sample-route-rate",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Then parse at most this many bodies per second per route.",
)
@click.option(
    "--sample-global-rate",
    default=50.0,
    show_default=True,
    type=click.FloatRange(0),
    help="And at most this many per second overall.",
)
@click.option(
    "--sample-new-shapes/--no-sample-new-shapes",
    default=True,
    show_default=True,
    help="Also parse the first body of each new shape (keys and types), whatever the rates.",
)
@click.option("--sample-all", is_flag=True, help="Parse every body (low-traffic services, tests).")
@click.option(
    "--flush-interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between store flushes.",
)
@click.option(
    "--metrics",
    default="127.0.0.1:9464",
    show_default=True,
    metavar="HOST:PORT",
    help="/healthz and /metrics endpoint ('' to disable).",
)
@click.option(
    "--confdir", type=click.Path(file_okay=False), help="mitmproxy state directory (writable)."
)
def proxy(
    contract: str | None,
    config_path: str | None,
    upstream: str | None,
    listen: str,
    mode: str,
    store_url: str,
    service: str | None,
    consumer_header: str | None,
    identity: str | None,
    sample_first: int,
    sample_route_rate: float,
    sample_global_rate: float,
    sample_new_shapes: bool,
    sample_all: bool,
    flush_interval: float,
    metrics: str,
    confdir: str | None,
) -> None:
    """Run the capture sidecar: a mitmproxy that watches traffic and stores observations.

    It never changes or blocks traffic; SIGTERM flushes observations before exit.
    """
    from drift.edges.proxy.run import ProxySettings, run_proxy

    if config_path:
        from drift.edges.daemon.run import proxy_settings

        run_proxy(proxy_settings(_load(config_path), service))
        return
    if not contract:
        raise click.UsageError("give --contract SPEC (with --upstream URL), or --config FILE")

    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise click.BadParameter(f"{listen!r} is not HOST:PORT", param_hint="--listen")
    from drift.core.sampling import SamplingPolicy
    from drift.edges.proxy.addon import identity_rules, sampling_options

    sampling = (
        SamplingPolicy.everything()
        if sample_all
        else SamplingPolicy(
            first_n=sample_first,
            route_rate=sample_route_rate,
            global_rate=sample_global_rate,
            new_shapes=sample_new_shapes,
        )
    )
    settings = ProxySettings(
        contract=contract,
        listen_host=host or "127.0.0.1",
        listen_port=int(port),
        mode=mode,
        upstream=upstream,
        confdir=confdir,
        drift={
            "drift_store": store_url,
            "drift_service": service or "",
            "drift_consumer_header": consumer_header or "",
            "drift_identity": identity or "",
            **sampling_options(sampling),
            "drift_flush_interval": str(flush_interval),
            "drift_metrics": metrics,
        },
    )
    settings.mitmproxy_mode()  # validate everything before starting anything
    settings = replace(settings, identifier=identity_rules(identity or "", consumer_header or ""))
    run_proxy(settings)  # the capture process loads the contract and reports its errors


def _load(path: str) -> DriftConfig:
    from drift.edges.config import load_config

    return load_config(path)


@cli.command("run")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="drift config file (see docs/configuration.md).",
)
@click.option(
    "--for",
    "duration",
    metavar="DURATION",
    help="Stop by itself after DURATION (e.g. 2m); default: until SIGTERM.",
)
def run_command(config_path: str, duration: str | None) -> None:
    """Run the daemon: scheduled reviews, reports, digests and alerts (SIGTERM stops it)."""
    from drift.edges.daemon.notifications import notifier_for
    from drift.edges.daemon.run import run_daemon

    config = _load(config_path)
    seconds = _duration_seconds(duration, "--for") if duration else None
    run_daemon(config, notifier_factory=lambda store: notifier_for(config, store), duration=seconds)


@cli.command("report")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(sorted(RENDERERS)),
    help="Report format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report here instead of standard output.",
)
def report_command(config_path: str, fmt: str, output: str | None) -> None:
    """Report the drift in the store now (read-only: the findings lifecycle is not advanced)."""
    from drift.edges.daemon.daemon import Daemon
    from drift.edges.store import Store

    config = _load(config_path)
    with Store.open(config.store, create=False) as store:
        report, _ = Daemon(config, store).assess(datetime.now(UTC), persist=False)
    text = render(report, fmt)
    _emit(text, output, f"report written to {output}: {report.summary['total']} findings")


@cli.command("baseline")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--by",
    default=lambda: os.environ.get("USER", "drift"),
    show_default="$USER",
    help="Who accepts today's drift.",
)
@click.option("--reason", default="baseline on adoption", show_default=True)
def baseline_command(config_path: str, by: str, reason: str) -> None:
    """Accept today's drift (waive every current finding) so only new drift alerts."""
    from drift.edges.daemon.daemon import Daemon
    from drift.edges.state import baseline
    from drift.edges.store import Store

    config = _load(config_path)
    with Store.open(config.store) as store:
        now = datetime.now(UTC)
        report, _ = Daemon(config, store).assess(now, persist=False)
        added = baseline(store.engine, report.findings, by=by, reason=reason, now=now)
    click.echo(
        f"baseline: {added} finding(s) accepted, {len(report.findings) - added} already waived"
    )


@cli.command("waive")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.argument("finding_id")
@click.option("--reason", required=True, help="Why this drift is accepted (shown in reports).")
@click.option("--by", default=lambda: os.environ.get("USER", "drift"), show_default="$USER")
@click.option("--expires", metavar="DATE", help="YYYY-MM-DD; the finding resurfaces after it.")
@click.option("--remove", is_flag=True, help="Remove the waiver instead.")
def waive_command(
    config_path: str, finding_id: str, reason: str, by: str, expires: str | None, remove: bool
) -> None:
    """Accept one finding (by id) with a reason, who and an optional expiry."""
    from drift.core.waivers import Waiver
    from drift.edges.state import add_waiver, remove_waiver
    from drift.edges.store import Store

    config = _load(config_path)
    store = Store.open(config.store)
    try:
        if remove:
            removed = remove_waiver(store.engine, finding_id)
            click.echo(f"waiver {'removed' if removed else 'not found'}: {finding_id}")
            return
        until = None
        if expires:
            try:
                until = datetime.fromisoformat(expires).replace(tzinfo=UTC)
            except ValueError:
                raise click.BadParameter(
                    f"{expires!r} is not a date like 2027-01-31", param_hint="--expires"
                ) from None
        add_waiver(
            store.engine, Waiver(finding_id, None, reason, by, until, "cli"), now=datetime.now(UTC)
        )
    finally:
        store.close()
    click.echo(f"waived {finding_id}" + (f" until {expires}" if expires else ""))


@cli.command("infer")
@_traffic_options
@click.option(
    "--contract",
    type=click.Path(dir_okay=False),
    help="Route traffic with this contract: its path templates and operation ids are kept.",
)
@click.option(
    "--update",
    metavar="SPEC",
    type=click.Path(dir_okay=False),
    help="Print SPEC with only the undocumented parts added (x-stability: incidental).",
)
@click.option(
    "--service",
    metavar="NAME",
    help="Service name (default: the contract's, or the store's only one).",
)
@click.option(
    "--consumer-header",
    metavar="NAME",
    help="Request header naming the consumer, e.g. X-Consumer-Id (not documented as a parameter).",
)
@click.option("--title", help="info.title of the inferred document.")
@click.option(
    "--required-threshold",
    "threshold",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="A property is required when present in at least this share of objects (1: always).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    help="Output format (default: json for an --output ending in .json, else yaml). "
    "--update keeps SPEC's own format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the document here instead of standard output.",
)
def infer_command(
    hars: tuple[str, ...],
    store_url: str | None,
    since: str | None,
    consumers: tuple[str, ...],
    contract: str | None,
    update: str | None,
    service: str | None,
    consumer_header: str | None,
    title: str | None,
    threshold: float,
    fmt: str | None,
    output: str | None,
) -> None:
    """Infer the actual contract (OpenAPI 3.1) from recorded traffic, with evidence.

    With --update SPEC: SPEC with only what traffic shows but SPEC does not declare added,
    marked x-stability: incidental, every declared line left as it was — review the diff and
    decide what to guarantee.
    """
    from drift.edges.infer import run_infer

    if not hars and not store_url:
        raise click.UsageError("give traffic to infer from: --har FILE and/or --store URL")
    if update and contract and Path(update).resolve() != Path(contract).resolve():
        raise click.UsageError("--update SPEC routes traffic with SPEC: leave out --contract")
    window = _since_window(since, datetime.now(UTC))
    if fmt is None:
        fmt = "json" if output and output.lower().endswith(".json") else "yaml"
    text = run_infer(
        hars=hars,
        store_url=store_url,
        window=window,
        service=service,
        contract_path=contract,
        update=update,
        threshold=threshold,
        consumer_header=consumer_header,
        consumers=consumers,
        title=title,
        fmt=fmt,
    )
    what = "updated contract" if update else "inferred contract"
    _emit(text, output, f"{what} written to {output}")


@cli.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    envvar="DRIFT_STORE_URL",
    help="Observed traffic: list the consumers each change would hit "
    "(sqlite:///drift.db, postgresql://…). Env: DRIFT_STORE_URL.",
)
@click.option(
    "--since", metavar="DURATION", help="With --store: only the last DURATION (e.g. 24h, 7d, 30m)."
)
@click.option(
    "--service",
    metavar="NAME",
    help="Service name in the store (default: from the contract title).",
)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(sorted(DIFF_FORMATS)),
    help="Output format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the result here instead of standard output.",
)
@click.option(
    "--fail-on",
    default="breaking",
    show_default=True,
    type=click.Choice(list(FAIL_ON)),
    help="Exit 1 when a change is at least this severe: breaking; deprecation (or breaking); "
    "any change. 'never': always exit 0.",
)
def diff_command(
    old: str,
    new: str,
    store_url: str | None,
    since: str | None,
    service: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
) -> None:
    """Compare two contract versions: breaking, deprecation and non-breaking changes.

    With --store, every breaking change lists the observed consumers it would hit.
    Exit status: 0 nothing at or above --fail-on, 1 changes that are, 2 bad input.
    """
    from drift.core.diff import exit_code, render_diff
    from drift.edges.diff import run_diff

    if since and not store_url:
        raise click.UsageError("--since needs --store URL")
    seconds = _duration_seconds(since) if since else None
    report = run_diff(old, new, store_url=store_url, since_seconds=seconds, service=service)
    text = render_diff(report, fmt)
    _emit(text, output, f"diff written to {output}: {len(report.changes)} changes")
    sys.exit(EXIT_FINDINGS if exit_code(report, fail_on) else EXIT_CLEAN)


@cli.command("demo")
@click.option(
    "--dir",
    "workdir",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the demo keeps its store, config and reports.",
)
@click.option(
    "--duration",
    default="45s",
    show_default=True,
    metavar="DURATION",
    help="How long the consumers call the API.",
)
@click.option(
    "--review-every",
    default=15,
    show_default=True,
    type=click.IntRange(2),
    help="Seconds between scheduled reviews.",
)
@click.option("--keep-running", is_flag=True, help="Keep everything running after the traffic.")
def demo_command(workdir: str, duration: str, review_every: int, keep_running: bool) -> None:
    """Run drift end to end on this machine: producer, sidecar, consumers, daemon, reports."""
    from drift.demo.run import run_demo

    run_demo(
        Path(workdir).resolve(),
        seconds=_duration_seconds(duration, "--duration"),
        review_every=review_every,
        keep_running=keep_running,
        say=click.echo,
    )


@cli.group("config")
def config_group() -> None:
    """Work with drift's configuration file."""


@config_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def config_check(path: str) -> None:
    """Validate a config file, load its contracts, and look at the environment."""
    from drift.edges.config import check_config

    config, warnings = check_config(path)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{path}: ok, {len(config.services)} service(s), {len(warnings)} warning(s)")


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="drift", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT)
    except DriftError as exc:
        click.echo(f"drift: error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as exc:
        click.echo(f"drift: error: {exc.strerror or exc}: {exc.filename or ''}", err=True)
        sys.exit(EXIT_BAD_INPUT)
