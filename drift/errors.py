"""The one root exception of drift and its few subclasses.

Each keeps its data in attributes so callers (the CLI, the daemon) can render a clean message
without parsing strings.
"""

from __future__ import annotations

__all__ = ["ContractError", "DriftError", "InputError"]


class DriftError(Exception):
    """Root of every error drift raises on purpose; the CLI turns it into exit code 2."""


class InputError(DriftError):
    """A file given to drift cannot be used: names the file, where in it, and how to fix it."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        pointer: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.pointer = pointer
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer is not None:
            where += f" at {self.pointer!r}" if where else f"at {self.pointer!r}"
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ContractError(InputError):
    """The contract document is unusable (not OpenAPI, unreadable, broken $ref at the root…)."""
