"""Tests for bounded Content-Encoding decoding and JSON body classification."""

from __future__ import annotations

import gzip
import io
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable

import brotli
import pytest
import zstandard

from drift.core.exchange import Body, BodyState
from drift.edges.decode import (
    BodyTooLarge,
    Undecodable,
    content_codings,
    decode_content,
    decode_if_encoded,
    is_json_media_type,
    media_type,
    parse_json_body,
)

DOC = b'{"pets": [{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}]}' * 20
MiB = 1024 * 1024


def zlib_wrapped(data: bytes) -> bytes:
    return zlib.compress(data)


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib_wrapped,
    "br": brotli.compress,
    "zstd": zstd,
}


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_each_encoding_is_undone(encoding: str) -> None:
    assert DOC == decode_content(ENCODERS[encoding](DOC), encoding, limit=MiB)


def test_raw_deflate_without_zlib_wrapper_is_undone() -> None:
    assert DOC == decode_content(raw_deflate(DOC), "deflate", limit=MiB)


@pytest.mark.parametrize("encoding", [None, "", "identity", " Identity "])
def test_no_encoding_returns_data_unchanged(encoding: str | None) -> None:
    assert DOC == decode_content(DOC, encoding, limit=MiB)


def test_chain_is_undone_in_reverse_order() -> None:
    data = brotli.compress(gzip.compress(DOC))  # "gzip, br": gzip applied first

    assert DOC == decode_content(data, "gzip, br", limit=MiB)


def test_coding_names_are_case_insensitive_and_identity_is_ignored() -> None:
    assert ["gzip", "br"] == content_codings(" GZIP , identity,, Br ")
    assert DOC == decode_content(zstd(gzip.compress(DOC)), "x-GZIP, identity, ZSTD", limit=MiB)


def test_gzip_members_back_to_back_are_all_decoded() -> None:
    assert b"firstsecond" == decode_content(
        gzip.compress(b"first") + gzip.compress(b"second"), "gzip", limit=MiB
    )


def test_zstd_frames_back_to_back_are_all_decoded() -> None:
    assert b"firstsecond" == decode_content(zstd(b"first") + zstd(b"second"), "zstd", limit=MiB)


def test_empty_body_with_an_encoding_is_empty() -> None:
    assert b"" == decode_content(b"", "gzip", limit=MiB)


