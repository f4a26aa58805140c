"""Config problems: each names its JSON pointer and line; `ConfigError` carries all of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from drift.core.pointer import join, split
from drift.errors import InputError

__all__ = ["ConfigError", "Issue", "duplicate_keys", "locate"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem (or warning) in the config; `pointer` None for the environment."""

    pointer: str | None
    message: str
    hint: str | None = None
    line: int | None = None

    def sort_key(self) -> tuple[int, str]:
        return (self.line if self.line is not None else 1 << 30, self.pointer or "")

    def where(self, file: str | None = None) -> str:
        """`file:line at '/pointer'`, or the parts of it that are known."""
        parts = []
        if file:
            parts.append(file + (f":{self.line}" if self.line is not None else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.pointer is not None:
            parts.append(f"at {self.pointer or '/'!r}")
        return " ".join(parts)

    def describe(self, file: str | None = None) -> str:
        where = self.where(file)
        text = f"{where}: {self.message}" if where else self.message
        return text + (f"\n  hint: {self.hint}" if self.hint else "")


class ConfigError(InputError):
    """The config file is unusable; `issues` lists every problem found, by line."""

    def __init__(self, file: str, issues: Sequence[Issue]) -> None:
        if not issues:
            raise ValueError("a ConfigError needs at least one issue")
        self.issues = tuple(sorted(issues, key=Issue.sort_key))
        first = self.issues[0]
        super().__init__(
            first.message, file=file, line=first.line, pointer=first.pointer, hint=first.hint
        )

    def describe(self) -> str:
        if len(self.issues) == 1:
            return self.issues[0].describe(self.file)
        lines = [f"{self.file}: {len(self.issues)} problems"]
        for issue in self.issues:
            text = "  " + issue.describe()
            lines.append(text.replace("\n  hint:", "\n      hint:"))
        return "\n".join(lines)


def _compose(path: Path) -> yaml.Node | None:
    try:
        node: yaml.Node | None = yaml.compose(path.read_bytes(), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return None
    return node


def _line(root: yaml.Node, pointer: str) -> int | None:
    """Line of the key (or list item) a pointer ends at, or of the deepest node on its way."""
    node, line = root, None
    for segment in split(pointer):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if str(k.value) == segment), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and segment.isdigit():
            if int(segment) >= len(node.value):
                break
            node = node.value[int(segment)]
            line = node.start_mark.line + 1
        else:
            break
    return line if line is not None else root.start_mark.line + 1


def locate(path: Path, issues: Iterable[Issue]) -> list[Issue]:
    """The issues with the line of their key filled in (best effort).

    Unlike `documents.lines_of`, which gives a value's first line, this gives the key's line:
    for `shedule:` followed by an indented block, the line that says `shedule:`.
    """
    issues = list(issues)
    root = _compose(path) if any(i.line is None and i.pointer for i in issues) else None
    if root is None:
        return issues
    return [
        replace(i, line=_line(root, i.pointer)) if i.line is None and i.pointer else i
        for i in issues
    ]


def duplicate_keys(path: Path) -> list[Issue]:
    """Keys written twice in one mapping (YAML keeps the last silently)."""
    root = _compose(path)
    found: list[Issue] = []
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, at = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name, line = str(key.value), key.start_mark.line + 1
                if name in seen:
                    found.append(
                        Issue(
                            join(at, name),
                            f"key {name!r} appears twice (first on line {seen[name]})",
                            hint="YAML keeps only the last one; merge the two",
                            line=line,
                        )
                    )
                seen.setdefault(name, line)
                stack.append((value, join(at, name)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, join(at, i)) for i, item in enumerate(node.value))
    return found
