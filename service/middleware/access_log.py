"""One JSON line per HTTP request, carrying the ids that tie it to the gateway's log.

The line names the service's X-Request-ID (the one the response carries) and API Gateway's own
request id (which the gateway's access log records as $context.requestId and hands on in the
contract's header), so a single request can be followed from the gateway to the service and to
its crash record, if any. Whatever the caller controls (path, headers, a forwarded client
address) is cut to a bound and written through the json module's quoting: a newline, a quote or
bytes that are not UTF-8 can neither break the line nor forge another. The load balancer's
health checks come every few seconds; a passing one (200) is not logged, a failing one is.

RequestIdMiddleware (service.middleware.request_id) records each request when the app is done;
service.middleware.access_log_writer turns the records into lines and writes them.
"""

from __future__ import annotations

import time
from json.encoder import encode_basestring_ascii
from typing import Final

from starlette.types import Scope

from service.contract import GATEWAY_REQUEST_ID_HEADER

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


def _header(value: bytes | None, limit: int) -> str:
    # Not text (obs-text bytes, cut UTF-8) shows as \\xNN escapes instead of failing.
    if value is None:
        return "null"
    return _quote(value[:limit].decode("utf-8", "backslashreplace"))


# ".000Z" to ".999Z": a millisecond's text is looked up, not formatted, on every request.
_MILLISECONDS: Final = tuple(f".{n:03d}Z" for n in range(1000))


class _UtcClock:
    """ISO 8601 UTC with milliseconds; requests come many to a second, so each second's text
    is formatted once."""

    def __init__(self) -> None:
        self.second = -1
        self.text = ""

    def format(self, epoch: float) -> str:
        second = int(epoch)
        if second != self.second:
            self.text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self.second = second
        return self.text + _MILLISECONDS[int((epoch - second) * 1000)]


_clock: Final = _UtcClock()


def _gateway_id_from_event(scope: Scope) -> bytes | None:
    # As a Lambda function (mangum) there is no integration to set the header, but the
    # gateway's event carries the same id.
    event = scope.get("aws.event")
    if not isinstance(event, dict):
        return None
    found = (event.get("requestContext") or {}).get("requestId")
    return found.encode("utf-8", "backslashreplace") if isinstance(found, str) else None


def access_line(
    scope: Scope, *, request_id: str, started: float, duration: float, status: int, sent: int
) -> str:
    """The request's log line: one JSON object, no newline inside."""
    # Later duplicates win, as the gateway's header comes after any a caller sent.
    headers = dict(scope["headers"])
    gateway = headers.get(_GATEWAY_HEADER)
    if gateway is None:
        gateway = _gateway_id_from_event(scope)
    client = scope.get("client")
    # Written out rather than json-encoding a dict: a third of the cost per request, and the
    # bytes json.dumps writes for the fields (a test compares them), except that milliseconds
    # always have three places. Every string goes through the json module's own quoting.
    return (
        f'{{"time":"{_clock.format(started)}",'
        f'"method":{_quote(str(scope["method"])[:METHOD_CHARS])},'
        # As the app saw it: with the root path (the API stage) in front, without the query
        # string, which may carry what does not belong in a log.
        f'"path":{_quote(str(scope["path"])[:PATH_CHARS])},'
        f'"status":{int(status)},'
        f'"duration_ms":{duration * 1000:.3f},'
        f'"bytes":{int(sent)},'
        f'"request_id":{_quote(request_id)},'
        f'"gateway_request_id":{_header(gateway, GATEWAY_ID_BYTES)},'
        # After uvicorn applied the trusted proxies' X-Forwarded-For.
        f'"client":{_quote(str(client[0])[:CLIENT_CHARS]) if client else "null"},'
        f'"origin":{_header(headers.get(b"origin"), HEADER_BYTES)},'
        f'"user_agent":{_header(headers.get(b"user-agent"), HEADER_BYTES)}}}'
    )
