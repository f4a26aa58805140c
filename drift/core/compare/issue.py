"""`Issue`: one rule's raw result for one group of observations, before it becomes a Finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Issue"]


@dataclass(slots=True)
class Issue:
    kind: str
    location: str
    pointer: str
    count: int
    total: int
    declared: Any = None
    observed: Any = None
    subject: str = ""  # the parameter / media type / status the issue is about, for messages

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.location, self.pointer, self.subject)
