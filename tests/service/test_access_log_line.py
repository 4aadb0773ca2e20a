"""The access line's fields, in-process: bounds, escapes, where each id comes from."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from service.app import build_app
from service.contract import GATEWAY_REQUEST_ID_HEADER
from service.lambda_handler import LambdaHandler
from service.middleware import access_log
from service.middleware.access_log import (
    CLIENT_CHARS,
    HEADER_BYTES,
    METHOD_CHARS,
    PATH_CHARS,
    AccessLogMiddleware,
    access_line,
    write_lines_to,
)
from service.settings import Settings
from tests.service.conftest import SETTINGS, make_client
from tests.service.test_lambda import event, invoke

GATEWAY = GATEWAY_REQUEST_ID_HEADER.lower().encode()


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Access lines written as create_app has them written, to a string instead of stdout."""
    log = access_log.log
    saved = (log.handlers[:], log.level, log.propagate)
    sink = io.StringIO()
    write_lines_to(sink)
    log.setLevel(logging.INFO)
    yield sink
    log.handlers, log.propagate = saved[0], saved[2]
    log.setLevel(saved[1])


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def line_for(**scope: Any) -> dict[str, Any]:
    base: Scope = {"method": "GET", "path": "/api/items", "headers": [], "client": None}
    text = access_line({**base, **scope}, started=0.0, duration=0.0015, status=200, sent=2)
    assert "\n" not in text
    result: dict[str, Any] = json.loads(text)
    return result


def test_time_is_iso_8601_utc_with_milliseconds() -> None:
    text = access_line(
        {"method": "GET", "path": "/", "headers": []},
        started=1_700_000_000.25,
        duration=0.0,
        status=200,
        sent=0,
    )
    assert json.loads(text)["time"] == "2023-11-14T22:13:20.250Z"


def test_duration_is_in_milliseconds() -> None:
    assert line_for()["duration_ms"] == 1.5


def test_absent_headers_and_client_are_null() -> None:
    line = line_for()
    assert [line[key] for key in ("gateway_request_id", "origin", "user_agent", "client")] == [
        None
    ] * 4


def test_every_caller_controlled_field_is_bounded() -> None:
    line = line_for(
        method="M" * 100,
        path="/" + "p" * 10_000,
        client=("f" * 1000, 0),
        headers=[(b"origin", b"o" * 10_000), (b"user-agent", b"u" * 10_000)],
    )
    assert len(line["method"]) == METHOD_CHARS
    assert len(line["path"]) == PATH_CHARS
    assert len(line["client"]) == CLIENT_CHARS
    assert len(line["origin"]) == len(line["user_agent"]) == HEADER_BYTES


def test_header_that_is_not_utf_8_is_logged_escaped() -> None:
    line = line_for(headers=[(b"user-agent", b"bad \xff\xfe bytes")])
    assert line["user_agent"] == "bad \\xff\\xfe bytes"


def test_newlines_and_quotes_are_escaped_within_the_line() -> None:
    text = access_line(
        {"method": "GET", "path": '/a\r\n{"status":200}\u2028', "headers": []},
        started=0.0,
        duration=0.0,
        status=404,
        sent=0,
    )
    assert text.isascii()
    assert text.isprintable()
    assert json.loads(text)["path"] == '/a\r\n{"status":200}\u2028'


def test_last_gateway_header_wins() -> None:
    # A caller may send its own; the gateway's integration sets the header after the caller's.
    line = line_for(headers=[(GATEWAY, b"from-caller"), (GATEWAY, b"from-gateway")])
    assert line["gateway_request_id"] == "from-gateway"


def test_request_id_is_the_one_the_response_carries(stream: io.StringIO) -> None:
    response = make_client(**SETTINGS).get("/api/items")
    [line] = lines(stream)
    assert line["request_id"] == response.headers["x-request-id"]


def test_building_the_app_twice_never_doubles_lines(stream: io.StringIO) -> None:
    write_lines_to(stream)  # as a second create_app in one process would
    make_client(**SETTINGS).get("/api/items")
    assert len(lines(stream)) == 1


def test_below_info_no_line_is_written(stream: io.StringIO) -> None:
    access_log.log.setLevel(logging.WARNING)
    make_client(**SETTINGS).get("/api/items")
    assert stream.getvalue() == ""


def _call(app: Any) -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    scope: Scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}

    async def run() -> None:
        with pytest.raises(RuntimeError):
            await AccessLogMiddleware(app)(scope, receive, send)

    # In a thread with its own loop: in a full run, Playwright's sync API owns this thread's.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=10)


def test_exception_that_escapes_the_app_is_logged_as_500(stream: io.StringIO) -> None:
    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("past every handler")

    _call(crash)
    [line] = lines(stream)
    assert line["status"] == 500


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2"])
def test_as_a_lambda_function_the_gateway_id_comes_from_the_event(
    stream: io.StringIO, kind: str
) -> None:
    handler = LambdaHandler(build_app(Settings.model_validate(SETTINGS)))
    request = event(kind, "GET", "/api/items")
    invoke(handler, request)
    [line] = lines(stream)
    assert line["gateway_request_id"] == request["requestContext"]["requestId"]
    assert line["path"] == "/v1/api/items"
    assert line["client"] == "198.51.100.7"
