"""The contract between the infrastructure and the service.

The CDK app and the service both import this module, so the environment-variable names, the way
list values are encoded, the rules an origin must follow and the container's command line are
defined once and cannot drift apart. It uses only the standard library on purpose: the CDK app
imports it without pulling in the service's web stack.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit


class Env:
    """Names of the environment variables the container reads."""

    ALLOW_ORIGINS: Final = "CORS_ALLOW_ORIGINS"
    ALLOW_ORIGIN_REGEX: Final = "CORS_ALLOW_ORIGIN_REGEX"
    ALLOW_CREDENTIALS: Final = "CORS_ALLOW_CREDENTIALS"
    ALLOW_METHODS: Final = "CORS_ALLOW_METHODS"
    ALLOW_HEADERS: Final = "CORS_ALLOW_HEADERS"
    EXPOSE_HEADERS: Final = "CORS_EXPOSE_HEADERS"
    MAX_AGE: Final = "CORS_MAX_AGE"
    LOG_LEVEL: Final = "LOG_LEVEL"
    # Closed by default: each is served only when its variable says true.
    DIAGNOSTICS_ENABLED: Final = "DIAGNOSTICS_ENABLED"
    DEMO_ROUTES_ENABLED: Final = "DEMO_ROUTES_ENABLED"
    API_DOCS_ENABLED: Final = "API_DOCS_ENABLED"
    MAX_BODY_BYTES: Final = "MAX_BODY_BYTES"
    # Read by uvicorn itself (its CLI maps UVICORN_<OPTION> to each option, and reads
    # FORWARDED_ALLOW_IPS for --forwarded-allow-ips), so the command line stays fixed.
    FORWARDED_ALLOW_IPS: Final = "FORWARDED_ALLOW_IPS"
    HOST: Final = "UVICORN_HOST"
    PORT: Final = "UVICORN_PORT"
    GRACEFUL_SHUTDOWN_SECONDS: Final = "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN"
    KEEP_ALIVE_SECONDS: Final = "UVICORN_TIMEOUT_KEEP_ALIVE"
    # The path prefix the public sees in front of every route (an API Gateway stage, '/v1'),
    # which the gateway strips before forwarding. uvicorn makes it the ASGI root_path and
    # prefixes each request's path with it, so /docs loads '/v1/openapi.json'.
    ROOT_PATH: Final = "UVICORN_ROOT_PATH"


# The one definition of how the container starts the server. The Dockerfile's CMD must equal it
# (a test compares the built image's Cmd), the task definition passes it as the container
# command, and the tests start real servers with it. Host, port, trusted proxies and the
# shutdown timeout come from the environment (see Env) so that this line never changes between
# environments.
# uvicorn's access log is off: the service writes its own line per request (JSON, with the
# request ids), and two lines per request would double the log bill and the noise.
SERVER_COMMAND: Final[tuple[str, ...]] = (
    "uvicorn",
    "service.app:create_app",
    "--factory",
    "--proxy-headers",
    "--no-server-header",
    "--no-access-log",
)

CONTAINER_PORT: Final = 8000
HEALTH_PATH: Final = "/healthz"
DEFAULT_GRACEFUL_SHUTDOWN_SECONDS: Final = 20
# An ALB keeps idle connections to targets for 60 s; uvicorn closes them after 5 s by default,
# and a request the ALB sends on a connection uvicorn just closed becomes a 502. The target must
# outlive the load balancer's idle timeout.
KEEP_ALIVE_SECONDS: Final = 65
# The largest request body the service reads; a larger one is refused with 413 while it is still
# arriving. API Gateway forwards up to 10 MiB, so a higher limit could never be reached.
DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024
MAX_BODY_BYTES_LIMIT: Final = 10 * 1024 * 1024

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token: methods, header names
# What a browser serializes as an origin's host: a lower-case DNS name or IPv4 address (IDNs
# arrive as punycode), or a bracketed IPv6 address.
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
DEFAULT_PORTS = {"http": 80, "https": 443}
# A root path: '/'-separated segments of URL path characters (RFC 3986 pchar, unescaped).
_ROOT_PATH = re.compile(r"^(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$")


def encode_list(values: Iterable[str]) -> str:
    """Encode a list for one environment variable (comma-separated, as humans write it)."""
    items = list(values)
    for item in items:
        if "," in item:
            raise ValueError(f"list item {item!r} contains a comma")
    return ",".join(items)


def parse_list(raw: str) -> list[str]:
    """Parse what encode_list wrote; blanks around items and empty items are dropped."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{raw!r} is not a boolean (use true or false)")


