"""The demo page itself: configuration from config.json, and failure when it is unusable."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from devstack import API_GATEWAY, PUBLIC_ALB, LocalStack
from devstack.config import LOCAL_API_SOURCES
from infra import csp
from tests.e2e.browser import SitePage
from tests.support.html import meta_policies


def test_page_shows_the_api_url_from_config_json(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    assert site.page.inner_text("#api-url") == stack.api_url(API_GATEWAY)
    assert site.config_error_text() == ""


def test_page_runs_under_the_sites_content_security_policy(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # The page became ready, so app.js ran under the production CSP; and the browser logged
    # nothing (no blocked script, style or connection) while loading it or calling the API.
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    assert site.page.get_attribute("body", "data-ready") == "true"
    assert site.loaded.console == [], site.loaded.describe()
    assert not site.loaded.failed, site.loaded.describe()
    outcome = site.run("list")
    assert outcome.console == [], outcome.describe()


def test_the_sites_content_security_policy_blocks_inline_script(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # The control for the test above: a violation does reach the console it inspects.
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    site.page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "document.body.dataset.inline = 'ran'";
          document.head.append(script);
        }"""
    )
    assert site.page.get_attribute("body", "data-inline") is None
    violations = [line for line in site.loaded.console if "Content Security Policy" in line]
    assert violations, site.loaded.describe()


@pytest.mark.parametrize("path", ["", "index.html", "config.json", "app.js"])
def test_site_responses_carry_the_csp_and_nosniff(stack: LocalStack, path: str) -> None:
    with httpx.Client(verify=False) as client:  # noqa: S501 - the stack's self-signed cert
        response = client.get(stack.site_url(f"{API_GATEWAY}-site") + path)
    assert response.status_code == 200
    expected = csp.header_policy(LOCAL_API_SOURCES)
    assert response.headers.get_list("content-security-policy") == [expected]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    if path == "config.json":
        assert response.headers["cache-control"] == "no-store"


def test_missing_config_json_404_carries_the_csp_and_nosniff(stack: LocalStack) -> None:
    with httpx.Client(verify=False) as client:  # noqa: S501 - the stack's self-signed cert
        response = client.get(stack.site_url("no-config") + "config.json")
    assert response.status_code == 404
    assert "content-security-policy" in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["", "index.html"])
def test_index_html_narrows_connect_src_to_the_sites_own_api(stack: LocalStack, path: str) -> None:
    with httpx.Client(verify=False) as client:  # noqa: S501 - the stack's self-signed cert
        response = client.get(stack.site_url(f"{API_GATEWAY}-site") + path)
    assert meta_policies(response.text) == [csp.entry_policy(stack.api_origin(API_GATEWAY))]


def test_page_cannot_connect_to_an_api_other_than_its_own(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # The header alone allows every https port on loopback (as CloudFront's allows every API
    # of the Region); the page's own policy must be what refuses the other chain's API.
    other_api = stack.api_url(PUBLIC_ALB) + "api/items"
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    outcome = site.fetch(other_api)
    assert outcome.status is None, outcome.describe()
    narrow = csp.entry_policy(stack.api_origin(API_GATEWAY))
    refusals = [
        line
        for line in outcome.console
        if other_api in line and "Content Security Policy" in line and f'"{narrow}"' in line
    ]
    assert refusals, outcome.describe()
    assert site.fetch(stack.api_url(API_GATEWAY) + "api/items").status == 200


def test_no_action_of_the_page_violates_its_content_security_policy(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # Every code path of app.js, under both policies: no inline style or script anywhere, so
    # the header needs no 'unsafe-inline'.
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    actions = site.page.eval_on_selector_all(
        "button[data-action]", "buttons => buttons.map(b => b.dataset.action)"
    )
    assert len(actions) >= 5
    for action in actions:
        outcome = site.run(action)
        violations = [line for line in outcome.console if "Content Security Policy" in line]
        assert violations == [], (action, outcome.describe())
    assert "'unsafe-inline'" not in csp.header_policy(LOCAL_API_SOURCES)


@pytest.mark.parametrize(
    ("site_name", "message"),
    [
        ("no-config", "config.json answered HTTP 404"),
        ("bad-json", "config.json is not valid JSON"),
        ("no-api-url", 'config.json has no "apiUrl" string'),
    ],
)
def test_unusable_config_json_shows_a_visible_error(
    stack: LocalStack, open_page: Callable[[str], SitePage], site_name: str, message: str
) -> None:
    site = open_page(stack.site_url(site_name))
    assert message in site.config_error_text()
    assert site.page.locator("button[data-action=list]").is_disabled()
