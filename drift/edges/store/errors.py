"""`StoreError`: the store cannot be used; names the URL (password hidden) and what to do."""

from __future__ import annotations

from drift.errors import DriftError

__all__ = ["StoreError"]


class StoreError(DriftError):
    """The observation store failed: bad URL, unreachable database, unwritable file, schema skew."""

    def __init__(self, message: str, *, url: str, hint: str | None = None) -> None:
        self.message = message
        self.url = url  # already safe to show: password replaced by ***
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"store {self.url}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
