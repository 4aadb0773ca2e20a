"""AWS Lambda entry point: the same app behind API Gateway REST (v1) or HTTP API (v2) events."""

from __future__ import annotations

from typing import Any

from mangum import Mangum
from starlette.types import ASGIApp, Receive, Scope, Send

from service.app import create_app


def _stage_prefix(event: dict[str, Any]) -> tuple[str, str]:
    """Return (public path prefix, prefix present in the event's path) for one event."""
    context = event.get("requestContext") or {}
    stage = context.get("stage") or ""
    if not stage or stage == "$default":
        return "", ""
    prefix = f"/{stage}"
    if event.get("version") == "2.0":
        # HTTP APIs keep a named stage in rawPath.
        in_path = prefix if str(event.get("rawPath", "")).startswith(prefix + "/") else ""
        return prefix, in_path
    # REST APIs drop the stage from `path`; it is only public on the execute-api host.
    host = str(context.get("domainName") or "")
    return (prefix if host.endswith(".amazonaws.com") else ""), ""


class RootPath:
    """What uvicorn's --root-path (UVICORN_ROOT_PATH) does in the container, for Lambda.

    ASGI: root_path is the prefix the public sees and path includes it, so /docs loads
    '/v1/openapi.json'. mangum sets neither; this is the service's only copy of the rule.
    """

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.root_path and scope["type"] in {"http", "websocket"}:
            raw_path = scope.get("raw_path")
            scope = {
                **scope,
                "root_path": self.root_path,
                "path": self.root_path + scope["path"],
                "raw_path": None if raw_path is None else self.root_path.encode() + raw_path,
            }
        await self.app(scope, receive, send)


class LambdaHandler:
    """One app, one mangum adapter per stage prefix (events of one function share a stage)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._adapters: dict[tuple[str, str], Mangum] = {}

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        key = _stage_prefix(event)
        adapter = self._adapters.get(key)
        if adapter is None:
            public, in_path = key
            # lifespan "off": "auto" would run startup/shutdown on every invocation.
            adapter = Mangum(
                RootPath(self.app, public), lifespan="off", api_gateway_base_path=in_path or "/"
            )
            self._adapters[key] = adapter
        return adapter(event, context)


handler = LambdaHandler(create_app())
