"""`ingress=same-origin`: the page and its API share one origin, so the browser needs no CORS.

The chain's site server stands in for CloudFront: it serves the site and proxies /api/* to the
"ALB" (the VPC origin), and its config.json names its own origin. Its API lists no origin of its
own; an extra origin still gets the service's CORS through the same server.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from devstack import SAME_ORIGIN, LocalStack
from tests.e2e.browser import SitePage
from tests.e2e.checks import (
    check_blocked_by_cors,
    check_preflighted_post,
    check_readable,
    check_simple_get,
)
from tests.e2e.conftest import SAME_ORIGIN_EXTRA


def _methods_seen(stack: LocalStack) -> list[str]:
    """The methods of every request the chain's service logged (one JSON line each)."""
    lines = stack.services[SAME_ORIGIN].output().splitlines()
    return [json.loads(line)["method"] for line in lines if line.startswith('{"time"')]


def _site(stack: LocalStack, open_page: Callable[[str], SitePage]) -> SitePage:
    return open_page(stack.site_url(f"{SAME_ORIGIN}-site"))


def test_config_json_names_the_sites_own_origin(stack: LocalStack) -> None:
    assert stack.api_url(SAME_ORIGIN) == stack.site_url(f"{SAME_ORIGIN}-site")


def test_a_credentialed_json_post_needs_no_preflight_and_the_server_sees_no_options(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    site = _site(stack, open_page)
    before = _methods_seen(stack)
    outcome = site.run("create")
    check_preflighted_post(outcome)
    after = _methods_seen(stack)[len(before) :]
    assert after == ["POST"], after
    assert not outcome.cors_errors(), outcome.describe()


def test_get_and_the_services_errors_are_readable_without_cors(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    site = _site(stack, open_page)
    check_simple_get(site.run("list"))
    for action, status in (("missing", 404), ("invalid", 422), ("boom", 500)):
        check_readable(site.run(action), status)


def test_another_origin_calling_the_api_is_refused(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    other = open_page(stack.site_url(f"{SAME_ORIGIN}-other"))
    outcome = other.fetch(stack.api_url(SAME_ORIGIN) + "api/items")
    check_blocked_by_cors(outcome, stack.api_url(SAME_ORIGIN))


def test_an_extra_origin_still_gets_cors_through_the_same_server(
    stack: LocalStack, open_page: Callable[[str], SitePage]
) -> None:
    # The control for the preflight count above: cross-origin, the server does see OPTIONS.
    extra = open_page(stack.site_url(SAME_ORIGIN_EXTRA.name))
    before = _methods_seen(stack)
    check_preflighted_post(extra.run("create"))
    assert _methods_seen(stack)[len(before) :] == ["OPTIONS", "POST"]
