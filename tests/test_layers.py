"""The pure core stays pure: no I/O libraries, no clock, no files (ARCHITECTURE.md, "Layers")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "drift" / "core"
FORBIDDEN_MODULES = {
    "sqlalchemy",
    "mitmproxy",
    "slack_sdk",
    "apscheduler",
    "socket",
    "urllib.request",
    "http",
    "requests",
    "httpx",
    "subprocess",
    "logging",
    "time",
    "os",
    "pathlib",
    "drift.edges",
}
FORBIDDEN_CALLS = {"open", "print", "input"}
FORBIDDEN_ATTRS = {
    "now",
    "utcnow",
    "today",
    "time",
    "monotonic",
    "perf_counter",
    "read_text",
    "write_text",
    "read_bytes",
}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            if any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES):
                found.append(f"{path.name}:{node.lineno} imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{path.name}:{node.lineno} calls {func.id}()")
            if isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_ATTRS:
                found.append(f"{path.name}:{node.lineno} calls .{func.attr}()")
    return found


CORE_FILES = sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_does_no_io_and_reads_no_clock(path: Path) -> None:
    assert [] == _violations(path)


def test_layer_check_catches_a_clock_read(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import datetime\nx = datetime.datetime.now()\nimport sqlalchemy\n")
    assert ["bad.py:2 calls .now()", "bad.py:3 imports sqlalchemy"] == sorted(_violations(bad))


def test_the_proxy_process_imports_no_store_parser_or_inference_code() -> None:
    """Those belong to the capture process; in the proxy they only cost memory (~30 MB)."""
    import subprocess
    import sys

    heavy = ("sqlalchemy", "alembic", "genson", "jsonschema", "referencing", "psycopg", "yaml")
    heavy += ("drift.edges.store", "drift.core.observe", "drift.edges.decode")
    probe = (
        "import sys, drift.edges.proxy.run, drift.edges.proxy.addon\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (0, "") == (done.returncode, done.stdout.strip()), done.stderr
