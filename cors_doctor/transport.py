"""The network side: one HTTP exchange at a time, never following redirects on its own.

httpx must not follow redirects or retry: the doctor has to see every hop the browser would see,
including the ones that lose the CORS headers. Each exchange has one deadline and reads a
bounded prefix of the body, so a hostile or broken server can neither stall nor flood it.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import zlib
from collections.abc import AsyncGenerator, Iterator, Mapping
from contextlib import aclosing, contextmanager
from typing import cast
from urllib.parse import urljoin, urlsplit

import httpx

from cors_doctor.model import Hop

_BODY_SNIPPET = 120
# Only error answers' bodies are read, and only this much: the doctor quotes their first
# _BODY_SNIPPET characters of text, which gateways and proxies put within the first few hundred
# bytes. 64 KiB leaves room for markup and inline CSS before the words, and is all the memory an
# endless or huge body can cost.
BODY_CAP = 64 * 1024
_TAG = re.compile(r"<[^>]*>")
# httpx asks for gzip and deflate; both have zlib headers that wbits=32+15 detects.
_ZLIB_ENCODINGS = {"gzip", "x-gzip", "deflate"}


class NetworkError(Exception):
    """The request got no HTTP answer; str() is one line fit for a terminal."""


class Session:
    """The connections of one run. Every exchange (connect, TLS, headers, body) has one deadline.

    httpx's timeouts bound each read, so a server sending a header line a second never trips
    them. The exchange runs on an event loop under asyncio.timeout instead, which cancels it
    wherever it waits.
    """

    def __init__(self, *, timeout: float, verify: ssl.SSLContext | bool) -> None:
        self.timeout = timeout
        self._runner = asyncio.Runner()
        # trust_env=False: a proxy from the environment could add or strip exactly the headers
        # under test, and the verdict must be about the server, not about this machine's proxy.
        # No keep-alive: a server that closes the connection after an error (uvicorn does after
        # an unhandled exception) would otherwise fail the next exchange on the reused socket.
        self._transport = httpx.AsyncHTTPTransport(
            verify=verify, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0)
        )
        # The client only builds requests (httpx's usual headers); they go straight to the
        # transport, because the client parses every Location, even one it will not follow, and
        # fails the exchange on one it cannot parse: for the doctor that is a finding.
        self._client = httpx.AsyncClient(
            timeout=timeout, trust_env=False, transport=self._transport
        )

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._runner.run(asyncio.wait_for(self._client.aclose(), self.timeout))
        except (TimeoutError, httpx.HTTPError):
            pass  # nothing is left to report, and the process is about to end
        finally:
            self._runner.close()

    def exchange(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], str]:
        """Status, header lines (lower-case names) and an error page's first words.

        Raises TimeoutError when the deadline passes, httpx errors for everything else.
        """
        return self._runner.run(self._exchange(method, url, headers, body))

    async def _exchange(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], str]:
        async with asyncio.timeout(self.timeout):
            request = self._client.build_request(method, url, headers=dict(headers), content=body)
            response = await self._transport.handle_async_request(request)
            try:
                text = ""
                if response.status_code >= 400:
                    raw = await _read_prefix(response, BODY_CAP)
                    text = _snippet(_decoded(raw, response, BODY_CAP), response.charset_encoding)
                return response.status_code, list(response.headers.multi_items()), text
            finally:
                await response.aclose()  # closes the connection: the rest is never read

    def fetch_document(self, url: str, limit: int) -> tuple[int, bytes | None]:
        """Status and decoded body of a GET for a document (an OpenAPI schema, say).

        At most limit + 1 bytes are kept, so the caller can tell a document that is too large;
        the body is None if it came in an encoding the doctor did not ask for.
        """
        return self._runner.run(self._fetch_document(url, limit + 1))

    async def _fetch_document(self, url: str, keep: int) -> tuple[int, bytes | None]:
        async with asyncio.timeout(self.timeout):
            headers = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate"}
            request = self._client.build_request("GET", url, headers=headers)
            response = await self._transport.handle_async_request(request)
            try:
                raw = await _read_prefix(response, keep)
                return response.status_code, _decoded(raw, response, keep)
            finally:
                await response.aclose()


async def _read_prefix(response: httpx.Response, limit: int) -> bytes:
    kept = bytearray()
    # aiter_raw is an async generator (typed as an iterator); closing it ends the read at once.
    raw = cast(AsyncGenerator[bytes, None], response.aiter_raw())
    async with aclosing(raw) as chunks:
        async for chunk in chunks:
            kept += chunk[: limit - len(kept)]
            if len(kept) >= limit:
                break
    return bytes(kept)


def _decoded(raw: bytes, response: httpx.Response, limit: int) -> bytes | None:
    """The body without its Content-Encoding, at most limit bytes; None if it cannot be undone."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in _ZLIB_ENCODINGS:
        try:
            # max_length: a small compressed prefix must not expand into a large body.
            return zlib.decompressobj(32 + zlib.MAX_WBITS).decompress(raw, limit)
        except zlib.error:
            return None
    if encoding not in {"", "identity"}:
        return None  # an encoding httpx did not ask for; the status and headers still speak
    return raw


