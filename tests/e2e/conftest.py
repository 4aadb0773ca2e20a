"""Fixtures for the end-to-end suite: one Chromium per session, stacks per session/module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from devstack import (
    API_GATEWAY,
    HTTP_API,
    LAMBDA,
    PUBLIC_ALB,
    REST_ALB,
    SAME_ORIGIN,
    Ingress,
    LocalStack,
    LocalStackConfig,
    SiteSpec,
)
from devstack.image import built_service_image
from devstack.podman import ContainerError
from devstack.prereqs import PrerequisiteError, check
from tests.e2e.browser import SitePage, launch_chromium, new_site_page

INGRESSES: list[Ingress] = [API_GATEWAY, PUBLIC_ALB, HTTP_API, REST_ALB, LAMBDA]
# Sites whose config.json is broken on purpose, served next to the real ones.
# An origin the same-origin chain's API lists (app:extraOrigins), calling it cross-origin.
SAME_ORIGIN_EXTRA = SiteSpec(name=f"{SAME_ORIGIN}-extra", ingress=SAME_ORIGIN, allowed=True)
BAD_CONFIG_SITES = (
    SiteSpec(name="no-config", ingress=API_GATEWAY, allowed=True, raw_config=""),
    SiteSpec(name="bad-json", ingress=API_GATEWAY, allowed=True, raw_config="{apiUrl:"),
    SiteSpec(name="no-api-url", ingress=API_GATEWAY, allowed=True, raw_config='{"api": "x"}'),
)


@pytest.fixture(scope="session", autouse=True)
def _prerequisites() -> None:
    # A missing tool is a failure with the install command, never a silent skip.
    try:
        check(browser=True)
    except PrerequisiteError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[str], SitePage]]:
    """Open a fresh browser context (no shared cache or cookies) on a URL."""
    pages: list[SitePage] = []

    def _open(url: str) -> SitePage:
        site = new_site_page(browser)
        pages.append(site)
        site.open(url)
        return site

    yield _open
    for site in pages:
        site.page.context.close()


@pytest.fixture(scope="session")
def service_image() -> str:
    """The real image of service/Dockerfile, built once per run (podman; devstack/image.py)."""
    try:
        return built_service_image()
    except (ContainerError, PrerequisiteError) as exc:
        problem = str(exc)  # failed outside the handler: no chained traceback, one line
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def stack(service_image: str) -> Iterator[LocalStack]:
    """Every chain with production settings; each service runs as the real image, so every
    browser test on this stack goes through it (the other stacks run the command as a process).
    """
    config = LocalStackConfig(
        extra_sites=(*BAD_CONFIG_SITES, SAME_ORIGIN_EXTRA), container_image=service_image
    )
    with LocalStack(config) as running:
        yield running


@pytest.fixture(params=INGRESSES, ids=[f"through_{ingress}" for ingress in INGRESSES])
def ingress(request: pytest.FixtureRequest) -> Ingress:
    chain: Ingress = request.param
    return chain


@pytest.fixture
def site(stack: LocalStack, ingress: Ingress, open_page: Callable[[str], SitePage]) -> SitePage:
    """The demo page on the origin the chain's API allows."""
    return open_page(stack.site_url(f"{ingress}-site"))


@pytest.fixture
def other_site(
    stack: LocalStack, ingress: Ingress, open_page: Callable[[str], SitePage]
) -> SitePage:
    """The same page on an origin the API does not list."""
    return open_page(stack.site_url(f"{ingress}-other"))
