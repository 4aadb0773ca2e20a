"""Behind the container's command, every request is one JSON line naming both request ids."""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.contract import GATEWAY_REQUEST_ID_HEADER, Env
from service.middleware.access_log import GATEWAY_ID_BYTES, HEADER_BYTES, PATH_CHARS
from tests.service.conftest import APP_ORIGIN, SETTINGS
from tests.support.servers import Server, running_server

# What uvicorn's own access log writes: '127.0.0.1:5000 - "GET /api/items HTTP/1.1" 200'.
UVICORN_ACCESS_LINE = re.compile(r'HTTP/1\.1" \d{3}')


# Python buffers stdout in blocks when it is not a terminal, unless told otherwise (the image
# sets PYTHONUNBUFFERED); a request's line must be out when the request is, either way.
BUFFERED = {"PYTHONUNBUFFERED": ""}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("access") / "server.log"
    with running_server({**SETTINGS, **BUFFERED}, log) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def json_lines(server: Server) -> list[dict[str, Any]]:
    """Every access line so far; a line that starts like JSON but does not parse fails here."""
    return [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]


def logged(server: Server, http: httpx.Client, request_id: str) -> list[dict[str, Any]]:
    """The access lines for request_id, once a later request's line shows they are all out.

    The line is written just after the response leaves, so a fence request sent afterwards on
    the same connection is logged after it; waiting for the fence is bounded.
    """
    fence = f"fence-{uuid.uuid4().hex}"
    http.get("/api/items", headers={"X-Request-ID": fence})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = json_lines(server)
        if any(line["request_id"] == fence for line in lines):
            return [line for line in lines if line["request_id"] == request_id]
        time.sleep(0.05)
    raise AssertionError(f"the fence request's line never appeared:\n{server.output()}")


def test_request_is_one_json_line_with_both_ids(server: Server, http: httpx.Client) -> None:
    before = datetime.now(UTC)
    response = http.get(
        "/api/items",
        headers={
            "X-Request-ID": "follow-me-1",
            GATEWAY_REQUEST_ID_HEADER: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "Origin": APP_ORIGIN,
            "User-Agent": "access-log-test/1.0",
        },
    )
    assert response.status_code == 200
    [line] = logged(server, http, "follow-me-1")
    assert line["gateway_request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/items", 200)
    assert line["bytes"] == len(response.content)
    assert 0 < line["duration_ms"] < 10_000
    assert line["client"] == "127.0.0.1"
    assert (line["origin"], line["user_agent"]) == (APP_ORIGIN, "access-log-test/1.0")
    logged_at = datetime.fromisoformat(line["time"])
    assert line["time"].endswith("Z")
    assert before - timedelta(seconds=1) <= logged_at <= datetime.now(UTC)


def test_crash_is_one_line_with_the_id_its_crash_record_names(
    server: Server, http: httpx.Client
) -> None:
    response = http.get("/api/boom")  # no X-Request-ID: the service makes one up
    request_id = response.headers["x-request-id"]
    [line] = logged(server, http, request_id)
    assert (line["status"], line["path"]) == (500, "/api/boom")
    assert f"(request {request_id}): answered 500" in server.output()


def test_refused_body_is_one_line_with_413(server: Server, http: httpx.Client) -> None:
    body = b"x" * (int(SETTINGS.get(Env.MAX_BODY_BYTES, 1024 * 1024)) + 1)
    response = http.post("/api/items", content=body, headers={"X-Request-ID": "too-big-1"})
    assert response.status_code == 413
    [line] = logged(server, http, "too-big-1")
    assert (line["method"], line["status"], line["bytes"]) == ("POST", 413, len(response.content))


