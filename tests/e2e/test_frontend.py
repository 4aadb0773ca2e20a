"""The demo page itself: configuration from config.json, and failure when it is unusable."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devstack import API_GATEWAY, Stack
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
    # The page became ready, so app.js ran although the CSP forbids inline scripts; and the
    # browser reported no violation while loading it.
    site = open_page(stack.site_url(f"{API_GATEWAY}-site"))
    outcome = site.run("list")
    assert site.page.get_attribute("body", "data-ready") == "true"
    assert not [line for line in outcome.console if "Content Security Policy" in line]


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
