"""Negative controls: the browser checks fail against the broken set-ups users really shipped.

Without these, a check that can never fail would look like a passing one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx
import pytest

from devstack import (
    API_GATEWAY,
    HTTP_API,
    PUBLIC_ALB,
    REST_ALB,
    LocalStack,
    LocalStackConfig,
    ServiceSpec,
)
from tests.e2e.browser import SitePage
from tests.e2e.checks import (
    NO_ALLOW_ORIGIN,
    PREFLIGHT_FAILED,
    check_blocked_by_cors,
    check_preflighted_post,
    check_readable,
    check_simple_get,
    check_stays_on_public_api,
)

BROKEN_APP = "tests.e2e.broken_app:create_app"


@pytest.fixture(scope="module")
def broken_stack() -> Iterator[LocalStack]:
    config = LocalStackConfig(
        # API Gateway's proxy integration with slash redirects on: even with the ALB trusted,
        # the redirect points at the internal NLB host.
        api_gateway=ServiceSpec(app=BROKEN_APP),
        # An ALB that terminates TLS and forwards plain HTTP, which uvicorn does not trust by
        # default (FORWARDED_ALLOW_IPS unset: 127.0.0.1 only), with slash redirects on.
        public_alb=ServiceSpec(app=BROKEN_APP, forwarded_allow_ips=None),
        http_api=None,
        rest_alb=None,
    )
    with LocalStack(config) as running:
        yield running


def test_slash_redirect_behind_an_untrusted_public_alb_fails_the_trailing_slash_check(
    broken_stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    site = open_page(broken_stack.site_url(f"{PUBLIC_ALB}-site"))
    outcome = site.run("slash")
    with pytest.raises(AssertionError, match="the browser left"):
        check_stays_on_public_api(outcome, broken_stack.api_url(PUBLIC_ALB))
    # What went wrong for those users: the redirect pointed the browser at plain http.
    assert any(url.startswith("http://127.0.0.1:") for url in outcome.requests), outcome.describe()


def test_slash_redirect_behind_api_gateway_fails_the_trailing_slash_check(
    broken_stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    site = open_page(broken_stack.site_url(f"{API_GATEWAY}-site"))
    outcome = site.run("slash")
    with pytest.raises(AssertionError, match="the browser left"):
        check_stays_on_public_api(outcome, broken_stack.api_url(API_GATEWAY))
    # Even with the ALB trusted, the redirect names the NLB's host and the ALB's http listener.
    expected = f"http://{broken_stack.nlb_host}/v1/api/items"
    assert expected in outcome.requests, outcome.describe()


def test_default_trust_ignores_the_public_albs_forwarded_proto(broken_stack: LocalStack) -> None:
    # The "VPC" address 127.0.0.2 is outside uvicorn's default (127.0.0.1), as a real ALB's is.
    with httpx.Client(verify=False) as client:  # noqa: S501 - self-signed, loopback
        seen = client.get(broken_stack.api_url(PUBLIC_ALB) + "debug/request").json()
    assert seen["scheme"] == "http"
    assert seen["peer_trusted"] is False
    assert seen["forwarded_allow_ips"] is None


def test_cors_block_check_fails_for_the_allowed_origin(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    outcome = open_page(stack.site_url(f"{API_GATEWAY}-site")).run("list")
    # It fails at its first assertion because the page read the response (HTTP 200) ...
    assert outcome.status == 200, outcome.describe()
    with pytest.raises(AssertionError, match="the page read a response"):
        check_blocked_by_cors(outcome, stack.api_url(API_GATEWAY))
    # ... and would fail later too: there is no failed request and no CORS line.
    assert not outcome.failed, outcome.describe()
    assert not outcome.cors_errors(), outcome.describe()


def test_cors_block_check_fails_without_each_piece_of_evidence(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # A real block, then the same record with one piece of evidence taken away at a time.
    blocked = open_page(stack.site_url(f"{API_GATEWAY}-other")).run("list")
    api_url = stack.api_url(API_GATEWAY)
    check_blocked_by_cors(blocked, api_url)
    tampered = {
        "did not report": replace(blocked, failed=[]),
        "no CORS error": replace(blocked, console=[]),
        "another reason": replace(
            blocked,
            console=[
                line.replace(NO_ALLOW_ORIGIN, "Redirect is not allowed.")
                for line in blocked.console
            ],
        ),
        "was not to": replace(blocked, result={**blocked.result, "url": "https://x.test/a"}),
    }
    for message, outcome in tampered.items():
        with pytest.raises(AssertionError, match=message):
            check_blocked_by_cors(outcome, api_url)
    # A simple request's block is not a preflight's.
    with pytest.raises(AssertionError, match="expected the preflight"):
        check_blocked_by_cors(blocked, api_url, preflight=True)


def test_readable_check_fails_for_the_disallowed_origin(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    outcome = open_page(stack.site_url(f"{API_GATEWAY}-other")).run("missing")
    with pytest.raises(AssertionError, match="fetch failed"):
        check_readable(outcome, 404)


@pytest.fixture(scope="module")
def gateway_cors_stack() -> Iterator[LocalStack]:
    # The HTTP API with its own CORS configuration on (as the console's "Configure CORS"
    # makes it: any origin, no credentials, content-type only): the gateway answers the
    # preflight itself and overwrites the service's headers on every response.
    config = LocalStackConfig(
        api_gateway=None, public_alb=None, rest_alb=None, http_api_gateway_cors=True
    )
    with LocalStack(config) as running:
        yield running


def test_gateway_cors_on_the_http_api_fails_the_preflighted_post_check(
    gateway_cors_stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    site = open_page(gateway_cors_stack.site_url(f"{HTTP_API}-site"))
    outcome = site.run("create")
    with pytest.raises(AssertionError, match="fetch failed"):
        check_preflighted_post(outcome)
    # The gateway's own preflight answer refused the service's custom header and credentials.
    assert any(PREFLIGHT_FAILED in line for line in outcome.cors_errors()), outcome.describe()


def test_gateway_cors_on_the_http_api_fails_the_simple_get_check(
    gateway_cors_stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    site = open_page(gateway_cors_stack.site_url(f"{HTTP_API}-site"))
    outcome = site.run("list")
    with pytest.raises(AssertionError, match="fetch failed"):
        check_simple_get(outcome)
    # The service said the exact origin with credentials; the gateway replaced it with "*".
    assert outcome.cors_errors(), outcome.describe()


def test_gateway_cors_on_the_http_api_replaces_the_services_headers(
    gateway_cors_stack: LocalStack,
) -> None:
    origin = gateway_cors_stack.site_origin(f"{HTTP_API}-site")
    with httpx.Client(verify=False) as client:  # noqa: S501 - self-signed, loopback
        response = client.get(
            gateway_cors_stack.api_url(HTTP_API) + "api/items", headers={"Origin": origin}
        )
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


@pytest.fixture(scope="module")
def unstripped_stack() -> Iterator[LocalStack]:
    # The REST API -> VPC link v2 -> ALB chain without the ALB's rule that strips the stage:
    # AWS sends the stage on, uvicorn puts the root path (the stage) in front again, and no
    # route matches.
    config = LocalStackConfig(
        api_gateway=None, public_alb=None, http_api=None, rest_alb_strips_stage=False
    )
    with LocalStack(config) as running:
        yield running


def test_rest_alb_without_the_stage_rule_fails_the_preflighted_post_check(
    unstripped_stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    outcome = open_page(unstripped_stack.site_url(f"{REST_ALB}-site")).run("create")
    with pytest.raises(AssertionError, match="expected HTTP 201"):
        check_preflighted_post(outcome)
    assert outcome.status == 404, outcome.describe()


def test_rest_alb_without_the_stage_rule_fails_the_simple_get_check(
    unstripped_stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    outcome = open_page(unstripped_stack.site_url(f"{REST_ALB}-site")).run("list")
    with pytest.raises(AssertionError, match="expected HTTP 200"):
        check_simple_get(outcome)
