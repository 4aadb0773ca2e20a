"""The access line's fields, in-process: bounds, escapes, where each id comes from."""

from __future__ import annotations

import asyncio
import io
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from service.app import build_app
from service.contract import GATEWAY_REQUEST_ID_HEADER
from service.lambda_handler import LambdaHandler
from service.middleware.access_log import (
    CLIENT_CHARS,
    HEADER_BYTES,
    METHOD_CHARS,
    PATH_CHARS,
    access_line,
)
from service.middleware.request_id import RequestIdMiddleware
from service.settings import Settings
from tests.service.conftest import SETTINGS, make_client
from tests.service.test_lambda import event, invoke

GATEWAY = GATEWAY_REQUEST_ID_HEADER.lower().encode()


def logging_client(stream: io.StringIO) -> TestClient:
    """The app in-process, writing its access lines to stream as create_app has it write them."""
    app = build_app(Settings.model_validate(SETTINGS), access_log=stream)
    return TestClient(app, raise_server_exceptions=False)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def line_for(**scope: Any) -> dict[str, Any]:
    base: Scope = {"method": "GET", "path": "/api/items", "headers": [], "client": None}
    text = access_line(
        {**base, **scope}, request_id="-", started=0.0, duration=0.0015, status=200, sent=2
    )
    assert "\n" not in text
    result: dict[str, Any] = json.loads(text)
    return result


def test_time_is_iso_8601_utc_with_milliseconds() -> None:
    text = access_line(
        {"method": "GET", "path": "/", "headers": []},
        request_id="-",
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
        request_id="-",
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


def test_request_id_is_the_one_the_response_carries() -> None:
    stream = io.StringIO()
    response = logging_client(stream).get("/api/items")
    [line] = lines(stream)
    assert line["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(("level", "written"), [("debug", 1), ("info", 1), ("warning", 0)])
def test_log_level_above_info_leaves_the_access_log_out(level: str, written: int) -> None:
    stream = io.StringIO()
    app = build_app(Settings.model_validate({**SETTINGS, "LOG_LEVEL": level}), access_log=stream)
    TestClient(app).get("/api/items")
    assert len(lines(stream)) == written


def test_without_a_stream_nothing_is_logged_and_nothing_fails() -> None:
    assert make_client(**SETTINGS).get("/api/items").status_code == 200


def test_stream_that_cannot_be_written_costs_the_caller_nothing() -> None:
    stream = io.StringIO()
    stream.close()  # as a log driver that went away
    app = build_app(Settings.model_validate(SETTINGS), access_log=stream)
    # An exception after the answer would make the server close the caller's connection.
    assert TestClient(app, raise_server_exceptions=True).get("/api/items").status_code == 200


def _call(app: Any, stream: io.StringIO) -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    scope: Scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}

    async def run() -> None:
        with pytest.raises(RuntimeError):
            await RequestIdMiddleware(app, access_log=stream)(scope, receive, send)

    # In a thread with its own loop: in a full run, Playwright's sync API owns this thread's.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=10)


def test_exception_that_escapes_the_app_is_logged_as_500() -> None:
    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("past every handler")

    stream = io.StringIO()
    _call(crash, stream)
    [line] = lines(stream)
    assert line["status"] == 500


@pytest.mark.parametrize("kind", ["rest_v1", "http_v2"])
def test_as_a_lambda_function_the_gateway_id_comes_from_the_event(kind: str) -> None:
    stream = io.StringIO()
    handler = LambdaHandler(build_app(Settings.model_validate(SETTINGS), access_log=stream))
    request = event(kind, "GET", "/api/items")
    invoke(handler, request)
    [line] = lines(stream)
    assert line["gateway_request_id"] == request["requestContext"]["requestId"]
    assert line["path"] == "/v1/api/items"
    assert line["client"] == "198.51.100.7"


def test_line_is_byte_for_byte_what_json_dumps_writes_for_its_fields() -> None:
    # The line is written out by hand for speed; it must stay exactly the json module's output.
    hostile = '"\\\n\u2028\x00é<'
    text = access_line(
        {
            "method": "GET" + hostile,
            "path": "/api/" + hostile,
            "headers": [
                (b"origin", hostile.encode()),
                (b"user-agent", b"\xff\xfe" + hostile.encode()),
                (GATEWAY, b"gw-" + hostile.encode()),
            ],
            "client": (hostile, 1),
        },
        request_id="abc" + hostile,
        started=1_700_000_000.5,
        duration=0.0123456,
        status=201,
        sent=17,
    )
    assert text == json.dumps(json.loads(text), separators=(",", ":"))
