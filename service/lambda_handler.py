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


class _StagePrefix:
    """Give the app the stage as root_path (with path including it, as ASGI specifies)."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.prefix and scope["type"] == "http":
            scope = {**scope, "root_path": self.prefix, "path": self.prefix + scope["path"]}
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
                _StagePrefix(self.app, public), lifespan="off", api_gateway_base_path=in_path or "/"
            )
            self._adapters[key] = adapter
        return adapter(event, context)


handler = LambdaHandler(create_app())
