r"""Input the service cannot accept gets a 4xx that is always encodable and never echoes much.

Python's json module accepts NaN, Infinity and -Infinity, turns 1e400 into inf, and decodes
"\ud800" into a lone surrogate; FastAPI's 422 handler (or the response, if the value was
valid) then fails to encode the value and the caller gets a 500. Here all of them are invalid
JSON (RFC 8259 has no such numbers; a lone surrogate is no Unicode text), which FastAPI answers
with its usual 422 `json_invalid`; so are bytes that are not UTF-8 and nesting too deep for the
parser, which FastAPI would answer with an unexplained 400. Every 422 repeats at most
ECHO_LIMIT characters of any input value, so an oversized field cannot make an oversized error.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any, Final

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

# The most characters of a caller's input (or of its JSON text) an error response repeats.
ECHO_LIMIT: Final = 100
_ELLIPSIS: Final = "…"
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")


def _position(doc: str, token: str) -> int:
    # The decoder does not tell a hook where it is; the first occurrence is nearly always it.
    return max(doc.find(token), 0)


def loads_strict(body: bytes) -> Any:
    """json.loads, except that non-finite and out-of-range numbers are a JSONDecodeError."""
    # The same decoding json.loads applies to bytes (UTF-8, or UTF-16/32 by their BOM-less form).
    encoding = json.detect_encoding(body)
    try:
        doc = body.decode(encoding, "surrogatepass")
    except UnicodeDecodeError as exc:
        doc = body.decode(encoding, "replace")
        at = len(body[: exc.start].decode(encoding, "replace"))
        message = f"byte {body[exc.start]:#04x} at offset {exc.start} is not {encoding} text"
        raise json.JSONDecodeError(message, doc, at) from None

    def constant(name: str) -> Any:
        raise json.JSONDecodeError(f"{name} is not a JSON number", doc, _position(doc, name))

    def finite(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            message = f"number {text[:20]} is out of range"
            raise json.JSONDecodeError(message, doc, _position(doc, text))
        return value

    def integer(text: str) -> int:
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            message = f"integer of {len(text)} digits is out of range"
            raise json.JSONDecodeError(message, doc, _position(doc, text)) from None

    try:
        value = json.loads(doc, parse_constant=constant, parse_float=finite, parse_int=integer)
    except RecursionError:
        # Else FastAPI's catch-all answers a bare 400 "error parsing the body".
        raise json.JSONDecodeError("arrays or objects are nested too deeply", doc, 0) from None
    _refuse_lone_surrogates(value, doc)
    return value


def _refuse_lone_surrogates(value: Any, doc: str) -> None:
    # json has no hook for strings: walk what it built (iteratively: nesting may be deep).
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and (found := _SURROGATE.search(item)):
            escape = f"\\u{ord(found.group()):04x}"
            message = f"string holds a lone surrogate ({escape}), which is not Unicode text"
            raise json.JSONDecodeError(message, doc, _position(doc.lower(), escape))


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_strict(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """An APIRoute whose handler parses JSON bodies with loads_strict (FastAPI's documented way
    to customise the Request a route sees). Every router of the service uses it; a route that
    takes no body keeps FastAPI's handler as it is, at no cost per request."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


def _str(value: Any) -> str:
    try:
        return str(value)
    except ValueError:  # an int too long to print
        return f"<{type(value).__name__}>"


def echo(value: Any) -> Any:
    """value itself if its JSON text is short, else that text cut to ECHO_LIMIT characters."""
    if isinstance(value, str):
        return value if len(value) <= ECHO_LIMIT else value[:ECHO_LIMIT] + _ELLIPSIS
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        # Not JSON (nan, bytes, an exception object in ctx, a huge int): its str(), bounded.
        return echo(_str(value))
    if len(text) <= ECHO_LIMIT:
        return value
    return text[:ECHO_LIMIT] + _ELLIPSIS


def _bounded(error: dict[str, Any]) -> dict[str, Any]:
    bounded: dict[str, Any] = {
        "type": error["type"],
        "loc": [echo(part) for part in error["loc"]],
        "msg": echo(error["msg"]),
        "input": echo(error.get("input")),
    }
    if error.get("ctx"):
        bounded["ctx"] = {key: echo(value) for key, value in error["ctx"].items()}
    return bounded


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 (same shape), with every echoed value bounded and always encodable."""
    if not isinstance(exc, RequestValidationError):  # registered for that class only
        raise exc
    return JSONResponse({"detail": [_bounded(error) for error in exc.errors()]}, status_code=422)
