"""What `smoke` checks on a deployed stack: the calls a page makes, one per CORS situation.

The paths come from an OpenAPI document (--openapi), from --path flags, or both; without either,
from DEFAULT_CALLS, which fit this product's API. Each GET is sent as a plain fetch(); the POST
is credentialed unless --no-credentials, as the product's SPA sends it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cors_doctor import openapi
from cors_doctor.inputs import UsageError, check_url, join_path
from cors_doctor.model import PageRequest
from cors_doctor.transport import Session
from service.contract import HEALTH_PATH


@dataclass(frozen=True)
class SmokePlan:
    """Where the paths come from; built from the command line before anything is sent."""

    api_url: str
    openapi_source: str | None = None
    paths: tuple[str, ...] = ()
    credentials: bool = True
    same_origin: bool = False


# The product's SPA: a simple GET, a credentialed JSON POST (preflighted), a GET with a custom
# header (preflighted), a 404 (which must carry CORS headers) and the health check. URLs are
# relative to the API URL.
DEFAULT_CALLS = (
    PageRequest(url="api/items"),
    PageRequest(
        url="api/items",
        method="POST",
        headers={"Content-Type": "application/json"},
        credentials=True,
        body=json.dumps({"name": "cors-doctor", "quantity": 1}).encode(),
    ),
    PageRequest(url="api/greeting", headers={"X-Client-Name": "cors-doctor"}),
    PageRequest(url="api/items/999999"),
    PageRequest(url=HEALTH_PATH),
)


def default_requests(
    api_url: str, *, credentials: bool = True, same_origin: bool = False
) -> list[PageRequest]:
    """DEFAULT_CALLS on api_url; credentials=False sends the POST without them.

    same_origin: the API is served under the site's own origin (`ingress=same-origin`), where
    only /api/* reaches the service: the health check is left out.
    """
    calls = [c for c in DEFAULT_CALLS if not (same_origin and c.url == HEALTH_PATH)]
    return [
        replace(
            call,
            url=join_path(api_url, call.url),
            headers=dict(call.headers),
            credentials=call.credentials and credentials,
        )
        for call in calls
    ]


def path_requests(api_url: str, paths: Sequence[str]) -> list[PageRequest]:
    """One plain GET per --path; a path that makes the URL malformed is a usage error."""
    return [PageRequest(url=check_url(join_path(api_url, path))) for path in paths]


def openapi_requests(
    api_url: str, source: str, client: Session, *, credentials: bool
) -> list[PageRequest]:
    document = openapi.load(source, client)
    operations = openapi.pick_operations(document, source)
    if not operations:
        raise UsageError(
            f"{source}: no GET without required parameters and no JSON POST with an example; "
            "name the paths with --path"
        )
    return [
        PageRequest(
            url=check_url(join_path(api_url, operation.path)),
            method=operation.method,
            headers={"Content-Type": operation.content_type} if operation.content_type else {},
            credentials=credentials and operation.method == "POST",
            body=operation.body,
        )
        for operation in operations
    ]


def requests_for(plan: SmokePlan, client: Session) -> list[PageRequest]:
    """Every call of the smoke run, in order: the document's, then the --path ones."""
    if plan.openapi_source is None and not plan.paths:
        return default_requests(
            plan.api_url, credentials=plan.credentials, same_origin=plan.same_origin
        )
    named = path_requests(plan.api_url, plan.paths)  # checked before the document is fetched
    if plan.openapi_source is None:
        return named
    return [
        *openapi_requests(plan.api_url, plan.openapi_source, client, credentials=plan.credentials),
        *named,
    ]
