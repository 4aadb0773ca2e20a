"""The demo page in Chromium, from its own origin and from another, through each ingress."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from devstack import API_GATEWAY, Ingress, LocalStack
from tests.e2e.browser import SitePage
from tests.e2e.checks import (
    check_blocked_by_cors,
    check_preflighted_post,
    check_readable,
    check_simple_get,
    check_stays_on_public_api,
)


def test_preflighted_post_from_site_origin_succeeds(site: SitePage) -> None:
    check_preflighted_post(site.run("create"))


def test_preflighted_post_result_is_shown_in_the_page(site: SitePage) -> None:
    site.run("create")
    text = site.page.inner_text("#result")
    assert '"status": 201' in text
    assert '"widget"' in text


def test_custom_header_reaches_the_service(site: SitePage) -> None:
    outcome = site.run("greeting")
    check_readable(outcome, 200)
    assert outcome.body == {"message": "hello, demo-page", "client_name": "demo-page"}


def test_simple_get_from_site_origin_succeeds(site: SitePage) -> None:
    check_simple_get(site.run("list"))


def test_404_is_readable_by_the_page(site: SitePage) -> None:
    outcome = site.run("missing")
    check_readable(outcome, 404)
    assert outcome.body == {"detail": "item 999 not found"}


def test_422_is_readable_by_the_page(site: SitePage) -> None:
    outcome = site.run("invalid")
    check_readable(outcome, 422)
    assert {error["loc"][-1] for error in outcome.body["detail"]} == {"name", "quantity"}


def test_500_is_readable_by_the_page(site: SitePage) -> None:
    outcome = site.run("boom")
    check_readable(outcome, 500)
    assert outcome.body == {"detail": "Internal Server Error"}


def test_trailing_slash_never_leaves_the_public_https_api(
    site: SitePage, stack: LocalStack, ingress: Ingress
) -> None:
    check_stays_on_public_api(site.run("slash"), stack.api_url(ingress))


def test_simple_get_from_disallowed_origin_is_blocked(
    other_site: SitePage, stack: LocalStack, ingress: Ingress
) -> None:
    check_blocked_by_cors(other_site.run("list"), stack.api_url(ingress))


def test_preflighted_post_from_disallowed_origin_is_blocked(
    other_site: SitePage, stack: LocalStack, ingress: Ingress
) -> None:
    check_blocked_by_cors(other_site.run("create"), stack.api_url(ingress), preflight=True)


def test_disallowed_origin_gets_no_allow_origin_header_from_the_chain(
    stack: LocalStack, ingress: Ingress
) -> None:
    # The browser hides blocked responses from the page and from Playwright, so ask the chain
    # directly with the same Origin, for a simple request and for a preflight.
    origin = stack.site_origin(f"{ingress}-other")
    url = stack.api_url(ingress) + "api/items"
    with httpx.Client(verify=False) as client:  # noqa: S501 - the stack's self-signed cert
        simple = client.get(url, headers={"Origin": origin})
        preflight = client.options(
            url,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-client-name",
            },
        )
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    # Starlette refuses the preflight outright; without an allow-origin header the browser
    # never sends the POST (any other CORS header on it is inert).
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_site_origin_gets_its_own_origin_and_credentials_from_the_chain(
    stack: LocalStack, ingress: Ingress
) -> None:
    # The positive twin of the test above, so that one cannot pass by the chain dropping headers.
    origin = stack.site_origin(f"{ingress}-site")
    with httpx.Client(verify=False) as client:  # noqa: S501
        response = client.get(stack.api_url(ingress) + "api/items", headers={"Origin": origin})
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in response.headers["vary"]


def test_gateway_generated_403_is_readable_by_the_page(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # A path outside the stage never reaches the service: the gateway answers 403 itself, and
    # its DEFAULT_4XX CORS headers let the page read that instead of a bare "Failed to fetch".
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    outcome = site.fetch(stack.api_origin(API_GATEWAY) + "/not-a-stage/x")
    check_readable(outcome, 403)
    assert outcome.body == {"message": "Missing Authentication Token"}, outcome.describe()


def test_gateway_generated_403_stays_hidden_from_a_disallowed_origin(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # The gateway names the site's fixed origin, so any other origin is still refused.
    site = open_page(stack.site_url(f"{API_GATEWAY}-other"))
    outcome = site.fetch(stack.api_origin(API_GATEWAY) + "/not-a-stage/x")
    assert outcome.status is None, outcome.describe()
    assert outcome.error == "TypeError: Failed to fetch", outcome.describe()
    expected = (
        f"The 'Access-Control-Allow-Origin' header has a value '{stack.gateway_site_origin}' "
        "that is not equal to the supplied origin."
    )
    assert any(expected in line for line in outcome.cors_errors()), outcome.describe()
