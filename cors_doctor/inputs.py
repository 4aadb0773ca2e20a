"""What the user typed, checked before anything is sent: each bad value is one line, exit 2."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from urllib.parse import urlsplit

from cors_doctor.spec import FORBIDDEN_METHODS, is_forbidden_header
from cors_doctor.transport import url_problem
from service.contract import validate_origin, validate_token

DEFAULT_TIMEOUT = 10.0
# No hop a browser talks to waits longer: CloudFront gives an origin at most 180 s (60 s unless
# raised) and API Gateway an integration 29 s by default. A larger value is a typo.
MAX_TIMEOUT = 300.0
# `cdk deploy --outputs-file` writes a few hundred bytes per stack; a larger file is not one.
MAX_OUTPUTS_BYTES = 1024 * 1024


class UsageError(Exception):
    """Bad input; str() is the one-line message."""


def one_line(message: str) -> str:
    """Messages quote what the user typed, which may hold line breaks or undecodable bytes."""
    escaped = message.replace("\r", "\\r").replace("\n", "\\n")
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def seconds(raw: str) -> float:
    """argparse type for --timeout: a finite number of seconds in (0, MAX_TIMEOUT]."""
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"{raw!r} must be more than 0 and at most {MAX_TIMEOUT:g} seconds"
        )
    return value


def check_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        raise UsageError(f"URL {url!r} is invalid: {exc}") from None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        guess = f" (did you mean https://{url}?)" if "://" not in url else ""
        raise UsageError(f"URL {url!r} must be an absolute http:// or https:// URL{guess}")
    if not parts.hostname:
        raise UsageError(f"URL {url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"URL {url!r} has user info, which a browser's fetch() refuses")
    problem = url_problem(url)
    if problem:
        raise UsageError(f"URL {url!r} is invalid: {problem}")
    return url


def check_origin(origin: str, *, what: str = "--origin") -> str:
    if origin == "*":
        raise UsageError(f"{what} must be a page's origin, not '*'")
    try:
        return validate_origin(origin)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}") from None


def parse_header(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise UsageError(f"--header {raw!r} must look like 'Name: value'")
    try:
        validate_token(name, what="header name")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not all(" " <= char <= "~" or char == "\t" for char in value):
        # fetch() refuses line breaks and NUL; httpx sends ASCII only.
        raise UsageError(f"--header {raw!r}: the value must be printable ASCII")
    if is_forbidden_header(name):
        raise UsageError(f"a page cannot set the {name} header (the browser owns it)")
    return name, value


def check_method(raw: str) -> str:
    method = raw.strip().upper()
    try:
        validate_token(method, what="method")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if method in FORBIDDEN_METHODS:
        raise UsageError(f"a browser never sends {method} (forbidden method)")
    return method


def join_path(base: str, path: str) -> str:
    # Plain concatenation, not urljoin: '/api/items' must keep a stage prefix like '/prod'.
    return base.rstrip("/") + "/" + path.lstrip("/")


def read_file(path: str, limit: int, *, not_found: str, too_large: str) -> bytes:
    """A file the user named, up to limit bytes; anything that goes wrong is one line."""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(not_found) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot read {path!r}: {reason}") from None
    if len(raw) > limit:
        raise UsageError(too_large)
    return raw


def parse_json(raw: bytes, source: str) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise UsageError(f"{source} is not valid JSON: {reason}") from None


def read_outputs(path: str) -> dict[str, object]:
    """The stacks' outputs from a `cdk deploy --outputs-file` file."""
    raw = read_file(
        path,
        MAX_OUTPUTS_BYTES,
        not_found=f"outputs file {path} not found (cdk deploy --outputs-file)",
        too_large=f"{path} is over {MAX_OUTPUTS_BYTES} bytes; cdk outputs files are small",
    )
    outputs = parse_json(raw, path)
    if not isinstance(outputs, dict):
        raise UsageError(f"{path}: expected an object of stacks, as cdk deploy writes")
    return outputs


def find_output(outputs: dict[str, object], key: str, path: str) -> str:
    """The one output whose key contains key (case-insensitive), in any stack."""
    found: dict[str, str] = {}
    for stack, values in outputs.items():
        if not isinstance(values, dict):
            raise UsageError(f"{path}: stack {stack!r} is not an object of outputs")
        for name, value in values.items():
            if key.lower() in str(name).lower() and isinstance(value, str):
                found[f"{stack}.{name}"] = value
    if not found:
        raise UsageError(f"{path}: no output key contains {key!r}; name it with the key option")
    if len(set(found.values())) > 1:
        listed = ", ".join(sorted(found))
        raise UsageError(f"{path}: several outputs match {key!r} ({listed}); pick one exactly")
    return next(iter(found.values()))
