"""The network side: one HTTP exchange at a time, never following redirects on its own.

httpx must not follow redirects or retry: the doctor has to see every hop the browser would see,
including the ones that lose the CORS headers.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

# Only these response headers matter for CORS; the JSON report keeps them per hop.
CORS_RESPONSE_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "vary",
    "location",
)
_BODY_SNIPPET = 120
_TAG = re.compile(r"<[^>]*>")


class NetworkError(Exception):
    """The request got no HTTP answer; str() is one line fit for a terminal."""


@dataclass(frozen=True)
class Hop:
    """One request the doctor sent and the answer it got."""

    kind: str  # "preflight", "request" or "probe"
    method: str
    url: str
    request_headers: dict[str, str]
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)  # lower-case names, in order
    body: str = ""

    def values(self, name: str) -> list[str]:
        """Every header line with this name: two lines mean two layers set it."""
        return [value for key, value in self.headers if key == name]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    @property
    def origin(self) -> str:
        return self.request_headers.get("Origin", "")

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status < 400

    def to_json(self) -> dict[str, object]:
        cors: dict[str, list[str]] = {}
        for key, value in self.headers:
            if key in CORS_RESPONSE_HEADERS:
                cors.setdefault(key, []).append(value)
        return {
            "kind": self.kind,
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "status": self.status,
            "cors_headers": cors,
        }


def make_client(*, timeout: float, verify: ssl.SSLContext | bool) -> httpx.Client:
    # trust_env=False: a proxy from the environment could add or strip exactly the headers under
    # test, and the verdict must be about the server, not about this machine's proxy.
    # No keep-alive: a server that closes the connection after an error (uvicorn does after an
    # unhandled exception) would otherwise fail the next exchange on the reused socket.
    return httpx.Client(
        timeout=timeout,
        verify=verify,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def tls_context(*, cacert: str | None, insecure: bool) -> ssl.SSLContext | bool:
    if insecure:
        return False
    if cacert:
        try:
            return ssl.create_default_context(cafile=cacert)
        except (OSError, ssl.SSLError) as exc:
            raise NetworkError(f"cannot load CA file {cacert}: {exc}") from None
    return True


def send(
    client: httpx.Client,
    *,
    kind: str,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
) -> Hop:
    try:
        response = client.request(method, url, headers=dict(headers), content=body)
    except httpx.HTTPError as exc:
        raise NetworkError(describe_error(exc, url, client.timeout.read)) from None
    text = ""
    if response.status_code >= 400 and response.content:
        # Error pages from gateways and proxies name the real culprit; tags only add noise.
        text = " ".join(_TAG.sub(" ", response.text).split())[:_BODY_SNIPPET]
    return Hop(
        kind=kind,
        method=method,
        url=url,
        request_headers=dict(headers),
        status=response.status_code,
        headers=list(response.headers.multi_items()),
        body=text,
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_error(exc: httpx.HTTPError, url: str, timeout: float | None) -> str:
    """Name the network failure in one line: DNS, refused, TLS, timeout or other."""
    parts = urlsplit(url)
    where = parts.netloc or url
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout}s waiting for {url} (raise --timeout if it is just slow)"
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or str(cause)
            return (
                f"TLS error talking to {where}: certificate verify failed ({reason}); "
                "for a private CA pass --cacert FILE, or --insecure to skip verification"
            )
        if isinstance(cause, ssl.SSLError):
            if cause.reason == "WRONG_VERSION_NUMBER":
                return f"TLS error talking to {where}: it does not speak TLS (plain http://?)"
            return f"TLS error talking to {where}: {cause.reason or cause}"
        if isinstance(cause, socket.gaierror):
            return f"DNS failure: cannot resolve host {parts.hostname!r}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {where}: nothing is listening there"
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS error talking to {where}: {text}; pass --cacert FILE or --insecure"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return f"DNS failure: cannot resolve host {parts.hostname!r}"
    if "Connection refused" in text or "Errno 111" in text:
        return f"connection refused by {where}: nothing is listening there"
    first_line = text.splitlines()[0] if text.splitlines() else text
    return f"network error talking to {where}: {first_line}"
