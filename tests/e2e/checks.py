"""What "works through the chain" means, as functions the tests and negative controls share.

Each raises AssertionError with the browser's full record when the behaviour is wrong, so a
negative control can assert that the same check fails against a broken set-up.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.e2e.browser import Outcome


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_readable(outcome: Outcome, status: int) -> None:
    """The page got the service's response: expected status, a body, no fetch or CORS error."""
    assert outcome.error is None, f"fetch failed\n{outcome.describe()}"
    assert outcome.status == status, f"expected HTTP {status}\n{outcome.describe()}"
    assert outcome.body not in (None, ""), f"no body\n{outcome.describe()}"
    assert not outcome.cors_errors(), f"CORS error in the console\n{outcome.describe()}"


def check_preflighted_post(outcome: Outcome) -> None:
    check_readable(outcome, 201)
    assert outcome.body["name"] == "widget", outcome.describe()
    assert outcome.body["quantity"] == 2, outcome.describe()


def check_simple_get(outcome: Outcome) -> None:
    check_readable(outcome, 200)
    assert [item["id"] for item in outcome.body] == [1, 2], outcome.describe()


def check_stays_on_public_api(outcome: Outcome, api_url: str) -> None:
    """Every URL the browser fetched for the call was on the public https API origin.

    A slash redirect built from what the app sees sends the browser to http:// or to the
    internal host (the NLB's name): that must never happen, and the page must get the 404.
    """
    public = _origin(api_url)
    assert public.startswith("https://"), api_url
    strays = [url for url in outcome.requests if _origin(url) != public]
    assert not strays, f"the browser left {public} for {strays}\n{outcome.describe()}"
    redirects = [r for r in outcome.responses if 300 <= r[0] < 400]
    assert not redirects, f"redirected\n{outcome.describe()}"
    check_readable(outcome, 404)


# What Chromium logs when it withholds a response for want of Access-Control-Allow-Origin.
NO_ALLOW_ORIGIN = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
# ... and, before that reason, when it was the preflight (OPTIONS) that failed the check.
PREFLIGHT_FAILED = "Response to preflight request doesn't pass access control check"


def check_blocked_by_cors(outcome: Outcome, api_url: str, *, preflight: bool = False) -> None:
    """The browser refused the API's response to a disallowed origin, and said why.

    Chromium hides a blocked response from the page and from Playwright (no "response" event),
    so the evidence is the rejected fetch, the failed request and the console's reason.
    `preflight`: the request needed a preflight, and the browser must say that is what failed.
    """
    assert outcome.status is None, f"the page read a response\n{outcome.describe()}"
    assert outcome.error == "TypeError: Failed to fetch", outcome.describe()
    url = outcome.result.get("url")
    public = _origin(api_url)
    assert isinstance(url, str), f"no request URL\n{outcome.describe()}"
    assert _origin(url) == public, f"the call was not to {public}\n{outcome.describe()}"
    assert (url, "net::ERR_FAILED") in outcome.failed, (
        f"the browser did not report {url} as failed\n{outcome.describe()}"
    )
    cors = [
        line
        for line in outcome.cors_errors()
        if line.startswith(f"Access to fetch at '{url}' from origin ")
        and "has been blocked by CORS policy" in line
    ]
    assert cors, f"no CORS error for {url} in the console\n{outcome.describe()}"
    assert all(NO_ALLOW_ORIGIN in line for line in cors), (
        f"blocked for another reason than a missing allow-origin\n{outcome.describe()}"
    )
    mentions_preflight = [PREFLIGHT_FAILED in line for line in cors]
    assert all(mentions_preflight) if preflight else not any(mentions_preflight), (
        f"expected the {'preflight' if preflight else 'request itself'} to be blocked\n"
        f"{outcome.describe()}"
    )
