"""Path templates compared by shape: `/users/{id}` and `/users/{userId}` are one operation."""

from __future__ import annotations

import re

__all__ = ["param_slots", "template_shape"]

_VARIABLE = re.compile(r"\{[^{}/]*\}")
_NAME = re.compile(r"\{([^{}/]*)\}")


def template_shape(path: str) -> str:
    """The template with every variable blanked: `/users/{}/posts/{}`."""
    return _VARIABLE.sub("{}", path.rstrip("/") or "/")


def param_slots(path: str) -> dict[str, str]:
    """Path variable name -> its position (`#segment.variable`), which survives a rename."""
    slots: dict[str, str] = {}
    for i, segment in enumerate(path.strip("/").split("/")):
        for j, name in enumerate(_NAME.findall(segment)):
            slots.setdefault(name, f"#{i}.{j}")
    return slots