def test_preflight_is_one_line_with_the_id_the_preflight_carries(
    server: Server, http: httpx.Client
) -> None:
    response = http.options(
        "/api/items",
        headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    [line] = logged(server, http, request_id)
    assert (line["method"], line["status"], line["origin"]) == ("OPTIONS", 200, APP_ORIGIN)


def test_passing_health_check_is_not_logged(server: Server, http: httpx.Client) -> None:
    assert http.get("/healthz", headers={"X-Request-ID": "health-ok"}).status_code == 200
    assert logged(server, http, "health-ok") == []


def test_health_path_not_answering_200_is_logged(server: Server, http: httpx.Client) -> None:
    response = http.post("/healthz", headers={"X-Request-ID": "health-405"})
    assert response.status_code == 405
    [line] = logged(server, http, "health-405")
    assert line["status"] == 405


def test_uvicorn_writes_no_access_line_of_its_own(server: Server, http: httpx.Client) -> None:
    http.get("/api/items", headers={"X-Request-ID": "only-ours"})
    assert len(logged(server, http, "only-ours")) == 1
    assert [line for line in server.output().splitlines() if UVICORN_ACCESS_LINE.search(line)] == []


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_hostile_header_values_and_path_stay_one_bounded_line(
    server: Server, http: httpx.Client
) -> None:
    # A path that decodes to a newline and a forged JSON line, bytes that are not UTF-8, quotes,
    # backslashes and a 10 kB header; sent raw, as no well-behaved client would send them.
    forged = "%0A%7B%22request_id%22%3A%22forged%22%7D%0A"
    request = (
        b"GET /api/" + forged.encode() + b"a" * 2000 + b" HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\n"
        b"X-Request-ID: hostile-1\r\n"
        b"Origin: https://\xff\xfe.example.com\r\n"
        b'User-Agent: "quoted" \\back\\ ' + b"A" * 10_000 + b"\r\n"
        + GATEWAY_REQUEST_ID_HEADER.encode() + b': gw-"\xc3\x28' + b"9" * 500 + b"\r\n"
        b"Connection: close\r\n\r\n"
    )  # fmt: skip
    assert _raw_request(server.port, request).startswith(b"HTTP/1.1 404")
    [line] = logged(server, http, "hostile-1")
    assert line["path"].startswith('/api/\n{"request_id":"forged"}\n')
    assert len(line["path"]) == PATH_CHARS
    assert line["origin"] == "https://\\xff\\xfe.example.com"
    assert line["user_agent"].startswith('"quoted" \\back\\ AAA')
    assert len(line["user_agent"]) == HEADER_BYTES
    assert line["gateway_request_id"].startswith('gw-"\\xc3(999')
    assert len(line["gateway_request_id"]) <= GATEWAY_ID_BYTES + 3  # one byte became \xc3
    assert [ln for ln in server.output().splitlines() if "forged" in ln] == [
        json.dumps(line, separators=(",", ":"))
    ]


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, httpx.Client]]:
    log = tmp_path_factory.mktemp("staged") / "server.log"
    with (
        running_server({**SETTINGS, Env.ROOT_PATH: "/v1"}, log) as running,
        httpx.Client(base_url=running.url, timeout=10) as client,
    ):
        yield running, client


def test_path_is_logged_with_the_root_path(staged: tuple[Server, httpx.Client]) -> None:
    server, http = staged
    assert http.get("/api/items", headers={"X-Request-ID": "staged-1"}).status_code == 200
    [line] = logged(server, http, "staged-1")
    assert line["path"] == "/v1/api/items"


def test_passing_health_check_under_a_root_path_is_not_logged(
    staged: tuple[Server, httpx.Client],
) -> None:
    server, http = staged
    assert http.get("/healthz", headers={"X-Request-ID": "staged-health"}).status_code == 200
    assert logged(server, http, "staged-health") == []


def test_log_level_above_info_writes_no_access_line(tmp_path: Path) -> None:
    settings = {**SETTINGS, Env.LOG_LEVEL: "warning"}
    with (
        running_server(settings, tmp_path / "server.log") as quiet,
        httpx.Client(base_url=quiet.url, timeout=10) as http,
    ):
        assert http.get("/api/items").status_code == 200
        assert http.get("/api/boom").status_code == 500
    assert json_lines(quiet) == []
    assert "answered 500" in quiet.output()  # errors are still reported
