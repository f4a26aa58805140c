"""The `drift` command line. Turns `DriftError` into a clean message and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from drift import __version__
from drift.core.compare import Policy
from drift.core.kinds import Severity
from drift.core.render import RENDERERS, render
from drift.edges.logs import configure_logging
from drift.errors import DriftError

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
@click.option(
    "--har",
    "hars",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False),
    help="Recorded traffic (HAR 1.2). Repeat for several files.",
)
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

    ignore = frozenset({consumer_header.lower()}) if consumer_header else frozenset()
    policy = Policy(report_unused=report_unused, ignore_headers=ignore)
    report = run_check(
        contract,
        hars,
        now=datetime.now(UTC),
        policy=policy,
        consumer_header=consumer_header,
        service=service,
        progress=_rich_progress,
    )
    text = render(report, fmt)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"report written to {output}: {report.summary['total']} findings", err=True)
    else:
        click.echo(text, nl=False)
    worst = report.worst()
    failed = fail_on != "never" and worst is not None and worst >= Severity.parse(fail_on)
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


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
