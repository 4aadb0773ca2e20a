"""One JSON line per HTTP request, carrying the ids that tie it to the gateway's log.

The line names the service's X-Request-ID (the one the response carries) and API Gateway's own
request id (which the gateway's access log records as $context.requestId and hands on in the
contract's header), so a single request can be followed from the gateway to the service and to
its crash record, if any. Whatever the caller controls (path, headers, a forwarded client
address) is cut to a bound and written through the json module: a newline, a quote or bytes that
are not UTF-8 can neither break the line nor forge another. The load balancer's health checks
come every few seconds; a passing one (200) is not logged, a failing one is.

The line is built once, when the app is done, and written to the stream the entry point gives
(stdout in the container, which the awslogs driver ships) with one write. It does not go through
a logging.Logger: a LogRecord and its handler cost as much again as building the line (13 us per
request in-process written directly, 26 us through a Logger; README, Request log), and the
line's only destination is the stream. LOG_LEVEL still decides: above info, the entry point adds
no access log at all (service.app).
"""

from __future__ import annotations

import functools
import time
from json.encoder import encode_basestring_ascii
from typing import Final, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.contract import GATEWAY_REQUEST_ID_HEADER, HEALTH_PATH
from service.middleware.request_id import request_id_of

# Bounds on caller-controlled text, in characters (path, method, client) or bytes (headers).
PATH_CHARS: Final = 512
METHOD_CHARS: Final = 16
CLIENT_CHARS: Final = 64  # an IPv6 address has at most 45; a forwarded one is the caller's text
HEADER_BYTES: Final = 256
GATEWAY_ID_BYTES: Final = 128

_GATEWAY_HEADER: Final = GATEWAY_REQUEST_ID_HEADER.lower().encode("ascii")
# The json module's ASCII quoting (what json.dumps uses by default): every control and
# non-ASCII character is escaped, so a line stays one line whatever the caller sent.
_quote: Final = encode_basestring_ascii


def _text(value: bytes | None, limit: int) -> str | None:
    # Not text (obs-text bytes, cut UTF-8) shows as \\xNN escapes instead of failing.
    return None if value is None else value[:limit].decode("utf-8", "backslashreplace")


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    # Requests come many to a second: format each second once.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def _utc(epoch: float) -> str:
    second = int(epoch)
    return f"{_utc_second(second)}.{int((epoch - second) * 1000):03d}Z"


def _gateway_id_from_event(scope: Scope) -> bytes | None:
    # As a Lambda function (mangum) there is no integration to set the header, but the
    # gateway's event carries the same id.
    event = scope.get("aws.event")
    if not isinstance(event, dict):
        return None
    found = (event.get("requestContext") or {}).get("requestId")
    return found.encode("utf-8", "backslashreplace") if isinstance(found, str) else None


def _string(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def access_line(scope: Scope, *, started: float, duration: float, status: int, sent: int) -> str:
    """The request's log line: one JSON object, no newline inside."""
    origin = agent = gateway = None
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value
        elif name == b"user-agent":
            agent = value
        elif name == _GATEWAY_HEADER:
            gateway = value  # the last one: the gateway's, if a caller sent its own first
    if gateway is None:
        gateway = _gateway_id_from_event(scope)
    client = scope.get("client")
    # Written out rather than json-encoding a dict: half the cost per request, and the same
    # bytes (a test compares them with json.dumps of the fields). Every string goes through
    # the json module's own quoting; the numbers are ints and a float's repr.
    return (
        f'{{"time":"{_utc(started)}",'
        f'"method":{_quote(str(scope["method"])[:METHOD_CHARS])},'
        # As the app saw it: with the root path (the API stage) in front, without the query
        # string, which may carry what does not belong in a log.
        f'"path":{_quote(str(scope["path"])[:PATH_CHARS])},'
        f'"status":{int(status)},'
        f'"duration_ms":{round(duration * 1000, 3)!r},'
        f'"bytes":{int(sent)},'
        f'"request_id":{_quote(request_id_of(scope))},'
        f'"gateway_request_id":{_string(_text(gateway, GATEWAY_ID_BYTES))},'
        # After uvicorn applied the trusted proxies' X-Forwarded-For.
        f'"client":{_string(str(client[0])[:CLIENT_CHARS] if client else None)},'
        f'"origin":{_string(_text(origin, HEADER_BYTES))},'
        f'"user_agent":{_string(_text(agent, HEADER_BYTES))}}}'
    )


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, *, stream: TextIO) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.time()
        start = time.perf_counter()
        # If the app sends nothing, the server answers 500 (uvicorn, or Starlette's outermost
        # ServerErrorMiddleware when an exception gets that far).
        status = 500
        sent = 0

        async def observing_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            duration = time.perf_counter() - start
            if status != 200 or scope["path"] != scope.get("root_path", "") + HEALTH_PATH:
                line = access_line(
                    scope, started=started, duration=duration, status=status, sent=sent
                )
                self._write(line)

    def _write(self, line: str) -> None:
        try:
            # One write per line: lines of concurrent requests never interleave.
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            # A log that cannot be written (stdout closed) must not turn an answered request
            # into an exception the server closes the connection over; logging drops it too.
            pass
