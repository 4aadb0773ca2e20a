"""Every response carries an X-Request-ID: the caller's, if it sent a sane one."""

from __future__ import annotations

import os
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER: Final = "X-Request-ID"
_MAX_LENGTH: Final = 128


def request_id_of(scope: Scope) -> str:
    """The request's id, for log lines ('-' outside RequestIdMiddleware)."""
    return str(scope.get("state", {}).get("request_id", "-"))


def _incoming_id(scope: Scope) -> bytes:
    found = b""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            found = value  # the last one, if a proxy added its own
    return bytes(found)


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _incoming_id(scope)
        sane = (
            0 < len(incoming) <= _MAX_LENGTH
            and incoming.isascii()
            and incoming.decode().isprintable()
        )
        # 128 random bits as 32 hex digits: uuid4().hex without the UUID object around them.
        value = incoming if sane else os.urandom(16).hex().encode()
        # Request.state reads scope["state"]: handlers and log lines can name the request.
        scope.setdefault("state", {})["request_id"] = value.decode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", value)]
            await send(message)

        await self.app(scope, receive, send_with_id)
