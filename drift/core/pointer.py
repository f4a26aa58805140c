"""RFC 6901 JSON Pointer helpers (escaping only: drift builds pointers, rarely parses them)."""

from __future__ import annotations

__all__ = ["escape", "join", "split"]


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def join(pointer: str, *segments: object) -> str:
    return pointer + "".join("/" + escape(str(s)) for s in segments)


def split(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer.lstrip("/").split("/")]
