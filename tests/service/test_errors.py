"""A crash answers a readable 500, is logged once and briefly, and costs nobody a connection."""

from __future__ import annotations

import asyncio
import http.client
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.types import Message, Receive, Scope, Send

from service.middleware import UnhandledErrorMiddleware
from service.middleware.errors import TRACEBACK_FRAMES
from tests.service.conftest import APP_ORIGIN, SETTINGS
from tests.support.servers import Server, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("errors") / "server.log"
    with running_server(SETTINGS, log) as running:
        yield running


def test_connection_that_carried_a_500_serves_the_next_request(server: Server) -> None:
    # As an ALB or nginx does: one keep-alive connection, reused for whoever comes next.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/api/boom", headers={"Origin": APP_ORIGIN})
        crashed = conn.getresponse()
        assert crashed.status == 500
        assert crashed.read() == b'{"detail":"Internal Server Error"}'
        assert crashed.getheader("access-control-allow-origin") == APP_ORIGIN
        assert crashed.getheader("connection") is None  # nothing announces a close
        first_socket = conn.sock
        conn.request("POST", "/api/items", body=b'{"name": "next"}', headers={
            "Origin": APP_ORIGIN, "Content-Type": "application/json",
        })  # fmt: skip
        following = conn.getresponse()
        assert following.status == 201
        following.read()
        assert conn.sock is first_socket
    finally:
        conn.close()


def test_crash_is_logged_once_with_a_short_traceback(tmp_path: Path) -> None:
    with running_server(SETTINGS, tmp_path / "server.log") as fresh:
        conn = http.client.HTTPConnection("127.0.0.1", fresh.port, timeout=10)
        conn.request("GET", "/api/boom", headers={"X-Request-ID": "crash-1"})
        conn.getresponse().read()
        conn.close()
    log = fresh.output()
    assert log.count("Traceback (most recent call last)") == 1
    assert log.count("RuntimeError: deliberate failure") == 1
    assert "unhandled RuntimeError in GET '/api/boom' (request crash-1): answered 500" in log
    assert log.count('  File "') <= TRACEBACK_FRAMES
    assert "Exception in ASGI application" not in log


def _through_guard(app: object) -> list[Message]:
    """Run one request through UnhandledErrorMiddleware around app; return what it sent."""
    # In a thread with its own loop: in a full run, Playwright's sync API owns this thread's.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _guarded_request(app)).result(timeout=10)


async def _guarded_request(app: object) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    await UnhandledErrorMiddleware(app)(scope, receive, send)  # type: ignore[arg-type]
    return sent


def test_crash_mid_response_sends_nothing_more_and_leaves_the_response_unfinished() -> None:
    # The server then closes the connection: a truncated body must not pass for a whole one.
    async def half_then_crash(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"half", "more_body": True})
        raise RuntimeError("mid-stream")

    sent = _through_guard(half_then_crash)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[-1]["more_body"] is True


def test_crash_after_the_response_was_sent_is_only_logged() -> None:
    async def answer_then_crash(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        raise RuntimeError("in a background task")

    sent = _through_guard(answer_then_crash)
    assert [m.get("status") for m in sent] == [204, None]
