"""Do what the browser does for one fetch(), exchange by exchange, judging each on the way.

The order is the browser's: a preflight when one is needed, then the request, following every
redirect by hand (with Fetch's method and Origin changes), then the doctor's own extra step: the
first exchange again from an origin nobody lists.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cors_doctor.judges import judge_cors_headers, judge_preflight_grants, judge_preflight_status
from cors_doctor.model import Check, PageRequest, PathReport
from cors_doctor.route_judges import (
    judge_failed_probe,
    judge_mixed_content,
    judge_probe,
    judge_redirect,
    judge_too_many_redirects,
    judge_unreachable_redirect,
)
from cors_doctor.spec import (
    MAX_REDIRECTS,
    after_redirect,
    needs_preflight,
    origin_after_redirect,
    preflight_headers,
    unsafe_header_names,
)
from cors_doctor.transport import NetworkError, Session, resolve_location, send


def diagnose(
    client: Session, request: PageRequest, *, origin: str, probe_origin: str
) -> PathReport:
    """Every exchange of one fetch() and the verdicts on it.

    A network failure on the URL the user gave raises NetworkError (exit 2); one on a URL a
    redirect led to is a finding, since that is where the browser would fail too.
    """
    method = request.method.upper()
    # A page calling its own origin (the API under the site's domain): the browser sends no
    # preflight and reads every response whatever its CORS headers (Fetch's same-origin case).
    same = same_origin(origin, request.url)
    report = PathReport(
        request=request,
        origin=origin,
        preflighted=not same and needs_preflight(method, request.headers),
    )
    mixed = judge_mixed_content(origin, request.url)
    if mixed is not None:
        report.checks.append(mixed)
    if same:
        report.checks.append(
            Check(
                name="same-origin",
                ok=True,
                explanation=f"{origin} is the API's own origin: the browser sends no preflight "
                "and needs no CORS header (redirects are still followed and judged)",
                stage="request",
            )
        )
    if report.preflighted:
        _preflight(client, report)
    _follow(client, report, judge_cors=not same)
    report.checks.append(_probe(client, report, probe_origin=probe_origin))
    return report


def _preflight(client: Session, report: PathReport) -> None:
    request = report.request
    method = request.method.upper()
    hop = send(
        client,
        kind="preflight",
        method="OPTIONS",
        url=request.url,
        headers=preflight_headers(report.origin, method, request.headers),
    )
    report.hops.append(hop)
    report.checks.append(judge_preflight_status(hop))
    report.checks += judge_cors_headers(hop, credentials=request.credentials, stage="preflight")
    report.checks += judge_preflight_grants(
        hop,
        method=method,
        unsafe=unsafe_header_names(request.headers),
        credentials=request.credentials,
    )


def same_origin(origin: str, url: str) -> bool:
    """Whether `url` is on `origin` (scheme, host and port, as Fetch compares them)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() == origin.lower()


def _follow(client: Session, report: PathReport, *, judge_cors: bool = True) -> None:
    """The request itself, then wherever its redirects lead, up to MAX_REDIRECTS of them."""
    request = report.request
    public_host = urlsplit(request.url).hostname
    method, url, headers = request.method.upper(), request.url, dict(request.headers)
    body, sent_origin = request.body, report.origin
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
            report.checks.append(judge_unreachable_redirect(url, str(exc), stage))
            return
        report.hops.append(hop)
        if judge_cors or not same_origin(report.origin, url):
            report.checks += judge_cors_headers(hop, credentials=request.credentials, stage=stage)
        if not hop.is_redirect or hop.status == 304:
            return
        target = resolve_location(url, hop.first("location"))
        report.checks.append(judge_redirect(hop, target, public_host, stage))
        if target is None or urlsplit(target).scheme not in {"http", "https"}:
            return
        if number == MAX_REDIRECTS:
            report.checks.append(judge_too_many_redirects(request.url, MAX_REDIRECTS, stage))
            return
        sent_origin = origin_after_redirect(sent_origin, report.origin, url, target)
        method, headers, body = after_redirect(method, hop.status, headers, body)
        url = target


def _probe(client: Session, report: PathReport, *, probe_origin: str) -> Check:
    """Repeat the first exchange from an origin nobody lists: it must not be allowed."""
    request = report.request
    method = request.method.upper()
    if report.preflighted:
        headers = preflight_headers(probe_origin, method, request.headers)
        send_method, body = "OPTIONS", None
    else:
        headers = {"Origin": probe_origin, **request.headers}
        send_method, body = method, request.body
    try:
        hop = send(
            client, kind="probe", method=send_method, url=request.url, headers=headers, body=body
        )
    except NetworkError as exc:
        return judge_failed_probe(str(exc))
    report.hops.append(hop)
    return judge_probe(hop, probe_origin=probe_origin, credentials=request.credentials)
