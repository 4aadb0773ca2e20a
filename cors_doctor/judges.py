"""The verdicts on one exchange, one judge per concern, each in plain words with a hint.

The Fetch "CORS check" on a response is split by header: error-cors (does a redirect or error
carry CORS headers at all), allow-origin, allow-credentials and vary-origin; a preflight adds
its status, allow-methods and allow-headers. The judges of the route (redirects, mixed content,
the probe from an unlisted origin) are in cors_doctor.route_judges.
"""

from __future__ import annotations

from cors_doctor.model import Check, Hop
from cors_doctor.spec import SAFELISTED_METHODS, split_values


def what(hop: Hop) -> str:
    """The exchange in a few words, for explanations."""
    if hop.kind == "preflight":
        return f"preflight to {hop.url}"
    return f"{hop.kind} {hop.method} {hop.url}"


def _quoted_body(hop: Hop) -> str:
    return f' (body: "{hop.body}")' if hop.body else ""


def judge_preflight_status(hop: Hop) -> Check:
    if 200 <= hop.status < 300:
        return Check("preflight", True, f"{hop.status} from {hop.url}", stage="preflight")
    if hop.is_redirect:
        target = hop.first("location") or "(no Location)"
        return Check(
            "preflight",
            False,
            f"the preflight was answered with a {hop.status} redirect to {target}; browsers "
            "fail any preflight that redirects",
            "call the final URL directly (no trailing-slash or http->https redirect) and answer "
            "OPTIONS there with CORS headers",
            stage="preflight",
        )
    return Check(
        "preflight",
        False,
        f"the preflight got {hop.status} from {hop.url}{_quoted_body(hop)}; browsers need a 2xx",
        _preflight_status_hint(hop.status),
        stage="preflight",
    )


def _preflight_status_hint(status: int) -> str:
    if status in {401, 403}:
        return (
            "a gateway, authorizer or WAF answered the OPTIONS instead of the backend (API "
            "Gateway says 'Missing Authentication Token' for an unrouted path): route OPTIONS "
            "to the backend, or run CORS before authentication"
        )
    if status == 400:
        return "the server's CORS layer refused the origin, method or headers: see its allow lists"
    if status in {404, 405, 501}:
        return "nothing answers OPTIONS on this path: add CORS middleware (it answers preflights)"
    return "make OPTIONS on this path return 2xx with the CORS headers"


def judge_cors_headers(hop: Hop, *, credentials: bool, stage: str) -> list[Check]:
    """The Fetch 'CORS check' on one response, plus Vary and the error-path rule.

    Each judge runs only if the one before passed, as in the browser: with no usable
    Access-Control-Allow-Origin nothing else on the response matters.
    """
    checks: list[Check] = []
    error_path = judge_error_cors(hop, stage=stage)
    if error_path is not None:
        checks.append(error_path)
        if not error_path.ok:
            return checks
    allow_origin = judge_allow_origin(hop, credentials=credentials, stage=stage)
    checks.append(allow_origin)
    if not allow_origin.ok:
        return checks
    if credentials:
        checks.append(judge_allow_credentials(hop, stage=stage))
    vary = judge_vary_origin(hop, stage=stage)
    if vary is not None:
        checks.append(vary)
    return checks


def judge_error_cors(hop: Hop, *, stage: str) -> Check | None:
    """A redirect or error without CORS headers reaches the page as a bare 'CORS error'."""
    if hop.kind == "preflight" or hop.status < 300:
        return None
    kind = "redirect" if hop.is_redirect else f"{hop.status} error"
    if not hop.values("access-control-allow-origin"):
        return Check(
            "error-cors",
            False,
            f"the {kind} from {hop.url}{_quoted_body(hop)} carries no CORS headers, so the "
            f"browser hides the {hop.status} and reports a CORS error instead",
            "add CORS headers to redirect and error responses too: put the CORS middleware "
            "outside whatever produces them, and for API Gateway add them to the gateway "
            "responses (DEFAULT_4XX, DEFAULT_5XX)",
            stage=stage,
        )
    return Check(
        "error-cors",
        True,
        f"the {kind} from {hop.url} carries CORS headers, so the browser "
        + ("follows it" if hop.is_redirect else "lets the page read it"),
        stage=stage,
    )


def judge_allow_origin(hop: Hop, *, credentials: bool, stage: str) -> Check:
    """Exactly one Access-Control-Allow-Origin, and it is the page's origin (or '*' if allowed)."""
    lines = hop.values("access-control-allow-origin")
    values = split_values(lines)
    if not lines:
        return _missing_allow_origin(hop, stage)
    if len(values) > 1:
        return _several_allow_origins(hop, lines, values, stage)
    value = values[0]
    if value == "*" and credentials:
        return Check(
            "allow-origin",
            False,
            f"Access-Control-Allow-Origin is '*' on {what(hop)} but the request has "
            "credentials; browsers refuse '*' for credentialed requests",
            "answer with the exact allowed origin (plus Vary: Origin), or call fetch without "
            "credentials",
            stage=stage,
        )
    if value not in {"*", hop.origin}:
        return Check(
            "allow-origin",
            False,
            f"Access-Control-Allow-Origin is {value!r} on {what(hop)}, not the page's origin "
            f"{hop.origin!r}{_null_origin_note(hop)}",
            "list the origin exactly as the browser sends it: scheme://host[:port], lower-case, "
            "no path or trailing slash",
            stage=stage,
        )
    return Check(
        "allow-origin", True, f"{value} allowed on {what(hop)} ({hop.status})", stage=stage
    )


