"""An unhandled exception becomes a JSON 500 that CORS can decorate, and costs no connection.

Starlette's own ServerErrorMiddleware sits outside every user middleware, so its 500 carries no
CORS headers and the browser reports a CORS error instead. A second ServerErrorMiddleware inside
CORS fixes the headers but not the connection: it always re-raises after sending its 500 (so
that the server logs the traceback), and uvicorn answers an exception from the app by closing
the connection, without `Connection: close`. A proxy that keeps connections to the target, as an
ALB does, then sends the next request, often another user's, on a dead connection and answers it
with 502. This middleware logs the traceback itself, once and compactly, and returns normally,
so the server keeps the connection. Starlette offers no variant that does not re-raise.
"""

from __future__ import annotations

import logging
import traceback
from typing import Final

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.middleware.request_id import request_id_of

# The server's error log: a crash is reported where and how uvicorn reports its own errors.
log = logging.getLogger("uvicorn.error")

# Innermost frames kept per exception: where it was raised, not the middleware it crossed.
TRACEBACK_FRAMES: Final = 6
# A path is the caller's text: bounded and repr()'d, so it can neither flood nor forge log lines.
_PATH_CHARS: Final = 200


def describe_crash(scope: Scope, exc: Exception, outcome: str) -> str:
    """One log record: a summary line naming the request, then a short traceback."""
    path = str(scope.get("path", ""))[:_PATH_CHARS]
    summary = (
        f"unhandled {type(exc).__name__} in {scope.get('method')} {path!r} "
        f"(request {request_id_of(scope)}): {outcome}"
    )
    frames = traceback.format_exception(exc, limit=-TRACEBACK_FRAMES)
    return summary + "\n" + "".join(frames).rstrip()


class UnhandledErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = complete = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                complete = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the whole point: no exception reaches the server
            if not started:
                log.error(describe_crash(scope, exc, "answered 500"))
                response = JSONResponse({"detail": "Internal Server Error"}, status_code=500)
                await response(scope, receive, send)
            elif complete:
                # The caller already has its whole answer (a background task failed, say).
                log.error(describe_crash(scope, exc, "after the response was sent"))
            else:
                # Part of a response is out and nothing truthful can follow. Returning leaves it
                # incomplete, which makes the server close the connection: a truncated body must
                # never pass for a whole one on a reused connection.
                log.error(describe_crash(scope, exc, "mid-response; the connection is closed"))
