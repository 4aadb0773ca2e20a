"""The verdicts on the way a request travels: mixed content, redirects, the unlisted-origin probe.

The judges of one response's CORS headers are in cors_doctor.judges.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cors_doctor.judges import what
from cors_doctor.model import Check, Hop
from cors_doctor.spec import is_mixed_content, split_values


def judge_mixed_content(origin: str, url: str) -> Check | None:
    """An https page may not fetch http URLs at all; loopback hosts are the exception."""
    if not is_mixed_content(origin, url):
        return None
    return Check(
        "mixed-content",
        False,
        f"the page {origin} is https but {url} is plain http: the browser blocks it as mixed "
        "content before CORS is even considered",
        "call the API over https",
        stage="request",
    )


def judge_redirect(hop: Hop, target: str | None, public_host: str | None, stage: str) -> Check:
    """A redirect must stay on https and on the host the page called."""
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


def judge_too_many_redirects(start_url: str, limit: int, stage: str) -> Check:
    return Check(
        "redirect",
        False,
        f"more than {limit} redirects starting at {start_url}",
        "break the redirect loop; the browser gives up too",
        stage=stage,
    )


def judge_unreachable_redirect(url: str, reason: str, stage: str) -> Check:
    return Check(
        "reachable",
        False,
        f"the redirect led to {url}, which the browser cannot reach either: {reason}",
        "answer at the public URL without redirecting to internal hosts",
        stage=stage,
    )


def judge_probe(hop: Hop, *, probe_origin: str, credentials: bool) -> Check:
    """The same exchange from an origin nobody lists must not be allowed."""
    values = split_values(hop.values("access-control-allow-origin"))
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
            f"the unlisted origin {probe_origin} was allowed on {what(hop)}: the server reflects "
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
            f"{what(hop)}: the server opens credentialed access to every origin",
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


def judge_failed_probe(reason: str) -> Check:
    return Check(
        "probe-origin", False, f"the probe request failed: {reason}", "retry", stage="probe"
    )
