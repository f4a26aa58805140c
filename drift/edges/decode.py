"""Bounded body decoding: undo Content-Encoding and parse JSON, never holding much over a limit."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

import brotli
import orjson
import zstandard

from drift.core.exchange import Body, BodyState

__all__ = [
    "BodyTooLarge",
    "Undecodable",
    "body_from_wire",
    "content_codings",
    "decode_content",
    "decode_if_encoded",
    "is_json_media_type",
    "media_type",
    "parse_json_body",
]

# Brotli 1.1.0's `Decompressor.process` has no output bound, so input is fed in tiny slices: one
# slice can finish at most a couple of meta-blocks (each at most 16 MiB of output).
_BROTLI_SLICE = 16
# A zstd block holds at most 128 KiB and costs at least 4 input bytes, so output per input byte is
# at most 32 KiB: slices sized from the remaining budget overshoot it by well under 1 MiB.
_ZSTD_MAX_OUT_PER_BYTE = 32 * 1024
_ZSTD_SLICE_MIN = 16
_ZSTD_SLICE_MAX = 64 * 1024
# RFC 9659: zstd as a content coding uses windows of at most 8 MiB.
_ZSTD_WINDOW = 8 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")


class BodyTooLarge(Exception):
    """Decoding stopped because the output passed `limit` bytes; `produced` is a lower bound."""

    def __init__(self, limit: int, produced: int) -> None:
        self.limit = limit
        self.produced = produced
        super().__init__(f"decoded body is larger than {limit} bytes")


class Undecodable(Exception):
    """The Content-Encoding is unknown, or the data is corrupt or cut short."""


class _Sink:
    """Collects decoded output; raises `BodyTooLarge` before keeping anything past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer = bytearray()

    @property
    def room(self) -> int:
        """Bytes that may still arrive, plus one so that passing the limit is noticed."""
        return self.limit + 1 - len(self.buffer)

    def add(self, chunk: bytes) -> None:
        total = len(self.buffer) + len(chunk)
        if total > self.limit:
            raise BodyTooLarge(self.limit, total)
        self.buffer += chunk


