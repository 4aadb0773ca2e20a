"""Every response carries an X-Request-ID (the caller's, if it sent a sane one), and with an
access log every request leaves one line naming it.

Both live in the outermost layer because both must see every request, a CORS preflight too,
and each response's final status; and in one layer because every layer wraps `send` once more
for every request, which is what the service's own layers cost over a bare FastAPI app
(README: Benchmarks).
"""

from __future__ import annotations

import os
import time
from typing import Final, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.contract import HEALTH_PATH
from service.middleware.access_log_writer import AccessLog

REQUEST_ID_HEADER: Final = "X-Request-ID"
_HEADER_NAME: Final = REQUEST_ID_HEADER.lower().encode("ascii")
_MAX_LENGTH: Final = 128


def request_id_of(scope: Scope) -> str:
    """The request's id, for log lines ('-' outside RequestIdMiddleware)."""
    return str(scope.get("state", {}).get("request_id", "-"))


def _request_id(scope: Scope) -> bytes:
    # The last one, if a proxy added its own.
    incoming = dict(scope["headers"]).get(_HEADER_NAME, b"")
    if 0 < len(incoming) <= _MAX_LENGTH and incoming.isascii() and incoming.decode().isprintable():
        return bytes(incoming)
    # 128 random bits as 32 hex digits: uuid4().hex without the UUID object around them.
    return os.urandom(16).hex().encode("ascii")


class RequestIdMiddleware:
    """Gives each HTTP request an id, answers it in X-Request-ID and, given an access_log
    stream, writes the request's JSON line there when the app is done (a passing health
    check excepted)."""

    def __init__(self, app: ASGIApp, *, access_log: TextIO | None = None) -> None:
        self.app = app
        self.access_log = None if access_log is None else AccessLog(access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = _request_id(scope)
        request_id = value.decode("ascii")
        # Request.state reads scope["state"]: handlers and log lines can name the request.
        scope.setdefault("state", {})["request_id"] = request_id
        header = (_HEADER_NAME, value)
        access_log = self.access_log
        if access_log is None:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), header]
                await send(message)

            await self.app(scope, receive, send_with_id)
            return

        started = time.time()
        start = time.perf_counter()
        # If the app sends nothing, the server answers 500 (uvicorn, or Starlette's outermost
        # ServerErrorMiddleware when an exception gets that far).
        status = 500
        sent = 0

        async def send_with_id_observed(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id_observed)
        finally:
            duration = time.perf_counter() - start
            if status != 200 or scope["path"] != scope.get("root_path", "") + HEALTH_PATH:
                access_log.record(
                    scope,
                    request_id=request_id,
                    started=started,
                    duration=duration,
                    status=status,
                    sent=sent,
                )
