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


def check_blocked_by_cors(outcome: Outcome, api_url: str) -> None:
    """The browser refused the API's response to a disallowed origin, and said why."""
    assert outcome.status is None, f"the page read a response\n{outcome.describe()}"
    assert outcome.error == "TypeError: Failed to fetch", outcome.describe()
    assert any("has been blocked by CORS policy" in line for line in outcome.console), (
        f"no CORS error in the console\n{outcome.describe()}"
    )
    public = _origin(api_url)
    allowed = [r for r in outcome.responses if _origin(r[1]) == public and r[2] is not None]
    assert not allowed, f"a response carried Access-Control-Allow-Origin\n{outcome.describe()}"