def decode_content(data: bytes, encoding: str | None, *, limit: int) -> bytes:
    """Undo a `Content-Encoding` chain (last applied, first undone); never return over `limit` bytes."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    for coding in reversed(content_codings(encoding)):
        if not data:
            break
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise Undecodable("unknown content-encoding")
        data = decoder(data, limit)
    if len(data) > limit:
        raise BodyTooLarge(limit, len(data))
    return data


def decode_if_encoded(data: bytes, encoding: str | None, *, limit: int) -> bytes:
    """Undo `encoding` only where `data` still looks encoded; return it as it is if that fails.

    For bodies a capture tool stored: most store them decoded, some keep the compressed bytes.
    """
    codings = content_codings(encoding)
    outer = codings[-1] if codings else ""
    if outer in ("gzip", "x-gzip"):
        looks_encoded = data.startswith(_GZIP_MAGIC)
    elif outer == "zstd":
        looks_encoded = data.startswith(_ZSTD_MAGIC)
    else:
        looks_encoded = outer in ("br", "deflate")  # no magic number: just try
    if not looks_encoded:
        return data
    try:
        return decode_content(data, encoding, limit=limit)
    except Undecodable:
        return data


def content_codings(encoding: str | None) -> list[str]:
    """The codings of a `Content-Encoding` value in the order applied, lower-case, without identity."""
    tokens = (token.strip().lower() for token in (encoding or "").split(","))
    return [token for token in tokens if token and token != "identity"]


def _inflate(data: bytes, wbits: int, sink: _Sink) -> bytes:
    """Inflate one zlib/gzip/raw stream into `sink`; return the bytes after its end."""
    inflater = zlib.decompressobj(wbits)
    pending = data
    try:
        while not inflater.eof:
            before = len(pending)
            out = inflater.decompress(pending, sink.room)
            sink.add(out)
            pending = inflater.unconsumed_tail
            if not out and len(pending) == before:
                raise Undecodable("compressed stream is cut short")
    except zlib.error as exc:
        raise Undecodable(f"corrupt compressed stream: {exc}") from exc
    return inflater.unused_data


def _gunzip(data: bytes, limit: int) -> bytes:
    sink = _Sink(limit)
    rest = data
    while rest:  # a gzip body may hold several members back to back
        rest = _inflate(rest, 16 + zlib.MAX_WBITS, sink)
    return bytes(sink.buffer)


def _looks_zlib_wrapped(data: bytes) -> bool:
    return (
        len(data) >= 2
        and data[0] & 0x0F == 8
        and data[0] >> 4 <= 7
        and (data[0] << 8 | data[1]) % 31 == 0
    )


def _deflate(data: bytes, limit: int) -> bytes:
    """HTTP `deflate` is meant to be zlib-wrapped, but some servers send raw deflate: accept both."""
    if _looks_zlib_wrapped(data):
        try:
            return _inflate_whole(data, zlib.MAX_WBITS, limit)
        except Undecodable:
            pass
    return _inflate_whole(data, -zlib.MAX_WBITS, limit)


def _inflate_whole(data: bytes, wbits: int, limit: int) -> bytes:
    sink = _Sink(limit)
    if _inflate(data, wbits, sink):
        raise Undecodable("data after the end of the deflate stream")
    return bytes(sink.buffer)


def _unbrotli(data: bytes, limit: int) -> bytes:
    sink = _Sink(limit)
    decompressor = brotli.Decompressor()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _BROTLI_SLICE):
            sink.add(decompressor.process(view[start : start + _BROTLI_SLICE]))
    except brotli.error as exc:
        raise Undecodable("corrupt brotli stream") from exc
    if not decompressor.is_finished():
        raise Undecodable("brotli stream is cut short")
    return bytes(sink.buffer)


def _unzstd(data: bytes, limit: int) -> bytes:
    sink = _Sink(limit)
    try:
        declared = zstandard.frame_content_size(data)
        if declared > limit:
            raise BodyTooLarge(limit, declared)
        context = zstandard.ZstdDecompressor(max_window_size=max(_ZSTD_WINDOW, limit))
        position = 0
        while position < len(data):  # a zstd body may hold several frames back to back
            position = _zstd_frame(context, data, position, sink)
    except zstandard.ZstdError as exc:
        raise Undecodable(f"corrupt zstd stream: {exc}") from exc
    return bytes(sink.buffer)


def _zstd_frame(
    context: zstandard.ZstdDecompressor, data: bytes, position: int, sink: _Sink
) -> int:
    """Decode the frame starting at `position` in budget-sized slices; return where the next starts."""
    frame = context.decompressobj()
    while not frame.eof:
        if position >= len(data):
            raise Undecodable("zstd stream is cut short")
        size = min(max(sink.room // _ZSTD_MAX_OUT_PER_BYTE, _ZSTD_SLICE_MIN), _ZSTD_SLICE_MAX)
        piece = data[position : position + size]
        sink.add(frame.decompress(piece))
        position += len(piece)
    return position - len(frame.unused_data)


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _deflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}


def media_type(content_type: str | None) -> str | None:
    """`type/subtype` in lower case without parameters; None when empty or not of that form."""
    if not content_type:
        return None
    essence = content_type.split(";", 1)[0].strip().lower()
    kind, slash, subtype = essence.partition("/")
    if not (slash and kind and subtype):
        return None
    return essence


_essence = media_type  # `parse_json_body` has a parameter of the same name


def is_json_media_type(mt: str | None) -> bool:
    """True for one JSON document: `application/json`, `text/json` and any `*/*+json`."""
    essence = media_type(mt)
    if essence is None:
        return False
    if essence in ("application/json", "text/json"):
        return True
    subtype = essence.partition("/")[2]
    return subtype.endswith("+json") and len(subtype) > len("+json")


def parse_json_body(data: bytes, media_type: str | None, *, limit: int) -> Body:
    """Classify already content-decoded bytes and parse them when they are (or look like) JSON."""
    essence = _essence(media_type)
    size = len(data)
    if size == 0:
        return Body(essence, BodyState.EMPTY)
    if size > limit:
        return Body(essence, BodyState.TOO_LARGE, size=size)
    if is_json_media_type(essence):
        parsed = _loads(data)
        if parsed is None:
            return Body(essence, BodyState.INVALID, size=size)
        return Body(essence, BodyState.JSON, parsed[0], size)
    if essence is None and _JSON_START.match(data):
        parsed = _loads(data)
        if parsed is not None:
            return Body(essence, BodyState.JSON, parsed[0], size)
    return Body(essence, BodyState.NOT_JSON, size=size)


def _loads(data: bytes) -> tuple[object] | None:
    """The parsed value in a 1-tuple (JSON `null` is a value too), or None when not valid JSON."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        return (orjson.loads(data),)
    except orjson.JSONDecodeError:
        return None


def body_from_wire(
    raw: bytes | None, content_type: str | None, content_encoding: str | None, *, limit: int
) -> Body:
    """A message body as received on the wire (still content-encoded) → `Body`, bounded."""
    essence = media_type(content_type)
    if raw is None:
        return Body(essence, BodyState.TOO_LARGE)  # streamed past the proxy, never buffered
    if not raw:
        return Body(essence, BodyState.EMPTY)
    try:
        data = decode_content(raw, content_encoding, limit=limit)
    except BodyTooLarge as exc:
        return Body(essence, BodyState.TOO_LARGE, size=exc.produced)
    except Undecodable:
        return Body(essence, BodyState.UNDECODABLE, size=len(raw))
    return parse_json_body(data, essence, limit=limit)
