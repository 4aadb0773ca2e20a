"""The WHATWG Fetch standard's CORS rules, as tables and small pure functions.

Nothing here talks to the network: these are the facts a browser applies before and between
exchanges (when to preflight, what a redirect does to the method and the Origin, what counts as
mixed content). The judges and the driver build on them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from service.contract import DEFAULT_PORTS

# Fetch follows up to 20; an API needs one or two, so ten already means a loop and halves the
# time the doctor spends walking it.
MAX_REDIRECTS = 10

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# Names a page can never set (Fetch "forbidden request-header"): the browser owns them.
FORBIDDEN_HEADERS = frozenset(
    {
        "accept-charset", "accept-encoding", "access-control-request-headers",
        "access-control-request-method", "connection", "content-length", "cookie", "cookie2",
        "date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te",
        "trailer", "transfer-encoding", "upgrade", "via",
    }
)  # fmt: skip
FORBIDDEN_HEADER_PREFIXES = ("proxy-", "sec-")
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
# Fetch drops these from a request whose method a redirect turned into GET.
BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
_SIMPLE_RANGE = re.compile(r"^bytes=\d*-\d*$")
_LANGUAGE_VALUE = re.compile(r"^[0-9A-Za-z *,\-.;=]*$")
_UNSAFE_BYTES = set('"():<>?@[\\]{}\x7f') | {chr(c) for c in range(0x20) if c != 0x09}


def is_forbidden_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in FORBIDDEN_HEADERS or lowered.startswith(FORBIDDEN_HEADER_PREFIXES)


def is_safelisted_header(name: str, value: str) -> bool:
    """Fetch's CORS-safelisted request-header: these never trigger a preflight."""
    name = name.lower()
    if len(value) > 128:
        return False
    if name == "accept":
        return not any(char in _UNSAFE_BYTES for char in value)
    if name in {"accept-language", "content-language"}:
        return bool(_LANGUAGE_VALUE.match(value))
    if name == "content-type":
        essence = value.split(";", 1)[0].strip().lower()
        return essence in SIMPLE_CONTENT_TYPES and not any(c in _UNSAFE_BYTES for c in value)
    if name == "range":
        return bool(_SIMPLE_RANGE.match(value.strip())) and value.strip() != "bytes=-"
    return False


def unsafe_header_names(headers: dict[str, str]) -> list[str]:
    """What the browser lists in Access-Control-Request-Headers: sorted, lower-case."""
    return sorted(
        {name.lower() for name, value in headers.items() if not is_safelisted_header(name, value)}
    )


def needs_preflight(method: str, headers: dict[str, str]) -> bool:
    # Credentials alone never force a preflight: a credentialed GET is still a simple request.
    return method.upper() not in SAFELISTED_METHODS or bool(unsafe_header_names(headers))


def preflight_headers(origin: str, method: str, headers: dict[str, str]) -> dict[str, str]:
    """The request headers of the OPTIONS the browser sends before a non-simple request."""
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    unsafe = unsafe_header_names(headers)
    if unsafe:
        sent["Access-Control-Request-Headers"] = ",".join(unsafe)
    return sent


def split_values(lines: list[str]) -> list[str]:
    """The items of a comma-separated header, over all of its lines."""
    return [item.strip() for line in lines for item in line.split(",") if item.strip()]


def after_redirect(
    method: str, status: int, headers: dict[str, str], body: bytes | None
) -> tuple[str, dict[str, str], bytes | None]:
    """The method, headers and body the browser sends to where a redirect points."""
    # 301/302 turn POST into GET, 303 turns everything but GET/HEAD into GET, and the body and
    # its headers are dropped; 307/308 keep both.
    if (status in {301, 302} and method == "POST") or (
        status == 303 and method not in {"GET", "HEAD"}
    ):
        kept = {k: v for k, v in headers.items() if k.lower() not in BODY_HEADERS}
        return "GET", kept, None
    return method, headers, body


def origin_tuple(url: str) -> tuple[str, str | None, int | None]:
    """Scheme, host and port, the default port filled in: two URLs are same-origin if equal."""
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme)


def origin_after_redirect(sent_origin: str, page_origin: str, url: str, target: str) -> str:
    """The Origin the browser sends to target, after url redirected there."""
    # Fetch taints the origin when a cross-origin request is redirected to yet another origin;
    # from then on the browser sends 'Origin: null'.
    here = origin_tuple(url)
    if origin_tuple(target) != here and here != origin_tuple(page_origin):
        return "null"
    return sent_origin


def is_mixed_content(page_origin: str, url: str) -> bool:
    """An https page may not fetch http URLs at all; loopback hosts are the exception."""
    target = urlsplit(url)
    if not page_origin.startswith("https://") or target.scheme != "http":
        return False
    host = (target.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost") or host == "::1":
        return False
    return not (host.startswith("127.") and host.replace(".", "").isdigit())
