"""The local stack's only stand-in for AWS Lambda itself: HTTP in, a REST (v1) proxy event to the
real handler (`service.lambda_handler.handler`), its answer back out as HTTP.

API Gateway builds the event from the request and turns the function's result into the
response; this does the same, no more: one request at a time (one execution environment), the
stage taken off the path into `requestContext.stage`, bodies passed as base64, every header value
kept (`multiValueHeaders`). Everything else in the chain is real: nginx plays the gateway's HTTPS
endpoint and its own errors, the handler is the bundle's code.

Run: python -m devstack.lambda_shim (port and stage from UVICORN_PORT and LAMBDA_SHIM_STAGE).
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from service.contract import Env

STAGE_ENV: Final = "LAMBDA_SHIM_STAGE"
_ONE_AT_A_TIME = threading.Lock()


def request_event(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes, *, stage: str, peer: str
) -> dict[str, Any]:
    """The REST API proxy event for one HTTP request (as API Gateway sends it to Lambda)."""
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": parts.path or "/",
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": (parts.path or "/").lstrip("/")},
        "requestContext": {
            "stage": stage,
            "requestId": request_id,
            "httpMethod": method,
            "path": f"/{stage}{parts.path}",
            "domainName": multi_headers.get("Host", ["127.0.0.1"])[-1],
            "identity": {"sourceIp": peer},
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def response_parts(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the function's proxy result."""
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(value)) for value in values]
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return int(result["statusCode"]), headers, body


class _Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stage = "v1"
    handler: Any = None

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        event = request_event(
            self.command,
            self.path,
            list(self.headers.items()),
            body,
            stage=self.stage,
            peer=self.client_address[0],
        )
        with _ONE_AT_A_TIME:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                result = self.handler(event, None)
            finally:
                asyncio.set_event_loop(None)
                loop.close()
        status, headers, payload = response_parts(result)
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in {"content-length", "connection"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the service writes its own JSON line per request


def main() -> None:
    from service.lambda_handler import handler  # the real handler, as the bundle has it

    _Gateway.handler = staticmethod(handler)
    _Gateway.stage = os.environ.get(STAGE_ENV, "v1")
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ[Env.PORT])), _Gateway)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
