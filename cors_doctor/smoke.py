"""What `smoke` checks on a deployed stack: the calls the product's page makes, one per CORS
situation. The POST is credentialed unless --no-credentials, as the product's SPA sends it.
"""

from __future__ import annotations

import json
from dataclasses import replace

from cors_doctor.inputs import join_path
from cors_doctor.model import PageRequest
from service.contract import HEALTH_PATH

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


def default_requests(api_url: str, *, credentials: bool = True) -> list[PageRequest]:
    """DEFAULT_CALLS on api_url; credentials=False sends the POST without them."""
    return [
        replace(
            call,
            url=join_path(api_url, call.url),
            headers=dict(call.headers),
            credentials=call.credentials and credentials,
        )
        for call in DEFAULT_CALLS
    ]
