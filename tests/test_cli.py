"""`drift check` as a user runs it: real files in, report out, exit codes, clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from drift.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "examples" / "orders"
SCHEMA = json.loads((ROOT / "drift" / "schemas" / "report.schema.json").read_text())
ARGS = [
    "check",
    "--contract",
    str(EXAMPLE / "openapi.yaml"),
    "--har",
    str(EXAMPLE / "traffic.har"),
    "--consumer-header",
    "X-Consumer-Id",
]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_example_report_names_planted_drift_and_its_consumers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run([*ARGS, "--format", "json"], capsys)
    report = json.loads(out)
    found = {
        (f["kind"], f["operation"]["method"], f["operation"]["path"], f["pointer"], f["consumer"])
        for f in report["findings"]
    }
    assert {
        ("response.body.undocumented-field", "GET", "/orders/{orderId}", "/discount", None),
        ("request.parameter.undocumented", "GET", "/orders", "/include", "web"),
        ("operation.deprecated-in-use", "GET", "/orders/{orderId}/invoice", "", "billing"),
        ("response.status.undocumented", "GET", "/orders/{orderId}", "", None),
        ("response.body.enum-violation", "GET", "/orders/{orderId}", "/status", None),
        ("operation.undocumented", "GET", "/internal/stats", "", None),
    } <= found
    discount = next(
        f
        for f in report["findings"]
        if f["pointer"] == "/discount" and f["operation"]["path"] == "/orders/{orderId}"
    )
    assert [{"name": "billing", "count": 20}] == discount["evidence"]["consumers"]
    assert 1 == code  # error-severity findings and the default --fail-on error


def test_json_report_validates_against_the_shipped_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run([*ARGS, "--format", "json"], capsys)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert [] == [e.message for e in validator.iter_errors(json.loads(out))]


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)]
)
def test_fail_on_sets_the_exit_status(
    fail_on: str, expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run([*ARGS, "--fail-on", fail_on], capsys)
    assert expected == code


def test_clean_traffic_exits_zero_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    har = json.loads((EXAMPLE / "traffic.har").read_text())
    har["log"]["entries"] = [e for e in har["log"]["entries"] if e["request"]["method"] == "POST"]
    for entry in har["log"]["entries"]:
        body = json.loads(entry["response"]["content"]["text"])
        body.pop("discount")
        entry["response"]["content"]["text"] = json.dumps(body)
    path = tmp_path / "clean.har"
    path.write_text(json.dumps(har))
    code, out, _ = run(
        [
            "check",
            "--contract",
            str(EXAMPLE / "openapi.yaml"),
            "--har",
            str(path),
            "--consumer-header",
            "X-Consumer-Id",
        ],
        capsys,
    )
    assert 0 == code
    assert "No drift found." in out


def test_output_file_is_written_in_the_chosen_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "reports" / "orders.md"
    code, out, err = run(
        [*ARGS, "--format", "markdown", "--output", str(target), "--fail-on", "never"], capsys
    )
    assert (0, "") == (code, out)
    assert target.read_text().startswith("# ")
    assert "report written to" in err


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "No such file or directory"),
        (lambda d: (d / "in.har").write_text("{not json"), "in.har:1: not valid JSON"),
        (lambda d: (d / "in.har").write_text('{"log": {}}'), "no log.entries"),
    ],
)
def test_unreadable_har_is_a_clean_error_with_exit_2(
    setup,
    message,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup(tmp_path)
    code, out, err = run(
        ["check", "--contract", str(EXAMPLE / "openapi.yaml"), "--har", str(tmp_path / "in.har")],
        capsys,
    )
    assert 2 == code
    assert message in err
    assert "Traceback" not in err + out


def test_broken_contract_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text("openapi: 3.0.3\ninfo:\n  title: x\n paths: {}\n")
    code, _, err = run(
        ["check", "--contract", str(spec), "--har", str(EXAMPLE / "traffic.har")], capsys
    )
    assert 2 == code
    assert f"{spec}:4" in err
    assert "Traceback" not in err


def test_contract_that_is_not_openapi_is_rejected_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text("name: not an api\n")
    code, _, err = run(
        ["check", "--contract", str(spec), "--har", str(EXAMPLE / "traffic.har")], capsys
    )
    assert 2 == code
    assert "'openapi'" in err and "hint:" in err


def test_malformed_har_entries_are_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    har = json.loads((EXAMPLE / "traffic.har").read_text())
    har["log"]["entries"] += [
        {"request": {}},
        "nonsense",
        {"request": {"method": "GET", "url": "/x"}},
    ]
    path = tmp_path / "mixed.har"
    path.write_text(json.dumps(har))
    code, out, _ = run(
        [
            "check",
            "--contract",
            str(EXAMPLE / "openapi.yaml"),
            "--har",
            str(path),
            "--format",
            "json",
        ],
        capsys,
    )
    stats = json.loads(out)["stats"]
    assert (123, 120, 3) == (stats["entries"], stats["exchanges"], stats["skipped"])
    assert 1 == code


def test_unknown_option_is_a_usage_error_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", "--contrct", "x"], capsys)
    assert 2 == code
    assert "No such option" in err


def test_help_lists_every_check_option() -> None:
    env = {**os.environ, "COLUMNS": "100"}
    out = subprocess.run(
        [sys.executable, "-m", "drift", "check", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    snapshot = ROOT / "tests" / "snapshots" / "check-help.txt"
    if os.environ.get("DRIFT_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(out)
    assert snapshot.read_text() == out
