"""Refuse request bodies over a limit with 413, while they arrive, without buffering them.

A declared Content-Length over the limit is refused before any of the body is read. A chunked
body is counted as the app reads it; the read that crosses the limit raises an HTTPException,
which the framework turns into the same 413 (FastAPI re-raises HTTPExceptions from body
parsing). The server buffers at most its read-ahead (uvicorn: 64 KiB) beyond what the app has
read, and drops the unread rest of a refused body, keeping the connection for the next request.
Sitting inside CORSMiddleware, the 413 carries CORS headers and the page can read it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"request body is larger than the limit of {limit} bytes")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed Content-Length itself
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            refusal = BodyTooLarge(limit)
            response = JSONResponse({"detail": refusal.detail}, status_code=refusal.status_code)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)
