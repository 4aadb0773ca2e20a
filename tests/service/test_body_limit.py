"""Request bodies over MAX_BODY_BYTES get a readable 413 while they arrive, never buffered."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator

import pytest

from service.contract import DEFAULT_MAX_BODY_BYTES, Env
from tests.service.conftest import APP_ORIGIN, SETTINGS, Client
from tests.support.servers import Server, running_server

LIMIT = DEFAULT_MAX_BODY_BYTES
JSON = {"Origin": APP_ORIGIN, "Content-Type": "application/json"}
REFUSAL = {"detail": f"request body is larger than the limit of {LIMIT} bytes"}
CHUNK = 64 * 1024


def padded_json(size: int) -> bytes:
    """A valid item body of exactly `size` bytes (JSON allows any amount of whitespace)."""
    body = b'{"name": "padded"}'
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_declared_body_over_the_limit_is_413_with_cors(client: Client) -> None:
    response = client.request("POST", "/api/items", content=padded_json(LIMIT + 1), headers=JSON)
    assert response.status_code == 413
    assert response.json() == REFUSAL
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_chunked_body_over_the_limit_is_413_with_cors(client: Client) -> None:
    body = padded_json(LIMIT + CHUNK)
    chunks = (body[i : i + CHUNK] for i in range(0, len(body), CHUNK))
    response = client.request("POST", "/api/items", content=chunks, headers=JSON)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 413
    assert response.json() == REFUSAL
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_body_of_exactly_the_limit_is_read(client: Client) -> None:
    response = client.request("POST", "/api/items", content=padded_json(LIMIT), headers=JSON)
    assert response.status_code == 201


def test_limit_comes_from_the_setting(tmp_path_factory: pytest.TempPathFactory) -> None:
    log = tmp_path_factory.mktemp("small-limit") / "server.log"
    with running_server({**SETTINGS, Env.MAX_BODY_BYTES: "2048"}, log) as small:
        conn = http.client.HTTPConnection("127.0.0.1", small.port, timeout=10)
        conn.request("POST", "/api/items", body=padded_json(2049), headers=JSON)
        refused = conn.getresponse()
        assert (refused.status, refused.read()) == (
            413,
            b'{"detail":"request body is larger than the limit of 2048 bytes"}',
        )
        conn.request("POST", "/api/items", body=padded_json(2048), headers=JSON)
        assert conn.getresponse().status == 201
        conn.close()


# ---- on the wire: the refusal does not wait for the body, and the connection survives -------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("body-limit") / "server.log"
    with running_server(SETTINGS, log) as running:
        yield running


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _response(sock: socket.socket) -> tuple[int, bytes, http.client.HTTPResponse]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, response.read(), response


def _head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Origin: {APP_ORIGIN}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_declared_oversize_is_refused_before_any_body_is_sent(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(_head("POST", "/api/items", "Content-Length: 50000000"))
        status, _, response = _response(sock)
        assert status == 413
        assert response.getheader("access-control-allow-origin") == APP_ORIGIN


def test_chunked_oversize_is_refused_while_the_body_still_arrives(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(_head("POST", "/api/items", "Transfer-Encoding: chunked"))
        for _ in range(LIMIT // CHUNK + 2):  # just past the limit; the body never ends
            sock.sendall(b"%x\r\n" % CHUNK + b" " * CHUNK + b"\r\n")
        status, body, _ = _response(sock)
        assert (status, body) == (413, b'{"detail":"' + REFUSAL["detail"].encode() + b'"}')


def test_connection_serves_the_next_request_after_a_refused_body(server: Server) -> None:
    # A proxy (an ALB) sends the whole body anyway, then reuses the connection.
    with _connect(server) as sock:
        body = padded_json(2 * LIMIT)
        sock.sendall(_head("POST", "/api/items", f"Content-Length: {len(body)}"))
        assert _response(sock)[0] == 413
        sock.sendall(body)
        sock.sendall(_head("GET", "/api/items"))
        status, _, response = _response(sock)
        assert status == 200
        assert response.getheader("connection") is None
