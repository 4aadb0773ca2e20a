"""Tell the app the path prefix the public sees (an API Gateway stage, say)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class BasePathMiddleware:
    """The gateway strips the stage before forwarding, so the app gets '/docs' while the browser
    is at '/prod/docs'. ASGI says root_path is that prefix and path includes it; setting both
    here (as uvicorn's --root-path would) makes /docs load '/prod/openapi.json'. A server or
    adapter that already set a root_path wins.
    """

    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.base_path and scope["type"] in {"http", "websocket"} and not scope.get("root_path"):
            scope = {**scope, "root_path": self.base_path, "path": self.base_path + scope["path"]}
        await self.app(scope, receive, send)
