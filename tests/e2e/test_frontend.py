"""The demo page itself: configuration from config.json, and failure when it is unusable."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from devstack import API_GATEWAY, Stack
from devstack.stack import ROOT, site_content_security_policy
from tests.e2e.browser import SitePage


def test_page_shows_the_api_url_from_config_json(
    stack: Stack, open_page: Callable[[str], SitePage]
) -> None:
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    assert site.page.inner_text("#api-url") == stack.api_url(API_GATEWAY)
    assert site.config_error_text() == ""


def test_page_runs_under_the_sites_content_security_policy(
    stack: Stack, open_page: Callable[[str], SitePage]
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
    stack: Stack, open_page: Callable[[str], SitePage]
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
def test_site_responses_carry_the_csp_and_nosniff(stack: Stack, path: str) -> None:
    with httpx.Client(verify=False) as client:  # noqa: S501 - the stack's self-signed cert
        response = client.get(stack.site_url(f"{API_GATEWAY}-site") + path)
    assert response.status_code == 200
    expected = site_content_security_policy(stack.api_origin(API_GATEWAY))
    assert response.headers.get_list("content-security-policy") == [expected]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    if path == "config.json":
        assert response.headers["cache-control"] == "no-store"


def test_missing_config_json_404_carries_the_csp_and_nosniff(stack: Stack) -> None:
    with httpx.Client(verify=False) as client:  # noqa: S501 - the stack's self-signed cert
        response = client.get(stack.site_url("no-config") + "config.json")
    assert response.status_code == 404
    assert "content-security-policy" in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def _directives(policy: str) -> dict[str, str]:
    pairs = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {name: value for name, value in pairs}


def test_local_csp_matches_the_production_response_headers_policy() -> None:
    # infra is not imported (it pulls in aws-cdk): read the policy's string literals instead.
    source = (ROOT / "infra" / "constructs" / "frontend.py").read_text()
    block = re.search(r"content_security_policy=\(\s*(.*?)\),", source, re.DOTALL)
    assert block, "no content_security_policy=(...) in infra/constructs/frontend.py"
    production = _directives("".join(re.findall(r'f?"([^"]*)"', block.group(1))))
    local = _directives(site_content_security_policy("https://127.0.0.1:1234"))
    assert production.pop("connect-src").startswith("'self' https://*.execute-api.")
    assert local.pop("connect-src") == "'self' https://127.0.0.1:1234"
    assert local == production


@pytest.mark.parametrize(
    ("site_name", "message"),
    [
        ("no-config", "config.json answered HTTP 404"),
        ("bad-json", "config.json is not valid JSON"),
        ("no-api-url", 'config.json has no "apiUrl" string'),
    ],
)
def test_unusable_config_json_shows_a_visible_error(
    stack: Stack, open_page: Callable[[str], SitePage], site_name: str, message: str
) -> None:
    site = open_page(stack.site_url(site_name))
    assert message in site.config_error_text()
    assert site.page.locator("button[data-action=list]").is_disabled()