def encode_bool(value: bool) -> str:
    return "true" if value else "false"


def validate_origin(origin: str) -> str:
    """Return the origin unchanged if a browser could send it as an Origin header, else raise.

    A browser's Origin is scheme://host[:port] and nothing else. A trailing slash or a path can
    never match, so configuring one silently disables CORS for that site.
    """
    if origin == "*":
        return origin
    if origin != origin.strip() or not origin:
        raise ValueError(f"origin {origin!r} is empty or has surrounding spaces")
    if origin == "null":
        raise ValueError("origin 'null' (sandboxed frames, file:// pages) must never be trusted")
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"origin {origin!r} is not a valid URL ({exc})") from None
    if parts.scheme not in {"http", "https"} or "://" not in origin:
        raise ValueError(f"origin {origin!r} must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"origin {origin!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"origin {origin!r} must not contain user info")
    if parts.path or parts.query or parts.fragment or origin.endswith(("?", "#")):
        bare = f"{parts.scheme}://{parts.netloc}"
        raise ValueError(
            f"origin {origin!r} has a path, query or trailing slash; an origin is only "
            f"scheme://host[:port], e.g. {bare!r}"
        )
    if origin != origin.lower():
        raise ValueError(f"origin {origin!r} must be lower-case, as browsers send it")
    if port is not None and f":{port}" not in parts.netloc:
        raise ValueError(f"origin {origin!r} has a malformed port")
    bare_host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if not (_HOST.match(bare_host) or _is_bracketed_ipv6(bare_host)):
        raise ValueError(
            f"origin {origin!r} has an invalid host (wildcards are not origins; use an origin "
            "regex for patterns)"
        )
    if port is not None and port == DEFAULT_PORTS[parts.scheme]:
        raise ValueError(
            f"origin {origin!r} names the default port, which browsers never send; use "
            f"'{parts.scheme}://{bare_host}'"
        )
    return origin


def _is_bracketed_ipv6(host: str) -> bool:
    if not (host.startswith("[") and host.endswith("]")):
        return False
    try:
        ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        return False
    return True


def validate_origins(origins: Iterable[str]) -> list[str]:
    checked = [validate_origin(origin) for origin in origins]
    if "*" in checked and len(checked) > 1:
        raise ValueError("'*' allows every origin; list it alone or list origins without it")
    return checked


def validate_cors_policy(
    *, origins: Iterable[str], allow_credentials: bool, origin_regex: str | None
) -> None:
    """The rules that combine settings; the service and the CDK config both enforce them."""
    origins = list(origins)
    if allow_credentials and "*" in origins:
        raise ValueError(
            "'*' together with credentials would let every website make credentialed "
            "requests; list the allowed origins explicitly"
        )
    if allow_credentials and not origins and not origin_regex:
        raise ValueError(
            "credentials are allowed but no origin is; list at least one origin or turn "
            "credentials off"
        )


def validate_token(value: str, *, what: str) -> str:
    if value == "*" or _TOKEN.match(value):
        return value
    raise ValueError(f"{what} {value!r} is not a valid HTTP token")


def validate_networks(raw: str) -> str:
    """Check a FORWARDED_ALLOW_IPS value: IP addresses or CIDRs; never '*' (trust anyone)."""
    items = parse_list(raw)
    if not items:
        raise ValueError("no trusted proxy network given")
    for item in items:
        if item == "*":
            raise ValueError("'*' trusts forwarded headers from anyone; give the proxies' CIDR")
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR") from None
    return raw


def validate_root_path(raw: str) -> str:
    """Check a UVICORN_ROOT_PATH value: '' or '/segment[/segment...]', no trailing slash."""
    if raw and not _ROOT_PATH.match(raw):
        raise ValueError(
            f"{raw!r} is not a path prefix; use '' or '/' followed by path segments, without a "
            "trailing slash, e.g. '/v1'"
        )
    return raw


def container_environment(
    *,
    allow_origins: Iterable[str],
    allow_credentials: bool,
    forwarded_allow_ips: str,
    root_path: str = "",
    allow_origin_regex: str | None = None,
    graceful_shutdown_seconds: int = DEFAULT_GRACEFUL_SHUTDOWN_SECONDS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    diagnostics: bool = False,
    demo_routes: bool = False,
    api_docs: bool = False,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Build the container's environment from typed values (used by the CDK app and tests).

    Values may be CDK tokens (strings resolved at deploy time), so only plain strings are
    validated here.
    """
    env = {
        Env.ALLOW_ORIGINS: encode_list(allow_origins),
        Env.ALLOW_CREDENTIALS: encode_bool(allow_credentials),
        Env.FORWARDED_ALLOW_IPS: forwarded_allow_ips,
        Env.HOST: "0.0.0.0",  # noqa: S104 - inside the container, behind the ALB's security group
        Env.PORT: str(CONTAINER_PORT),
        Env.GRACEFUL_SHUTDOWN_SECONDS: str(graceful_shutdown_seconds),
        Env.KEEP_ALIVE_SECONDS: str(KEEP_ALIVE_SECONDS),
        Env.MAX_BODY_BYTES: str(max_body_bytes),
        # Written even when off, so the task definition states what it serves.
        Env.DIAGNOSTICS_ENABLED: encode_bool(diagnostics),
        Env.DEMO_ROUTES_ENABLED: encode_bool(demo_routes),
        Env.API_DOCS_ENABLED: encode_bool(api_docs),
    }
    if root_path:
        env[Env.ROOT_PATH] = validate_root_path(root_path)
    if allow_origin_regex:
        env[Env.ALLOW_ORIGIN_REGEX] = allow_origin_regex
    env.update(extra or {})
    return env


# What only the server process reads (uvicorn's command line and proxy trust): a Lambda function
# has no uvicorn, so its environment leaves them out; its client address comes from the event.
SERVER_ONLY: Final[frozenset[str]] = frozenset(
    {
        Env.FORWARDED_ALLOW_IPS,
        Env.HOST,
        Env.PORT,
        Env.GRACEFUL_SHUTDOWN_SECONDS,
        Env.KEEP_ALIVE_SECONDS,
        Env.ROOT_PATH,
    }
)


def function_environment(**values: Any) -> dict[str, str]:
    """The Lambda function's environment: the container's (same arguments) minus SERVER_ONLY.

    The stage prefix is derived from each event by service.lambda_handler, so no root path.
    """
    env = container_environment(forwarded_allow_ips="", **values)
    return {name: value for name, value in env.items() if name not in SERVER_ONLY}


# How the container is locked down beyond its image (non-root user, read-only root): the task
# definition's linuxParameters ask Fargate for it and the tests' podman run applies the same.
# Fargate can drop capabilities and run an init process (which forwards SIGTERM and reaps
# children), but it cannot set no-new-privileges; the image therefore carries no setuid files.
DROPPED_CAPABILITIES: Final[tuple[str, ...]] = ("ALL",)
INIT_PROCESS: Final = True

# The container's health check, defined once for the image's HEALTHCHECK and the task
# definition's (ECS ignores the image's): `python -m service.healthcheck` asks HEALTH_PATH on the
# port uvicorn listens on and exits 0 only on a 200. Exec form, as Docker and ECS both take it.
HEALTH_CHECK_COMMAND: Final[tuple[str, ...]] = (
    "CMD",
    "python",
    "-m",
    "service.healthcheck",
    HEALTH_PATH,
)
HEALTH_CHECK_INTERVAL_SECONDS: Final = 15
HEALTH_CHECK_TIMEOUT_SECONDS: Final = 3
HEALTH_CHECK_START_PERIOD_SECONDS: Final = 10
HEALTH_CHECK_RETRIES: Final = 3
# The header through which API Gateway hands the service its own request id
# (`$context.requestId`, also the `requestId` of the gateway's access log), so one request can be
# followed from the gateway's log into the service's. The gateway's integration maps it onto
# every request it forwards, in place of a header of that name a client may have sent.
GATEWAY_REQUEST_ID_HEADER: Final = "X-Gateway-Request-Id"
