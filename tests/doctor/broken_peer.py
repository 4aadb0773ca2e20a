"""A deliberately broken HTTP peer on 127.0.0.1: it dribbles bytes the way hostile servers do.

No framework would send these answers, so this is a raw socket server. Every loop is bounded in
count and time, and it records how many bytes each answer got into the kernel, which bounds
how much the client read.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

HEADER_LINES = 30  # one a second: far past any deadline a test uses
ENDLESS_BYTES = 256 * 1024 * 1024  # "endless" next to the doctor's body cap, finite for tests
SLOW_BODY_BYTES = 1_000_000
MAX_SECONDS = 30.0  # no answer outlives this, whatever the client does
CHUNK = b"x" * 65536
ERROR_PAGE = b"<html><body><h1>502 Bad Gateway</h1><p>upstream sent an endless body</p>"


@dataclass
class Peer:
    url: str
    sent: dict[str, list[int]] = field(default_factory=dict)  # path -> bytes sent per answer
    done: threading.Condition = field(default_factory=threading.Condition)

    def record(self, path: str, count: int) -> None:
        with self.done:
            self.sent.setdefault(path, []).append(count)
            self.done.notify_all()

    def wait_for(self, path: str, count: int, timeout: float = 10.0) -> list[int]:
        """Bytes sent by each answer on path, once count answers have ended (the client hung up
        or the peer gave up)."""
        with self.done:
            if not self.done.wait_for(lambda: len(self.sent.get(path, [])) >= count, timeout):
                raise AssertionError(f"{path}: {self.sent.get(path, [])} after {timeout}s")
            return list(self.sent[path])


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.connection.settimeout(MAX_SECONDS)
        request_line = self.rfile.readline(8192).decode("latin-1")
        for _ in range(100):  # skip the request headers; the doctor's GETs have no body
            if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                break
        parts = request_line.split()
        path = parts[1] if len(parts) > 1 else "/"
        answer = ANSWERS.get(path, _not_found)
        counter = [0]
        deadline = time.monotonic() + MAX_SECONDS

        def write(data: bytes) -> bool:
            if time.monotonic() > deadline:
                return False
            try:
                self.connection.sendall(data)
            except OSError:  # the client hung up: exactly what a bounded client does
                return False
            counter[0] += len(data)
            return True

        try:
            answer(write)
        finally:
            self.server.peer.record(path, counter[0])


Write = Callable[[bytes], bool]


def _not_found(write: Write) -> None:
    write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def dribble_headers(write: Write) -> None:
    """A header line a second: each read succeeds, so a per-read timeout never trips."""
    if not write(b"HTTP/1.1 200 OK\r\n"):
        return
    for number in range(HEADER_LINES):
        if not write(f"X-Dribble-{number}: {number}\r\n".encode()):
            return
        time.sleep(1)
    write(b"Content-Length: 0\r\nConnection: close\r\n\r\n")


def _endless(write: Write, status: bytes) -> None:
    head = (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    if not write(head + f"{len(ERROR_PAGE):x}\r\n".encode() + ERROR_PAGE + b"\r\n"):
        return
    chunk = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
    for _ in range(ENDLESS_BYTES // len(CHUNK)):
        if not write(chunk):
            return
    write(b"0\r\n\r\n")


def endless_error(write: Write) -> None:
    """A gateway error page that never ends, as fast as loopback carries it."""
    _endless(write, b"502 Bad Gateway")


def endless_ok(write: Write) -> None:
    _endless(write, b"200 OK")


def dribble_chunks(write: Write) -> None:
    """A chunked error body, ten small chunks a second, that would go on for MAX_SECONDS."""
    head = b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
    if not write(head):
        return
    while write(b"5\r\nslow \r\n"):
        time.sleep(0.1)


def slow_body(write: Write) -> None:
    """A valid Content-Length, honoured at 1 kB a second."""
    head = f"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {SLOW_BODY_BYTES}\r\n\r\n"
    if not write(head.encode()):
        return
    for _ in range(SLOW_BODY_BYTES // 100):
        if not write(b"y" * 100):
            return
        time.sleep(0.1)


ANSWERS: dict[str, Callable[[Write], None]] = {
    "/dribble-headers": dribble_headers,
    "/endless-error": endless_error,
    "/endless-ok": endless_ok,
    "/slow-body": slow_body,
    "/dribble-chunks": dribble_chunks,
}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, peer: Peer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.peer = peer

    def server_bind(self) -> None:
        # A small send buffer keeps the bytes "sent" close to the bytes the client took.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        super().server_bind()


@contextmanager
def broken_peer() -> Iterator[Peer]:
    peer = Peer(url="")
    server = _Server(peer)
    peer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
