"""What the app sees of a request: the first thing to look at when a proxy chain misbehaves."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from service.contract import GATEWAY_REQUEST_ID_HEADER
from service.responses import EVERY_OPERATION
from service.validation import StrictJSONRoute

router = APIRouter(tags=["diagnostics"], route_class=StrictJSONRoute, responses=EVERY_OPERATION)

_FORWARDED = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-real-ip",
    "via",
    GATEWAY_REQUEST_ID_HEADER.lower(),
)


class RequestView(BaseModel):
    scheme: str
    host: str | None
    path: str
    root_path: str
    client: str | None
    forwarded_headers: dict[str, str]
    peer_trusted: bool | None
    peer_trusted_reason: str
    forwarded_allow_ips: str | None


def _trust(request: Request, headers: dict[str, str]) -> tuple[bool | None, str]:
    # uvicorn applies X-Forwarded-* before the app runs and drops the original peer address,
    # so trust is inferred from its effects. This server never terminates TLS itself, so an
    # https scheme can only come from an honoured X-Forwarded-Proto.
    if "x-forwarded-proto" not in headers and "x-forwarded-for" not in headers:
        return None, "no X-Forwarded-For/-Proto arrived, nothing to trust"
    if request.url.scheme == "https":
        return True, "X-Forwarded-Proto was honoured (scheme is https)"
    client = request.client.host if request.client else None
    forwarded_for = [part.strip() for part in headers.get("x-forwarded-for", "").split(",")]
    if client and client in forwarded_for:
        return True, "the client address was taken from X-Forwarded-For"
    return False, "forwarded headers were ignored: the peer is not in FORWARDED_ALLOW_IPS"


@router.get("/debug/request")
async def request_view(request: Request) -> RequestView:
    headers = {name: request.headers[name] for name in _FORWARDED if name in request.headers}
    trusted, reason = _trust(request, headers)
    client = request.client
    return RequestView(
        scheme=request.url.scheme,
        host=request.headers.get("host"),
        path=request.url.path,
        root_path=request.scope.get("root_path", ""),
        client=f"{client.host}:{client.port}" if client else None,
        forwarded_headers=headers,
        peer_trusted=trusted,
        peer_trusted_reason=reason,
        forwarded_allow_ips=request.app.state.settings.forwarded_allow_ips,
    )