def _snippet(raw: bytes | None, charset: str | None) -> str:
    """Error pages from gateways and proxies name the real culprit; tags only add noise."""
    if raw is None:
        return ""
    try:
        text = raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = raw.decode("utf-8", errors="replace")
    return " ".join(_TAG.sub(" ", text).split())[:_BODY_SNIPPET]


def tls_context(*, cacert: str | None, insecure: bool) -> ssl.SSLContext | bool:
    if insecure:
        return False
    if cacert:
        try:
            return ssl.create_default_context(cafile=cacert)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError; ValueError: NUL
            raise NetworkError(f"cannot load CA file {cacert!r}: {exc}") from None
    return True


def send(
    session: Session,
    *,
    kind: str,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
) -> Hop:
    """One exchange as a Hop; a request that got no HTTP answer raises NetworkError."""
    with _network_errors(url, session.timeout):
        status, lines, text = session.exchange(method, url, headers, body)
    return Hop(
        kind=kind,
        method=method,
        url=url,
        request_headers=dict(headers),
        status=status,
        headers=lines,
        body=text,
    )


def fetch_document(session: Session, url: str, limit: int) -> tuple[int, bytes | None]:
    """Session.fetch_document, with a network failure as NetworkError."""
    with _network_errors(url, session.timeout):
        return session.fetch_document(url, limit)


@contextmanager
def _network_errors(url: str, timeout: float) -> Iterator[None]:
    """Turn every way an exchange can fail without an HTTP answer into one NetworkError line."""
    problem = url_problem(url)
    if problem:
        raise NetworkError(f"cannot request {url!r}: {problem}")
    try:
        yield
    except TimeoutError:
        raise NetworkError(timed_out(url, timeout)) from None
    except httpx.HTTPError as exc:
        raise NetworkError(describe_error(exc, url, timeout)) from None


def timed_out(url: str, timeout: float) -> str:
    return (
        f"timed out after {timeout:g}s waiting for {url} to answer in full "
        "(raise --timeout if it is just slow)"
    )


def url_problem(url: str) -> str | None:
    """Why this URL cannot be requested, in a few words, or None if it can."""
    try:
        parts = urlsplit(url)
        _ = parts.port
        url.encode("utf-8")  # undecodable bytes from the command line arrive as surrogates
        httpx.URL(url)
        # The resolver's own check (labels of 1-63 characters); it raises inside httpx otherwise.
        (parts.hostname or "").encode("idna")
    except (ValueError, httpx.InvalidURL) as exc:  # UnicodeError is a ValueError
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def resolve_location(base: str, location: str | None) -> str | None:
    """Where a Location header points, or None if it is missing or no URL a browser could follow."""
    if not location:
        return None
    try:
        target = urljoin(base, location)
    except ValueError:
        return None
    return None if url_problem(target) else target


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_error(exc: httpx.HTTPError, url: str, timeout: float) -> str:
    """Name the network failure in one line: DNS, refused, TLS, timeout or other."""
    parts = urlsplit(url)
    where = parts.netloc or url
    if isinstance(exc, httpx.TimeoutException):
        return timed_out(url, timeout)
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
