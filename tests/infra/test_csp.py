"""The site's one CSP definition (infra/csp.py), shared by CloudFront, index.html and devstack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from infra import csp
from tests.infra.conftest import ROOT
from tests.support.html import meta_policies

API = "https://abc123.execute-api.eu-west-1.amazonaws.com"


def _directives(policy: str) -> dict[str, str]:
    pairs = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {name: value for name, value in pairs}


def test_shipped_index_html_may_connect_only_to_its_own_origin_until_rendered():
    html = (ROOT / "frontend" / "index.html").read_text(encoding="utf-8")
    assert meta_policies(html) == ["connect-src 'self'"]


def test_rendered_index_html_names_the_api_origin_and_nothing_else_changes():
    html = (ROOT / "frontend" / "index.html").read_text(encoding="utf-8")
    rendered = csp.render_entry(html, API)
    assert meta_policies(rendered) == [f"connect-src 'self' {API}"]
    assert rendered.replace(csp.entry_meta(API), csp.ENTRY_META_PLACEHOLDER) == html


@pytest.mark.parametrize("copies", [0, 2])
def test_render_refuses_a_page_without_exactly_one_placeholder(copies):
    page = "<head>" + csp.ENTRY_META_PLACEHOLDER * copies + "</head>"
    with pytest.raises(ValueError, match=f"exactly once, found {copies}"):
        csp.render_entry(page, API)


@pytest.mark.parametrize(
    "origin",
    [
        f"{API}; script-src *",
        f'{API}" http-equiv="refresh',
        f"{API} https://evil.example.com",
        f"{API},https://evil.example.com",
        f"{API}&#59; script-src *",
        "'unsafe-inline'",
        "",
    ],
)
def test_an_api_origin_cannot_add_sources_or_directives(origin):
    with pytest.raises(ValueError, match="not a single CSP source expression"):
        csp.entry_policy(origin)
    with pytest.raises(ValueError, match="not a single CSP source expression"):
        csp.header_policy(origin)


def test_header_policy_allows_no_inline_code_or_style_and_no_framing():
    policy = _directives(csp.header_policy(csp.execute_api_sources("eu-west-1", "amazonaws.com")))
    assert policy["connect-src"] == "'self' https://*.execute-api.eu-west-1.amazonaws.com"
    assert policy["default-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "script-src" not in policy  # default-src 'self' applies
    for value in policy.values():
        assert "'unsafe-inline'" not in value
        assert "'unsafe-eval'" not in value


@pytest.mark.parametrize("module", ["infra.csp", "devstack.stack"])
def test_the_policy_is_importable_without_aws_cdk(module):
    # devstack imports infra.csp; it must not pull in aws-cdk (and a Node process with it).
    code = (
        f"import json, sys, {module}; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'aws_cdk', 'jsii', 'constructs', 'cdk_nag'})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == []
