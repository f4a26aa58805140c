"""HAR 1.2 reader: browser and proxy exports become name-only `Exchange` records; bad entries skipped."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

import orjson

from drift.core.exchange import Body, BodyState, Exchange
from drift.core.privacy import cookie_names
from drift.edges.decode import (
    BodyTooLarge,
    Undecodable,
    decode_if_encoded,
    media_type,
    parse_json_body,
)
from drift.errors import InputError

__all__ = ["DEFAULT_BODY_LIMIT", "HarImport", "iter_har", "read_har"]

DEFAULT_BODY_LIMIT = 8 * 1024 * 1024
_CONSUMER_MAX = 128
_HINT = "export the HAR again from your browser or proxy"
_UTF8_BOM = b"\xef\xbb\xbf"
_BLANK = re.compile(rb"\s*")

Headers = list[tuple[str, Any]]  # (lower-case name, raw value); values never leave this module


@dataclass(slots=True)
class HarImport:
    """Everything read from one HAR file."""

    exchanges: list[Exchange]
    entries: int  # entries in the file
    skipped: int  # malformed entries skipped
    skip_reasons: Counter[str]  # short reason -> count, e.g. "missing request.url"


@dataclass(frozen=True, slots=True)
class _Options:
    consumer_header: str | None  # lower-case
    service: str | None
    body_limit: int


class _Skip(Exception):
    """An entry cannot become an `Exchange`; the message is short and never holds data from the file."""


def read_har(
    path: str | Path,
    *,
    consumer_header: str | None = None,
    service: str | None = None,
    body_limit: int = DEFAULT_BODY_LIMIT,
    on_skip: Callable[[int, str], None] | None = None,
) -> HarImport:
    """Read a whole HAR file into memory as exchanges plus counts of what was skipped and why."""
    reasons: Counter[str] = Counter()

    def count(index: int, reason: str) -> None:
        reasons[reason] += 1
        if on_skip is not None:
            on_skip(index, reason)

    total, exchanges = iter_har(
        path, consumer_header=consumer_header, service=service, body_limit=body_limit, on_skip=count
    )
    found = list(exchanges)
    return HarImport(found, total, reasons.total(), reasons)


def iter_har(
    path: str | Path,
    *,
    consumer_header: str | None = None,
    service: str | None = None,
    body_limit: int = DEFAULT_BODY_LIMIT,
    on_skip: Callable[[int, str], None] | None = None,
) -> tuple[int, Iterator[Exchange]]:
    """Load and check the file now (raising `InputError`); convert its entries lazily."""
    entries = _load_entries(Path(path))
    header = consumer_header.strip().lower() if consumer_header else None
    options = _Options(header or None, service, body_limit)
    return len(entries), _exchanges(entries, options, on_skip)


def _exchanges(
    entries: list[Any], options: _Options, on_skip: Callable[[int, str], None] | None
) -> Iterator[Exchange]:
    for index, entry in enumerate(entries):
        try:
            yield _exchange(entry, options)
        except _Skip as skip:
            if on_skip is not None:
                on_skip(index, str(skip))


def _load_entries(path: Path) -> list[Any]:
    document = _parse(_read(path), path)
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise InputError("not a HAR file: no log.entries array", file=str(path), hint=_HINT)
    return entries


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:  # missing, a directory, no permission…
        reason = exc.strerror or type(exc).__name__
        hint = "check the path and the file's permissions"
        raise InputError(f"cannot read HAR file: {reason}", file=str(path), hint=hint) from None


def _parse(raw: bytes, path: Path) -> Any:
    """orjson for speed; the stdlib only when orjson refuses, to accept what it can or place the error."""
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    if _BLANK.fullmatch(raw):
        raise InputError("file is empty, not a HAR file", file=str(path), hint=_HINT)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:  # lone surrogate escapes or stray bytes in bodies: readable, so read them
        return json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            file=str(path),
            line=exc.lineno,
            hint="the file is damaged or was cut short; " + _HINT,
        ) from None
    except RecursionError:
        raise InputError("not a HAR file: JSON nested too deeply", file=str(path)) from None


def _exchange(entry: Any, options: _Options) -> Exchange:
    if not isinstance(entry, dict):
        raise _Skip("entry is not an object")
    request = _object(entry, "request")
    response = _object(entry, "response")
    method = _text(request, "method", "request.method")
    url = _url(request)
    status = _status(response)
    request_headers = _headers(request)
    response_headers = _headers(response)
    limit = options.body_limit
    return Exchange(
        method=method.strip().upper(),
        path=url.path or "/",
        status=status,
        request=_body(request.get("postData"), request_headers, limit),
        response=_body(response.get("content"), response_headers, limit),
        query=_query_names(request, url),
        request_headers=_header_names(request_headers),
        response_headers=_header_names(response_headers),
        cookies=_cookie_names(request, request_headers),
        consumer=_consumer(request_headers, options.consumer_header),
        service=options.service,
        host=_host(url, request_headers),
        latency_ms=_latency(entry.get("time")),
        timestamp=_timestamp(entry.get("startedDateTime")),
    )


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise _Skip(f"missing {key}")
    return value


def _text(parent: dict[str, Any], key: str, label: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _Skip(f"missing {label}")
    return value


def _url(request: dict[str, Any]) -> SplitResult:
    try:
        return urlsplit(_text(request, "url", "request.url").strip())
    except ValueError:
        raise _Skip("invalid request.url") from None


def _status(response: dict[str, Any]) -> int:
    status = response.get("status")
    if status is None:
        raise _Skip("missing response.status")
    if isinstance(status, bool) or not isinstance(status, int):
        raise _Skip("response.status is not an integer")
    if status == 0:
        raise _Skip("no response (status 0)")
    if not 100 <= status <= 999:
        raise _Skip("response.status out of range")
    return status


def _named(items: Any) -> Iterator[tuple[str, Any]]:
    """(name, value) of the well-formed `{"name": …, "value": …}` items of a HAR list."""
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                yield item["name"], item.get("value")


def _headers(message: dict[str, Any]) -> Headers:
    return [(name.strip().lower(), value) for name, value in _named(message.get("headers"))]


def _header_value(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key == name and isinstance(value, str):
            return value
    return None


def _header_names(headers: Headers) -> tuple[str, ...]:
    """Distinct names in first-seen order, without HTTP/2 pseudo-headers (`:authority`…)."""
    return tuple(dict.fromkeys(name for name, _ in headers if name and not name.startswith(":")))


def _query_names(request: dict[str, Any], url: SplitResult) -> tuple[str, ...]:
    names = [name for name, _ in _named(request.get("queryString"))]
    if not names:
        names = [name for name, _ in parse_qsl(url.query, keep_blank_values=True)]
    return tuple(name for name in names if name)


def _cookie_names(request: dict[str, Any], headers: Headers) -> tuple[str, ...]:
    names = [name.strip() for name, _ in _named(request.get("cookies"))]
    if not names:
        for key, value in headers:
            if key == "cookie" and isinstance(value, str):
                names.extend(cookie_names(value))
    return tuple(name for name in names if name)


def _consumer(headers: Headers, header: str | None) -> str | None:
    if header is None:
        return None
    value = _header_value(headers, header)
    if value is None:
        return None
    return value.strip()[:_CONSUMER_MAX].strip() or None


def _host(url: SplitResult, headers: Headers) -> str | None:
    if url.hostname:
        return url.hostname
    authority = _header_value(headers, ":authority") or _header_value(headers, "host")
    if not authority:
        return None
    try:
        return urlsplit("//" + authority.strip()).hostname
    except ValueError:
        return None


def _latency(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e18:
        return None  # also NaN and numbers too large to be a duration
    return float(value)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _body(part: Any, headers: Headers, limit: int) -> Body:
    """A request `postData` or response `content` as a `Body`."""
    if not isinstance(part, dict):
        return Body(None, BodyState.EMPTY)
    mime = part.get("mimeType")
    essence = media_type(mime if isinstance(mime, str) else None)
    essence = essence or media_type(_header_value(headers, "content-type"))
    try:
        data = _body_bytes(part, _header_value(headers, "content-encoding"), limit)
    except BodyTooLarge as exc:
        return Body(essence, BodyState.TOO_LARGE, size=exc.produced)
    except Undecodable:
        return Body(essence, BodyState.UNDECODABLE)
    if not data and next(_named(part.get("params")), None) is not None:
        return Body(essence, BodyState.NOT_JSON)  # form fields recorded without the raw text
    return parse_json_body(data, essence, limit=limit)


def _body_bytes(part: dict[str, Any], content_encoding: str | None, limit: int) -> bytes:
    text = part.get("text")
    if not isinstance(text, str) or not text:
        return b""
    encoding = part.get("encoding")
    if not (isinstance(encoding, str) and encoding.strip().lower() == "base64"):
        return text.encode("utf-8", "surrogatepass")
    try:
        raw = base64.b64decode(text)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise Undecodable("invalid base64 body") from None
    return decode_if_encoded(raw, content_encoding, limit=limit)
