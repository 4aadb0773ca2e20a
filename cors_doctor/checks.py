"""The browser's CORS rules (WHATWG Fetch), applied hop by hop, each with a plain-words verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cors_doctor.fetch import Hop, NetworkError, Session, resolve_location, send

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
# Fetch drops these from a request whose method a redirect turned into GET.
_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
_SIMPLE_RANGE = re.compile(r"^bytes=\d*-\d*$")
_LANGUAGE_VALUE = re.compile(r"^[0-9A-Za-z *,\-.;=]*$")
_UNSAFE_BYTES = set('"():<>?@[\\]{}\x7f') | {chr(c) for c in range(0x20) if c != 0x09}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    explanation: str
    hint: str = ""
    stage: str = ""  # which exchange it judged: preflight, request, redirect N, probe

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "explanation": self.explanation,
            "hint": self.hint,
            "stage": self.stage,
        }


@dataclass(frozen=True)
class PageRequest:
    """What the page's fetch() asks for."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    credentials: bool = False
    body: bytes | None = None


@dataclass
class PathReport:
    request: PageRequest
    origin: str
    preflighted: bool
    checks: list[Check] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.request.url,
            "method": self.request.method,
            "headers": self.request.headers,
            "credentials": self.request.credentials,
            "origin": self.origin,
            "preflighted": self.preflighted,
            "ok": self.ok,
            "checks": [check.to_json() for check in self.checks],
            "hops": [hop.to_json() for hop in self.hops],
        }


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