def _null_origin_note(hop: Hop) -> str:
    if hop.origin != "null":
        return ""
    return " (after a cross-origin redirect the browser sends Origin: null)"


def _missing_allow_origin(hop: Hop, stage: str) -> Check:
    return Check(
        "allow-origin",
        False,
        f"response to {what(hop)} ({hop.status}) has no Access-Control-Allow-Origin"
        f"{_null_origin_note(hop)}",
        "add CORS middleware to the backend with this origin allowed; if a gateway answered "
        "instead of the backend (see the hops), make it pass the backend's headers through",
        stage=stage,
    )


def _several_allow_origins(hop: Hop, lines: list[str], values: list[str], stage: str) -> Check:
    how = f"{len(lines)} header lines" if len(lines) > 1 else "one comma-joined line"
    return Check(
        "allow-origin",
        False,
        f"Access-Control-Allow-Origin has {len(values)} values ({how}: {', '.join(values)}) on "
        f"{what(hop)}; browsers accept exactly one, so two layers are both adding CORS headers",
        "let exactly one layer (the app, or the gateway) add CORS headers and remove them from "
        "the other",
        stage=stage,
    )


def judge_allow_credentials(hop: Hop, *, stage: str) -> Check:
    """A credentialed request needs exactly 'Access-Control-Allow-Credentials: true'."""
    allow = hop.values("access-control-allow-credentials")
    if allow == ["true"]:
        return Check(
            "allow-credentials",
            True,
            f"Access-Control-Allow-Credentials: true on {what(hop)}",
            stage=stage,
        )
    got = f"it is {', '.join(allow)!r}" if allow else "it is missing"
    return Check(
        "allow-credentials",
        False,
        f"credentials requested but {what(hop)} lacks Access-Control-Allow-Credentials: true "
        f"({got})",
        "allow credentials on the server (allow_credentials=True, exact origins) or call fetch "
        "without credentials",
        stage=stage,
    )


def judge_vary_origin(hop: Hop, *, stage: str) -> Check | None:
    """A response that names one origin must say it varies by Origin; '*' needs no Vary."""
    value = split_values(hop.values("access-control-allow-origin"))[0]
    if value == "*":
        return None
    vary = {item.lower() for item in split_values(hop.values("vary"))}
    if "origin" in vary or "*" in vary:
        return Check("vary-origin", True, f"Vary: Origin on {what(hop)}", stage=stage)
    return Check(
        "vary-origin",
        False,
        f"{what(hop)} allows the specific origin {value} but has no Vary: Origin; a cache "
        "(CloudFront, the browser) may serve it to another origin",
        "add Vary: Origin to every response whose CORS headers depend on Origin",
        stage=stage,
    )


def judge_preflight_grants(
    hop: Hop, *, method: str, unsafe: list[str], credentials: bool
) -> list[Check]:
    """What the preflight allows: the request's method and, if any, its non-safelisted headers."""
    checks = [judge_allow_methods(hop, method=method, credentials=credentials)]
    if unsafe:
        checks.append(judge_allow_headers(hop, unsafe=unsafe, credentials=credentials))
    return checks


def _wildcard_note(credentials: bool) -> str:
    return " ('*' counts only without credentials)" if credentials else ""


def judge_allow_methods(hop: Hop, *, method: str, credentials: bool) -> Check:
    methods = split_values(hop.values("access-control-allow-methods"))
    allowed = {item.upper() for item in methods}
    if (
        method.upper() in SAFELISTED_METHODS
        or method.upper() in allowed
        or ("*" in allowed and not credentials)
    ):
        return Check("allow-methods", True, f"{method} is allowed", stage="preflight")
    listed = ", ".join(methods) if methods else "none"
    return Check(
        "allow-methods",
        False,
        f"the preflight does not allow {method}: Access-Control-Allow-Methods is "
        f"{listed}{_wildcard_note(credentials)}",
        f"add {method} to the allowed methods (Access-Control-Allow-Methods)",
        stage="preflight",
    )


def judge_allow_headers(hop: Hop, *, unsafe: list[str], credentials: bool) -> Check:
    names = split_values(hop.values("access-control-allow-headers"))
    allowed = {item.lower() for item in names}
    wildcard = "*" in allowed and not credentials
    # Fetch: '*' never covers Authorization; it must be listed by name.
    missing = [
        name for name in unsafe if name not in allowed and (not wildcard or name == "authorization")
    ]
    if not missing:
        return Check(
            "allow-headers",
            True,
            f"request header(s) {', '.join(unsafe)} allowed",
            stage="preflight",
        )
    listed = ", ".join(names) if names else "none"
    return Check(
        "allow-headers",
        False,
        f"the preflight does not allow request header(s) {', '.join(missing)}: "
        f"Access-Control-Allow-Headers is {listed}{_wildcard_note(credentials)}",
        "add them to the allowed headers (Access-Control-Allow-Headers)",
        stage="preflight",
    )
