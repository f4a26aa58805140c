"""Tests for the HAR 1.2 reader: entries become name-only exchanges, bad entries are counted."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard

from drift.core.exchange import Body, BodyState, Exchange
from drift.edges.har import HarImport, iter_har, read_har
from drift.errors import InputError
from tests.conftest import CORPUS, needs_corpus


def header_list(headers: dict[str, str] | list[tuple[str, str]]) -> list[dict[str, str]]:
    pairs = headers.items() if isinstance(headers, dict) else headers
    return [{"name": name, "value": value} for name, value in pairs]


def har_entry(
    url: str = "https://api.example.com/pets",
    *,
    method: str = "GET",
    status: int = 200,
    request_headers: dict[str, str] | list[tuple[str, str]] | None = None,
    response_headers: dict[str, str] | list[tuple[str, str]] | None = None,
    content: dict[str, Any] | None = None,
    post_data: dict[str, Any] | None = None,
    **request_extra: Any,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": header_list(request_headers or {}),
        "cookies": [],
        "queryString": [],
        "headersSize": -1,
        "bodySize": -1,
        **request_extra,
    }
    if post_data is not None:
        request["postData"] = post_data
    return {
        "startedDateTime": "2024-05-01T12:00:00.123Z",
        "time": 12.5,
        "request": request,
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": header_list(response_headers or {}),
            "cookies": [],
            "content": content if content is not None else {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 12.5, "receive": 0},
    }


def write_har(tmp_path: Path, entries: list[Any], name: str = "traffic.har") -> Path:
    path = tmp_path / name
    document = {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}}}
    document["log"]["entries"] = entries
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def read_one(tmp_path: Path, entry: dict[str, Any], **options: Any) -> Exchange:
    result = read_har(write_har(tmp_path, [entry]), **options)
    assert (0, 1) == (result.skipped, len(result.exchanges))
    return result.exchanges[0]


def base64_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- request line, headers, query, cookies --------------------------------------------------------


def test_entry_becomes_exchange_with_method_path_host_and_status(tmp_path: Path) -> None:
    entry = har_entry("https://API.example.com:8443/pets/7?x=1#frag", method="delete", status=204)

    exchange = read_one(tmp_path, entry)

    assert ("DELETE", "/pets/7", "api.example.com", 204) == (
        exchange.method,
        exchange.path,
        exchange.host,
        exchange.status,
    )


def test_empty_url_path_becomes_slash(tmp_path: Path) -> None:
    assert "/" == read_one(tmp_path, har_entry("https://api.example.com?q=1")).path


def test_percent_encoding_in_path_is_kept(tmp_path: Path) -> None:
    entry = har_entry("https://api.example.com/files/a%2Fb%20c")

    assert "/files/a%2Fb%20c" == read_one(tmp_path, entry).path


def test_host_comes_from_host_header_when_url_is_relative(tmp_path: Path) -> None:
    entry = har_entry("/pets", request_headers={"Host": "shop.example.com:8080"})

    exchange = read_one(tmp_path, entry)

    assert ("/pets", "shop.example.com") == (exchange.path, exchange.host)


def test_query_names_come_from_query_string_field(tmp_path: Path) -> None:
    entry = har_entry(
        "https://api.example.com/pets?ignored=1",
        queryString=[{"name": "limit", "value": "10"}, {"name": "tag", "value": "a"}],
    )

    assert ("limit", "tag") == read_one(tmp_path, entry).query


def test_query_names_are_parsed_from_url_with_repeats_and_blank_values(tmp_path: Path) -> None:
    entry = har_entry("https://api.example.com/pets?tag=a&limit=&tag=b&flag&sp%20ace=1")

    assert ("tag", "limit", "tag", "flag", "sp ace") == read_one(tmp_path, entry).query


def test_header_names_are_lower_case_distinct_and_without_pseudo_headers(tmp_path: Path) -> None:
    entry = har_entry(
        request_headers=[
            (":authority", "api.example.com"),
            (":method", "GET"),
            ("Accept", "*/*"),
            ("X-Trace", "1"),
            ("x-trace", "2"),
        ],
        response_headers=[(":status", "200"), ("Content-Type", "text/plain"), ("Set-Cookie", "a")],
    )

    exchange = read_one(tmp_path, entry)

    assert ("accept", "x-trace") == exchange.request_headers
    assert ("content-type", "set-cookie") == exchange.response_headers


def test_cookie_names_come_from_cookies_field(tmp_path: Path) -> None:
    entry = har_entry(cookies=[{"name": "session", "value": "s"}, {"name": "theme", "value": "t"}])

    assert ("session", "theme") == read_one(tmp_path, entry).cookies


def test_cookie_names_are_parsed_from_cookie_headers(tmp_path: Path) -> None:
    entry = har_entry(
        request_headers=[("Cookie", "session=abc; theme=dark;; bare"), ("cookie", "lang=en")]
    )

    assert ("session", "theme", "lang") == read_one(tmp_path, entry).cookies


def test_consumer_comes_from_configured_header_case_insensitively(tmp_path: Path) -> None:
    entry = har_entry(request_headers={"X-Consumer-ID": "  mobile-app  "})

    assert "mobile-app" == read_one(tmp_path, entry, consumer_header="x-consumer-id").consumer


def test_consumer_is_cut_to_128_characters(tmp_path: Path) -> None:
    entry = har_entry(request_headers={"x-client": "c" * 300})

    assert "c" * 128 == read_one(tmp_path, entry, consumer_header="X-Client").consumer


@pytest.mark.parametrize("header", [None, "x-other"])
def test_consumer_is_none_without_configured_or_present_header(
    tmp_path: Path, header: str | None
) -> None:
    entry = har_entry(request_headers={"x-client": "web"})

    assert None is read_one(tmp_path, entry, consumer_header=header).consumer


def test_service_is_passed_through(tmp_path: Path) -> None:
    assert "petstore" == read_one(tmp_path, har_entry(), service="petstore").service


def test_latency_and_timestamp_are_read(tmp_path: Path) -> None:
    exchange = read_one(tmp_path, har_entry())

    assert 12.5 == exchange.latency_ms
    assert datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC) == exchange.timestamp


def test_timestamp_keeps_its_offset(tmp_path: Path) -> None:
    entry = {**har_entry(), "startedDateTime": "2024-05-01T14:00:00.5+02:00"}

    expected = datetime(2024, 5, 1, 14, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))
    assert expected == read_one(tmp_path, entry).timestamp


@pytest.mark.parametrize(("started", "time"), [("yesterday", -1), (None, None), (17, "fast")])
def test_bad_timestamp_and_latency_become_none(tmp_path: Path, started: Any, time: Any) -> None:
    entry = {**har_entry(), "startedDateTime": started, "time": time}

    exchange = read_one(tmp_path, entry)

    assert (None, None) == (exchange.timestamp, exchange.latency_ms)


# --- bodies ---------------------------------------------------------------------------------------


def test_json_response_body_is_parsed(tmp_path: Path) -> None:
    content = {"size": 9, "mimeType": "application/json; charset=utf-8", "text": '{"id": 7}'}

    assert Body("application/json", BodyState.JSON, {"id": 7}, 9) == (
        read_one(tmp_path, har_entry(content=content)).response
    )


def test_json_request_body_is_parsed_from_post_data(tmp_path: Path) -> None:
    post_data = {"mimeType": "application/vnd.api+json", "text": '{"name": "Rex"}'}

    request = read_one(tmp_path, har_entry(method="POST", post_data=post_data)).request

    assert (BodyState.JSON, {"name": "Rex"}) == (request.state, request.value)


def test_missing_bodies_are_empty(tmp_path: Path) -> None:
    exchange = read_one(tmp_path, har_entry())

    assert (BodyState.EMPTY, BodyState.EMPTY) == (exchange.request.state, exchange.response.state)


def test_media_type_falls_back_to_content_type_header(tmp_path: Path) -> None:
    entry = har_entry(
        response_headers={"Content-Type": "application/problem+json"},
        content={"mimeType": "", "text": '{"title": "no"}'},
    )

    response = read_one(tmp_path, entry).response

    assert ("application/problem+json", BodyState.JSON) == (response.media_type, response.state)


def test_json_body_without_any_media_type_is_sniffed(tmp_path: Path) -> None:
    response = read_one(tmp_path, har_entry(content={"text": " [1, 2]"})).response

    assert (None, BodyState.JSON, [1, 2]) == (response.media_type, response.state, response.value)


def test_html_body_is_not_json(tmp_path: Path) -> None:
    content = {"mimeType": "text/html", "text": "<p>hi</p>"}

    assert BodyState.NOT_JSON == read_one(tmp_path, har_entry(content=content)).response.state


def test_form_post_data_recorded_only_as_params_is_not_json(tmp_path: Path) -> None:
    post_data = {
        "mimeType": "multipart/form-data",
        "params": [{"name": "file", "fileName": "a.txt"}],
    }

    request = read_one(tmp_path, har_entry(method="POST", post_data=post_data)).request

    assert BodyState.NOT_JSON == request.state


def test_base64_response_body_is_decoded(tmp_path: Path) -> None:
    content = {
        "mimeType": "application/json",
        "text": base64_text(b'{"a": 1}'),
        "encoding": "base64",
    }

    assert {"a": 1} == read_one(tmp_path, har_entry(content=content)).response.value


def test_base64_post_data_is_honoured(tmp_path: Path) -> None:
    post_data = {"mimeType": "application/json", "text": base64_text(b"[1]"), "encoding": "base64"}

    assert [1] == read_one(tmp_path, har_entry(method="PUT", post_data=post_data)).request.value


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("br", brotli.compress), ("zstd", _zstd), ("gzip, br", None)],
)
def test_compressed_base64_response_body_is_decompressed(
    tmp_path: Path, encoding: str, compress: Any
) -> None:
    data = b'{"pets": ["Rex", "Tom"]}'
    stored = compress(data) if compress else brotli.compress(gzip.compress(data))
    entry = har_entry(
        response_headers={"Content-Encoding": encoding},
        content={"mimeType": "application/json", "text": base64_text(stored), "encoding": "base64"},
    )

    response = read_one(tmp_path, entry).response

    assert (BodyState.JSON, {"pets": ["Rex", "Tom"]}, len(data)) == (
        response.state,
        response.value,
        response.size,
    )


def test_already_decoded_base64_body_with_content_encoding_is_kept(tmp_path: Path) -> None:
    entry = har_entry(
        response_headers={"Content-Encoding": "br"},
        content={
            "mimeType": "application/json",
            "text": base64_text(b"[true]"),
            "encoding": "base64",
        },
    )

    assert [True] == read_one(tmp_path, entry).response.value


def test_compressed_body_over_the_limit_is_too_large(tmp_path: Path) -> None:
    entry = har_entry(
        response_headers={"Content-Encoding": "gzip"},
        content={
            "mimeType": "application/json",
            "text": base64_text(gzip.compress(b"[" + b"0," * 5000 + b"0]")),
            "encoding": "base64",
        },
    )

    response = read_one(tmp_path, entry, body_limit=1000).response

    assert (BodyState.TOO_LARGE, None) == (response.state, response.value)
    assert response.size > 1000


def test_text_body_over_the_limit_is_too_large(tmp_path: Path) -> None:
    content = {"mimeType": "application/json", "text": "[" + "1," * 100 + "1]"}

    response = read_one(tmp_path, har_entry(content=content), body_limit=50).response

    assert Body("application/json", BodyState.TOO_LARGE, None, 203) == response


def test_invalid_base64_body_is_undecodable(tmp_path: Path) -> None:
    content = {"mimeType": "application/json", "text": "abc", "encoding": "base64"}

    assert BodyState.UNDECODABLE == read_one(tmp_path, har_entry(content=content)).response.state


def test_lone_surrogate_in_body_text_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "surrogate.har"
    entry = har_entry(content={"mimeType": "application/json", "text": "PLACEHOLDER"})
    text = json.dumps({"log": {"entries": [entry]}}).replace("PLACEHOLDER", '[\\"\\ud800\\"]')
    path.write_text(text, encoding="utf-8")

    result = read_har(path)

    assert [BodyState.INVALID] == [exchange.response.state for exchange in result.exchanges]


def test_invalid_json_with_json_media_type_is_invalid(tmp_path: Path) -> None:
    content = {"mimeType": "application/json", "text": "{oops"}

    assert BodyState.INVALID == read_one(tmp_path, har_entry(content=content)).response.state


# --- malformed entries and files ------------------------------------------------------------------


def test_malformed_entries_are_skipped_and_counted_while_good_ones_are_read(
    tmp_path: Path,
) -> None:
    no_url = har_entry()
    del no_url["request"]["url"]
    no_method = har_entry()
    no_method["request"]["method"] = ""
    no_response = har_entry()
    del no_response["response"]
    text_status = har_entry()
    text_status["response"]["status"] = "200"
    entries = [
        har_entry("https://api.example.com/a"),
        "not an entry",
        no_url,
        no_method,
        no_response,
        {"response": {"status": 200}},
        text_status,
        har_entry(status=0),
        har_entry("http://[::1/broken"),
        har_entry("https://api.example.com/b"),
    ]
    seen: list[tuple[int, str]] = []

    result = read_har(write_har(tmp_path, entries), on_skip=lambda i, r: seen.append((i, r)))

    assert ["/a", "/b"] == [exchange.path for exchange in result.exchanges]
    assert (10, 8) == (result.entries, result.skipped)
    expected = {
        "entry is not an object": 1,
        "missing request.url": 1,
        "missing request.method": 1,
        "missing response": 1,
        "missing request": 1,
        "response.status is not an integer": 1,
        "no response (status 0)": 1,
        "invalid request.url": 1,
    }
    assert expected == dict(result.skip_reasons)
    assert [1, 2, 3, 4, 5, 6, 7, 8] == [index for index, _ in seen]


def test_iter_har_gives_entry_count_and_converts_lazily(tmp_path: Path) -> None:
    path = write_har(tmp_path, [har_entry(), har_entry(status=0), har_entry()])
    skipped: list[int] = []

    total, exchanges = iter_har(path, on_skip=lambda index, _: skipped.append(index))

    assert (3, []) == (total, skipped)
    assert 2 == len(list(exchanges))
    assert [1] == skipped


def test_read_har_returns_har_import(tmp_path: Path) -> None:
    result = read_har(write_har(tmp_path, []))

    assert HarImport([], 0, 0, result.skip_reasons) == result
    assert 0 == result.skip_reasons.total()


def test_missing_file_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.har"

    with pytest.raises(InputError) as caught:
        read_har(path)

    assert str(path) == caught.value.file
    assert "cannot read HAR file" in caught.value.message


def test_invalid_json_raises_input_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.har"
    path.write_text('{\n  "log": {\n    "entries": [\n      {"request": }\n    ]\n  }\n}\n')

    with pytest.raises(InputError) as caught:
        read_har(path)

    assert (str(path), 4) == (caught.value.file, caught.value.line)
    assert "line 4, column" in caught.value.message
    assert caught.value.hint is not None


def test_truncated_file_raises_input_error(tmp_path: Path) -> None:
    path = write_har(tmp_path, [har_entry(), har_entry()])
    path.write_bytes(path.read_bytes()[:-40])

    with pytest.raises(InputError, match="not valid JSON"):
        read_har(path)


def test_empty_file_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.har"
    path.write_text("  \n")

    with pytest.raises(InputError, match="empty"):
        read_har(path)


@pytest.mark.parametrize(
    "document",
    [{}, [], {"log": {}}, {"log": []}, {"log": {"entries": {}}}, {"openapi": "3.1.0"}],
)
def test_document_without_log_entries_is_not_a_har(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(document))

    with pytest.raises(InputError) as caught:
        iter_har(path)

    assert "not a HAR file: no log.entries array" == caught.value.message
    assert "export the HAR again" in (caught.value.hint or "")


def test_file_starting_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write_har(tmp_path, [har_entry()])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    assert 1 == len(read_har(path).exchanges)


# --- values never kept ----------------------------------------------------------------------------


def test_no_header_query_or_cookie_value_appears_in_the_exchange(tmp_path: Path) -> None:
    secrets = [f"SECRET{number}VALUE" for number in range(8)]
    entry = har_entry(
        f"https://api.example.com/pets?token={secrets[0]}&mode={secrets[1]}",
        method="POST",
        request_headers={
            "Authorization": f"Bearer {secrets[2]}",
            "Cookie": f"session={secrets[3]}; theme={secrets[4]}",
            "Content-Type": "application/json",
        },
        response_headers={"Set-Cookie": f"session={secrets[5]}", "X-Api-Key": secrets[6]},
        post_data={"mimeType": "application/json", "text": '{"name": "Rex"}'},
        content={"mimeType": "application/json", "text": '{"id": 1}'},
    )
    entry["response"]["cookies"] = [{"name": "session", "value": secrets[7]}]

    exchange = read_one(tmp_path, entry, consumer_header="x-consumer")
    dumped = repr(exchange)

    assert [] == [secret for secret in secrets if secret in dumped]
    assert ("token", "mode") == exchange.query
    assert ("session", "theme") == exchange.cookies


# --- the shared corpus ----------------------------------------------------------------------------


@pytest.mark.corpus
@needs_corpus
def test_every_corpus_har_is_read_without_skips() -> None:
    paths = sorted((CORPUS / "traffic").glob("*.har"))
    assert paths
    for path in paths:
        result = read_har(path)
        responses = [exchange.response.state for exchange in result.exchanges]
        non_empty = [state for state in responses if state != BodyState.EMPTY]

        assert (path.name, 0, result.entries) == (path.name, result.skipped, len(result.exchanges))
        assert non_empty.count(BodyState.JSON) > 0.9 * len(non_empty), path.name
        assert responses.count(BodyState.JSON) > 0.5 * len(responses), path.name
