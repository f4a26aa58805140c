"""Reading YAML/JSON documents from disk with errors that name file, line and column.

YAML is read with the YAML 1.2 core scalars (only true/false are booleans, dates stay strings),
so `on`, `no` or `2024-01-01` in an enum are not silently turned into other types.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import yaml

from drift.core.pointer import split
from drift.errors import InputError

__all__ = ["lines_of", "read_document"]

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader with YAML 1.2-style implicit types."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from None


def _parse_json(data: bytes, path: Path) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:  # the stdlib accepts what orjson refuses (e.g. surrogate pairs) and gives line/column
        return json.loads(data.decode("utf-8", errors="surrogatepass"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})",
            file=str(path),
            line=exc.lineno,
            hint="fix the syntax; a JSON linter shows the spot",
        ) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None


def _parse_yaml(data: bytes, path: Path) -> Any:
    try:
        return yaml.load(data, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        column = f" (column {mark.column + 1})" if mark is not None else ""
        raise InputError(
            f"invalid YAML: {problem}{column}",
            file=str(path),
            line=line,
            hint="check indentation and quoting around that line",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=str(path)) from None


def read_document(path: Path) -> Any:
    """Parse a JSON or YAML file (by content: JSON first when it looks like JSON)."""
    data = _read_bytes(path)
    stripped = data.lstrip()
    if path.suffix.lower() == ".json" or stripped[:1] in (b"{", b"["):
        return _parse_json(data, path)
    return _parse_yaml(data, path)


def _line(root: yaml.Node, pointer: str) -> int | None:
    node, line = root, None
    for segment in split(pointer):
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if str(k.value) == segment), None)
        elif (
            isinstance(node, yaml.SequenceNode)
            and segment.isdigit()
            and int(segment) < len(node.value)
        ):
            match = node.value[int(segment)]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def lines_of(path: Path, pointers: list[str]) -> dict[str, int]:
    """1-based line of each pointer's node in a YAML or JSON file (best effort, error path only)."""
    if not pointers:
        return {}
    try:
        root = yaml.compose(path.read_bytes(), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return {}
    if root is None:
        return {}
    found = {p: _line(root, p) for p in pointers}
    return {p: line for p, line in found.items() if line is not None}