def _split(values: list[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _what(hop: Hop) -> str:
    return (
        f"{hop.kind} {hop.method} {hop.url}"
        if hop.kind != "preflight"
        else f"preflight to {hop.url}"
    )


def _body(hop: Hop) -> str:
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
    if hop.status in {401, 403}:
        hint = (
            "a gateway, authorizer or WAF answered the OPTIONS instead of the backend (API "
            "Gateway says 'Missing Authentication Token' for an unrouted path): route OPTIONS "
            "to the backend, or run CORS before authentication"
        )
    elif hop.status == 400:
        hint = "the server's CORS layer refused the origin, method or headers: see its allow lists"
    elif hop.status in {404, 405, 501}:
        hint = "nothing answers OPTIONS on this path: add CORS middleware (it answers preflights)"
    else:
        hint = "make OPTIONS on this path return 2xx with the CORS headers"
    return Check(
        "preflight",
        False,
        f"the preflight got {hop.status} from {hop.url}{_body(hop)}; browsers need a 2xx",
        hint,
        stage="preflight",
    )


def judge_cors_headers(hop: Hop, *, credentials: bool, stage: str) -> list[Check]:
    """The Fetch 'CORS check' on one response, plus Vary and the error-path rule."""
    origin = hop.origin
    lines = hop.values("access-control-allow-origin")
    values = _split(lines)
    checks: list[Check] = []
    on_error_path = hop.kind != "preflight" and hop.status >= 300
    if on_error_path:
        kind = "redirect" if hop.is_redirect else f"{hop.status} error"
        if not lines:
            return [
                Check(
                    "error-cors",
                    False,
                    f"the {kind} from {hop.url}{_body(hop)} carries no CORS headers, so the "
                    f"browser hides the {hop.status} and reports a CORS error instead",
                    "add CORS headers to redirect and error responses too: put the CORS "
                    "middleware outside whatever produces them, and for API Gateway add them to "
                    "the gateway responses (DEFAULT_4XX, DEFAULT_5XX)",
                    stage=stage,
                )
            ]
        checks.append(
            Check(
                "error-cors",
                True,
                f"the {kind} from {hop.url} carries CORS headers, so the browser "
                + ("follows it" if hop.is_redirect else "lets the page read it"),
                stage=stage,
            )
        )
    null_note = (
        " (after a cross-origin redirect the browser sends Origin: null)"
        if origin == "null"
        else ""
    )
    if not lines:
        checks.append(
            Check(
                "allow-origin",
                False,
                f"response to {_what(hop)} ({hop.status}) has no Access-Control-Allow-Origin"
                f"{null_note}",
                "add CORS middleware to the backend with this origin allowed; if a gateway "
                "answered instead of the backend (see the hops), make it pass the backend's "
                "headers through",
                stage=stage,
            )
        )
        return checks
    if len(values) > 1:
        how = f"{len(lines)} header lines" if len(lines) > 1 else "one comma-joined line"
        checks.append(
            Check(
                "allow-origin",
                False,
                f"Access-Control-Allow-Origin has {len(values)} values ({how}: "
                f"{', '.join(values)}) on {_what(hop)}; browsers accept exactly one, so two "
                "layers are both adding CORS headers",
                "let exactly one layer (the app, or the gateway) add CORS headers and remove "
                "them from the other",
                stage=stage,
            )
        )
        return checks
    value = values[0]
    if value == "*" and credentials:
        checks.append(
            Check(
                "allow-origin",
                False,
                f"Access-Control-Allow-Origin is '*' on {_what(hop)} but the request has "
                "credentials; browsers refuse '*' for credentialed requests",
                "answer with the exact allowed origin (plus Vary: Origin), or call fetch "
                "without credentials",
                stage=stage,
            )
        )
        return checks
    if value not in {"*", origin}:
        checks.append(
            Check(
                "allow-origin",
                False,
                f"Access-Control-Allow-Origin is {value!r} on {_what(hop)}, not the page's "
                f"origin {origin!r}{null_note}",
                "list the origin exactly as the browser sends it: scheme://host[:port], "
                "lower-case, no path or trailing slash",
                stage=stage,
            )
        )
        return checks
    checks.append(
        Check("allow-origin", True, f"{value} allowed on {_what(hop)} ({hop.status})", stage=stage)
    )
    if credentials:
        allow = hop.values("access-control-allow-credentials")
        if allow != ["true"]:
            got = f"it is {', '.join(allow)!r}" if allow else "it is missing"
            checks.append(
                Check(
                    "allow-credentials",
                    False,
                    f"credentials requested but {_what(hop)} lacks "
                    f"Access-Control-Allow-Credentials: true ({got})",
                    "allow credentials on the server (allow_credentials=True, exact origins) "
                    "or call fetch without credentials",
                    stage=stage,
                )
            )
        else:
            checks.append(
                Check(
                    "allow-credentials",
                    True,
                    f"Access-Control-Allow-Credentials: true on {_what(hop)}",
                    stage=stage,
                )
            )
    if value != "*":
        vary = {item.lower() for item in _split(hop.values("vary"))}
        if "origin" in vary or "*" in vary:
            checks.append(Check("vary-origin", True, f"Vary: Origin on {_what(hop)}", stage=stage))
        else:
            checks.append(
                Check(
                    "vary-origin",
                    False,
                    f"{_what(hop)} allows the specific origin {value} but has no Vary: Origin; "
                    "a cache (CloudFront, the browser) may serve it to another origin",
                    "add Vary: Origin to every response whose CORS headers depend on Origin",
                    stage=stage,
                )
            )
    return checks


def judge_preflight_grants(
    hop: Hop, *, method: str, unsafe: list[str], credentials: bool
) -> list[Check]:
    checks: list[Check] = []
    wildcard_note = " ('*' counts only without credentials)" if credentials else ""
    methods = _split(hop.values("access-control-allow-methods"))
    allowed_methods = {item.upper() for item in methods}
    method_ok = (
        method.upper() in SAFELISTED_METHODS
        or method.upper() in allowed_methods
        or ("*" in allowed_methods and not credentials)
    )
    if method_ok:
        checks.append(Check("allow-methods", True, f"{method} is allowed", stage="preflight"))
    else:
        listed = ", ".join(methods) if methods else "none"
        checks.append(
            Check(
                "allow-methods",
                False,
                f"the preflight does not allow {method}: Access-Control-Allow-Methods is "
                f"{listed}{wildcard_note}",
                f"add {method} to the allowed methods (Access-Control-Allow-Methods)",
                stage="preflight",
            )
        )
    if unsafe:
        names = _split(hop.values("access-control-allow-headers"))
        allowed = {item.lower() for item in names}
        wildcard = "*" in allowed and not credentials
        # Fetch: '*' never covers Authorization; it must be listed by name.
        missing = [
            name
            for name in unsafe
            if name not in allowed and (not wildcard or name == "authorization")
        ]
        if missing:
            listed = ", ".join(names) if names else "none"
            checks.append(
                Check(
                    "allow-headers",
                    False,
                    f"the preflight does not allow request header(s) {', '.join(missing)}: "
                    f"Access-Control-Allow-Headers is {listed}{wildcard_note}",
                    "add them to the allowed headers (Access-Control-Allow-Headers)",
                    stage="preflight",
                )
            )
        else:
            checks.append(
                Check(
                    "allow-headers",
                    True,
                    f"request header(s) {', '.join(unsafe)} allowed",
                    stage="preflight",
                )
            )
    return checks


def judge_redirect(hop: Hop, target: str | None, public_host: str | None, stage: str) -> Check:
    if target is None:
        return Check(
            "redirect",
            False,
            f"{hop.status} from {hop.url} has no Location header, or one that is no URL; "
            "the browser cannot follow it",
            "return a Location, or better, answer at this URL without redirecting",
            stage=stage,
        )
    source, dest = urlsplit(hop.url), urlsplit(target)
    problems: list[str] = []
    if source.scheme == "https" and dest.scheme == "http":
        problems.append("downgrades https to http")
    if dest.hostname != public_host:
        problems.append(f"leaves the public host {public_host} for {dest.hostname}")
    if not problems:
        return Check(
            "redirect",
            True,
            f"{hop.status} from {hop.url} to {target} keeps the scheme and the public host",
            stage=stage,
        )
    return Check(
        "redirect",
        False,
        f"the {hop.status} redirect {' and '.join(problems)}: {hop.url} -> {target}",
        "the backend built the redirect from the scheme and Host it saw behind the proxies: "
        "don't redirect (FastAPI(redirect_slashes=False), call the canonical URL), build "
        "absolute URLs from a configured public base URL, and trust X-Forwarded-Proto only "
        "from the proxies' CIDR (uvicorn --proxy-headers --forwarded-allow-ips=<CIDR>)",
        stage=stage,
    )


def judge_probe(hop: Hop, *, probe_origin: str, credentials: bool) -> Check:
    values = _split(hop.values("access-control-allow-origin"))
    with_credentials = hop.values("access-control-allow-credentials") == ["true"]
    if probe_origin in values:
        danger = (
            " with credentials: any website can read responses as the signed-in user"
            if with_credentials
            else ""
        )
        return Check(
            "probe-origin",
            False,
            f"the unlisted origin {probe_origin} was allowed on {_what(hop)}: the server reflects "
            f"any Origin{danger}",
            "allow a fixed list of origins and never echo the request's Origin (Starlette "
            "echoes it for allow_origins=['*'] together with allow_credentials=True)",
            stage="probe",
        )
    if "*" in values and credentials:
        return Check(
            "probe-origin",
            False,
            f"the unlisted origin {probe_origin} got '*' with credentials requested on "
            f"{_what(hop)}: the server opens credentialed access to every origin",
            "list the allowed origins explicitly when credentials are allowed",
            stage="probe",
        )
    if "*" in values:
        return Check(
            "probe-origin",
            True,
            f"every origin gets '*' (a public API, no credentials); {probe_origin} included",
            stage="probe",
        )
    return Check(
        "probe-origin", True, f"the unlisted origin {probe_origin} is not allowed", stage="probe"
    )


def judge_mixed_content(origin: str, url: str) -> Check | None:
    """An https page may not fetch http URLs at all; loopback hosts are the exception."""
    target = urlsplit(url)
    if not origin.startswith("https://") or target.scheme != "http":
        return None
    host = (target.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost") or host == "::1":
        return None
    if host.startswith("127.") and host.replace(".", "").isdigit():
        return None
    return Check(
        "mixed-content",
        False,
        f"the page {origin} is https but {url} is plain http: the browser blocks it as mixed "
        "content before CORS is even considered",
        "call the API over https",
        stage="request",
    )


def _redirected(
    method: str, status: int, headers: dict[str, str], body: bytes | None
) -> tuple[str, dict[str, str], bytes | None]:
    # Fetch: 301/302 turn POST into GET, 303 turns everything but GET/HEAD into GET, and the
    # body and its headers are dropped; 307/308 keep both.
    if (status in {301, 302} and method == "POST") or (
        status == 303 and method not in {"GET", "HEAD"}
    ):
        kept = {k: v for k, v in headers.items() if k.lower() not in _BODY_HEADERS}
        return "GET", kept, None
    return method, headers, body


def _origin_of(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, parts.hostname, parts.port or default


def diagnose(
    client: Session, request: PageRequest, *, origin: str, probe_origin: str
) -> PathReport:
    """Do what the browser does for one fetch(), judging every exchange on the way.

    A network failure on the URL the user gave raises NetworkError (exit 2); one on a URL a
    redirect led to is a finding, since that is where the browser would fail too.
    """
    method = request.method.upper()
    unsafe = unsafe_header_names(request.headers)
    report = PathReport(
        request=request, origin=origin, preflighted=needs_preflight(method, request.headers)
    )
    credentials = request.credentials
    mixed = judge_mixed_content(origin, request.url)
    if mixed is not None:
        report.checks.append(mixed)
    if report.preflighted:
        preflight_headers = {"Origin": origin, "Access-Control-Request-Method": method}
        if unsafe:
            preflight_headers["Access-Control-Request-Headers"] = ",".join(unsafe)
        hop = send(
            client, kind="preflight", method="OPTIONS", url=request.url, headers=preflight_headers
        )
        report.hops.append(hop)
        report.checks.append(judge_preflight_status(hop))
        report.checks += judge_cors_headers(hop, credentials=credentials, stage="preflight")
        report.checks += judge_preflight_grants(
            hop, method=method, unsafe=unsafe, credentials=credentials
        )

    public_host = urlsplit(request.url).hostname
    url, headers, body, sent_origin = request.url, dict(request.headers), request.body, origin
    for number in range(MAX_REDIRECTS + 1):
        stage = "request" if number == 0 else f"redirect {number}"
        try:
            hop = send(
                client,
                kind="request",
                method=method,
                url=url,
                headers={"Origin": sent_origin, **headers},
                body=body,
            )
        except NetworkError as exc:
            if number == 0:
                raise
            report.checks.append(
                Check(
                    "reachable",
                    False,
                    f"the redirect led to {url}, which the browser cannot reach either: {exc}",
                    "answer at the public URL without redirecting to internal hosts",
                    stage=stage,
                )
            )
            break
        report.hops.append(hop)
        report.checks += judge_cors_headers(hop, credentials=credentials, stage=stage)
        if not hop.is_redirect or hop.status == 304:
            break
        target = resolve_location(url, hop.first("location"))
        report.checks.append(judge_redirect(hop, target, public_host, stage))
        if target is None or urlsplit(target).scheme not in {"http", "https"}:
            break
        if number == MAX_REDIRECTS:
            report.checks.append(
                Check(
                    "redirect",
                    False,
                    f"more than {MAX_REDIRECTS} redirects starting at {request.url}",
                    "break the redirect loop; the browser gives up too",
                    stage=stage,
                )
            )
            break
        # Fetch taints the origin when a cross-origin request is redirected to yet another
        # origin; from then on the browser sends 'Origin: null'.
        if _origin_of(target) != _origin_of(url) and _origin_of(url) != _origin_of(origin):
            sent_origin = "null"
        method, headers, body = _redirected(method, hop.status, headers, body)
        url = target

    report.checks.append(_probe(client, report, probe_origin=probe_origin))
    return report


def _probe(client: Session, report: PathReport, *, probe_origin: str) -> Check:
    """Repeat the first exchange from an origin nobody lists: it must not be allowed."""
    request = report.request
    method = request.method.upper()
    if report.preflighted:
        headers = {"Origin": probe_origin, "Access-Control-Request-Method": method}
        unsafe = unsafe_header_names(request.headers)
        if unsafe:
            headers["Access-Control-Request-Headers"] = ",".join(unsafe)
        send_method, body = "OPTIONS", None
    else:
        headers = {"Origin": probe_origin, **request.headers}
        send_method, body = method, request.body
    try:
        hop = send(
            client, kind="probe", method=send_method, url=request.url, headers=headers, body=body
        )
    except NetworkError as exc:
        return Check(
            "probe-origin", False, f"the probe request failed: {exc}", "retry", stage="probe"
        )
    report.hops.append(hop)
    return judge_probe(hop, probe_origin=probe_origin, credentials=request.credentials)