def test_unknown_encoding_is_undecodable() -> None:
    with pytest.raises(Undecodable):
        decode_content(DOC, "compress", limit=MiB)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_corrupt_data_is_undecodable(encoding: str) -> None:
    with pytest.raises(Undecodable):
        decode_content(b"\x1f\x8b\x28\xb5 this is not compressed at all", encoding, limit=MiB)


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_truncated_data_is_undecodable(encoding: str) -> None:
    data = ENCODERS[encoding](DOC)

    with pytest.raises(Undecodable):
        decode_content(data[: len(data) // 2], encoding, limit=MiB)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_garbage_after_the_stream_is_undecodable(encoding: str) -> None:
    with pytest.raises(Undecodable):
        decode_content(ENCODERS[encoding](DOC) + b"garbage!", encoding, limit=MiB)


@pytest.mark.parametrize("encoding", [*sorted(ENCODERS), "identity"])
def test_output_of_exactly_the_limit_is_allowed(encoding: str) -> None:
    encode = ENCODERS.get(encoding, bytes)

    assert DOC == decode_content(encode(DOC), encoding, limit=len(DOC))


@pytest.mark.parametrize("encoding", [*sorted(ENCODERS), "identity"])
def test_output_one_byte_over_the_limit_raises_body_too_large(encoding: str) -> None:
    encode = ENCODERS.get(encoding, bytes)

    with pytest.raises(BodyTooLarge) as caught:
        decode_content(encode(DOC), encoding, limit=len(DOC) - 1)
    assert len(DOC) - 1 == caught.value.limit


def test_zstd_frame_declaring_a_size_over_the_limit_is_too_large_at_once() -> None:
    data = zstandard.ZstdCompressor(write_content_size=True).compress(bytes(4 * MiB))

    with pytest.raises(BodyTooLarge) as caught:
        decode_content(data, "zstd", limit=MiB)
    assert 4 * MiB == caught.value.produced


# --- decompression bombs: 1 GiB of zeros, built with streaming compressors ---------------------

BOMB_SIZE = 1024 * MiB


def zero_deflate() -> bytes:
    """Raw deflate of 1 GiB zeros: one fully flushed segment, repeated, then the final block."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    segment = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return segment * (BOMB_SIZE // MiB) + compressor.flush()


def zero_checksum(function: Callable[[bytes, int], int], start: int) -> int:
    value, zeros = start, bytes(MiB)
    for _ in range(BOMB_SIZE // MiB):
        value = function(zeros, value)
    return value


def gzip_bomb() -> bytes:
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", zero_checksum(zlib.crc32, 0), BOMB_SIZE & 0xFFFFFFFF)
    return header + zero_deflate() + trailer


def deflate_bomb() -> bytes:
    return b"\x78\xda" + zero_deflate() + struct.pack(">I", zero_checksum(zlib.adler32, 1))


def brotli_bomb() -> bytes:
    zeros = bytes(MiB)
    compressor = brotli.Compressor(quality=1)
    parts = [compressor.process(zeros) for _ in range(BOMB_SIZE // MiB)]
    return b"".join([*parts, compressor.finish()])


def zstd_bomb() -> bytes:
    zeros = bytes(MiB)
    sink = io.BytesIO()
    with zstandard.ZstdCompressor(level=1).stream_writer(sink, closefd=False) as writer:
        for _ in range(BOMB_SIZE // MiB):
            writer.write(zeros)
    return sink.getvalue()


BOMBS = [
    pytest.param(gzip_bomb, "gzip", id="gzip"),
    pytest.param(deflate_bomb, "deflate", id="deflate"),
    pytest.param(brotli_bomb, "br", id="br"),
    pytest.param(zstd_bomb, "zstd", id="zstd"),
]
BOMB_LIMIT = 8 * MiB  # the default body limit


@pytest.mark.parametrize(("build", "encoding"), BOMBS)
def test_decompression_bomb_stops_near_the_limit(build: Callable[[], bytes], encoding: str) -> None:
    bomb = build()
    assert len(bomb) < BOMB_SIZE // 1000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(BodyTooLarge):
            decode_content(bomb, encoding, limit=BOMB_LIMIT)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * BOMB_LIMIT
    assert elapsed < 2.0


# --- media types and JSON bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("Application/JSON; charset=utf-8", "application/json"),
        ("  text/html  ", "text/html"),
        ("multipart/form-data; boundary=x", "multipart/form-data"),
        ("", None),
        (None, None),
        ("   ", None),
        ("x-unknown", None),
        ("application/", None),
    ],
)
def test_media_type_is_lower_case_essence(content_type: str | None, expected: str | None) -> None:
    assert expected == media_type(content_type)


@pytest.mark.parametrize(
    ("mt", "expected"),
    [
        ("application/json", True),
        ("text/json", True),
        ("application/problem+json", True),
        ("application/vnd.api+json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/x-ndjson", False),
        ("application/json-seq", False),
        ("application/+json", False),
        ("text/plain", False),
        ("application/xml", False),
        (None, False),
    ],
)
def test_is_json_media_type(mt: str | None, expected: bool) -> None:
    assert expected == is_json_media_type(mt)


def test_empty_body_is_empty() -> None:
    assert Body("application/json", BodyState.EMPTY) == parse_json_body(
        b"", "application/json", limit=100
    )


def test_body_over_the_limit_is_too_large_with_its_size() -> None:
    assert Body("application/json", BodyState.TOO_LARGE, None, 11) == parse_json_body(
        b'{"a": "bc"}', "application/json", limit=10
    )


def test_json_body_is_parsed_with_its_byte_size() -> None:
    data = '{"name": "Zoë"}'.encode()

    assert Body("application/json", BodyState.JSON, {"name": "Zoë"}, len(data)) == parse_json_body(
        data, "application/json", limit=100
    )


def test_json_null_is_a_json_value() -> None:
    assert BodyState.JSON == parse_json_body(b"null", "application/json", limit=100).state


def test_plus_json_body_is_parsed() -> None:
    body = parse_json_body(b'{"title": "oops"}', "application/problem+json", limit=100)

    assert (BodyState.JSON, {"title": "oops"}) == (body.state, body.value)


def test_media_type_given_with_parameters_is_normalised() -> None:
    body = parse_json_body(b"[1]", "Application/Json; charset=UTF-8", limit=100)

    assert ("application/json", BodyState.JSON) == (body.media_type, body.state)


def test_json_media_type_that_does_not_parse_is_invalid() -> None:
    assert Body("application/json", BodyState.INVALID, None, 7) == parse_json_body(
        b'{"a": }', "application/json", limit=100
    )


def test_utf8_byte_order_mark_is_ignored() -> None:
    assert [1] == parse_json_body(b"\xef\xbb\xbf[1]", "application/json", limit=100).value


def test_other_media_type_is_not_json_even_if_it_parses() -> None:
    assert Body("text/plain", BodyState.NOT_JSON, None, 8) == parse_json_body(
        b'{"a": 1}', "text/plain", limit=100
    )


def test_ndjson_is_not_json() -> None:
    data = b'{"a": 1}\n{"a": 2}\n'

    assert BodyState.NOT_JSON == parse_json_body(data, "application/x-ndjson", limit=100).state


@pytest.mark.parametrize(("data", "value"), [(b' \n{"a": 1}', {"a": 1}), (b"[true]", [True])])
def test_json_is_sniffed_without_media_type(data: bytes, value: object) -> None:
    assert Body(None, BodyState.JSON, value, len(data)) == parse_json_body(data, None, limit=100)


@pytest.mark.parametrize("data", [b"{not json", b"hello", b'"just a string"', b"42"])
def test_unparsable_or_scalar_body_without_media_type_is_not_json(data: bytes) -> None:
    assert BodyState.NOT_JSON == parse_json_body(data, None, limit=100).state


def test_decode_if_encoded_undoes_stored_compression() -> None:
    assert DOC == decode_if_encoded(gzip.compress(DOC), "gzip", limit=MiB)


@pytest.mark.parametrize("encoding", ["gzip", "zstd", "br", "deflate"])
def test_decode_if_encoded_keeps_bytes_that_are_already_decoded(encoding: str) -> None:
    assert DOC == decode_if_encoded(DOC, encoding, limit=MiB)


def test_decode_if_encoded_still_enforces_the_limit() -> None:
    with pytest.raises(BodyTooLarge):
        decode_if_encoded(gzip.compress(bytes(MiB)), "gzip", limit=1000)
