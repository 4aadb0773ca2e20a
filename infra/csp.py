"""The site's Content-Security-Policy, defined once for CloudFront, the deployed page and devstack.

Two policies reach the browser, and it enforces both (a request must pass each):

- the header CloudFront adds to every response (`header_policy`). It lives in the edge stack,
  which deploys before the API exists, so its connect-src can only name every REST API of the
  Region (`execute_api_sources`);
- a `<meta http-equiv>` policy in index.html (`entry_policy`), written by the site stack after
  the API exists, whose connect-src names the API's own origin. Together the page may connect
  to its own origin and its own API only.

A meta policy cannot carry frame-ancestors (browsers ignore it there and say so in the
console), so the header holds every other directive. Standard library only: devstack imports
this module without aws-cdk.
"""

from __future__ import annotations

import re
from typing import Final

# The page has no inline script or style (app.js and style.css only; app.js sets no style
# attributes), so neither 'unsafe-inline' is needed.
_HEADER_DIRECTIVES: Final = (
    "default-src 'self'",
    "connect-src 'self' {api_sources}",
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
)
# The placeholder index.html ships with: until it is rendered the page may call nothing but its
# own origin, so an unrendered page fails closed.
ENTRY_META_PLACEHOLDER: Final = (
    '<meta http-equiv="Content-Security-Policy" content="connect-src \'self\'">'
)
# One CSP source expression: no whitespace (separates sources), no ';' or ',' (separate
# directives and policies), no quote (ends the HTML attribute, or makes a keyword such as
# 'unsafe-inline') and no '&' (an entity such as &#59; would decode to ';'). CDK's tokens and
# BucketDeployment's <<marker>> placeholders pass.
_SOURCE: Final = re.compile(r"^[^\s;,\"'&]+$")


def _source(value: str) -> str:
    if not _SOURCE.match(value):
        raise ValueError(f"{value!r} is not a single CSP source expression")
    return value


def execute_api_sources(region: str, url_suffix: str) -> str:
    """Every REST API endpoint of a Region, e.g. https://*.execute-api.eu-west-1.amazonaws.com."""
    return _source(f"https://*.execute-api.{region}.{url_suffix}")


def header_policy(api_sources: str) -> str:
    """The policy CloudFront sends with every response; connect-src adds `api_sources`."""
    return "; ".join(d.format(api_sources=_source(api_sources)) for d in _HEADER_DIRECTIVES)


def entry_policy(api_origin: str) -> str:
    """The policy index.html carries: connections to its own origin and its API's only."""
    return f"connect-src 'self' {_source(api_origin)}"


def entry_meta(api_origin: str) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{entry_policy(api_origin)}">'


def render_entry(html: str, api_origin: str) -> str:
    """index.html with its placeholder policy replaced by the one naming `api_origin`."""
    count = html.count(ENTRY_META_PLACEHOLDER)
    if count != 1:
        raise ValueError(
            f"index.html must contain the CSP placeholder exactly once, found {count}: "
            f"{ENTRY_META_PLACEHOLDER}"
        )
    return html.replace(ENTRY_META_PLACEHOLDER, entry_meta(api_origin))
