"""The FastAPI application factory."""

from __future__ import annotations

import logging
import sys
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.routers import api, diagnostics, health
from service.settings import Settings, SettingsError, load_settings

log = logging.getLogger("service")

REQUEST_ID_HEADER = "X-Request-ID"


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


class RequestIdMiddleware:
    """Give every response an X-Request-ID (the caller's, if it sent a sane one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"")
        request_id = incoming if 0 < len(incoming) <= 128 and incoming.isascii() else None
        value = request_id or uuid.uuid4().hex.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", value)]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BasePathMiddleware:
    """Tell the app the path prefix the public sees (an API Gateway stage, say).

    The gateway strips the stage before forwarding, so the app gets '/docs' while the browser is
    at '/prod/docs'. ASGI says root_path is that prefix and path includes it; setting both here
    (as uvicorn's --root-path would) makes /docs load '/prod/openapi.json'. A server or adapter
    that already set a root_path wins.
    """

    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.base_path and scope["type"] in {"http", "websocket"} and not scope.get("root_path"):
            scope = {**scope, "root_path": self.base_path, "path": self.base_path + scope["path"]}
        await self.app(scope, receive, send)


def build_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="CORS-safe API",
        version="1.0.0",
        # Slash redirects are built from the Host and scheme the app sees, which behind API
        # Gateway and an ALB are the internal ones: never redirect (see README, seed 000).
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(api.router)
    if settings.diagnostics_enabled:
        app.include_router(diagnostics.router)

    # Last added is outermost. Starlette's own ServerErrorMiddleware sits outside all user
    # middleware, so a crash would reach the browser without CORS headers and look like a CORS
    # error. A second ServerErrorMiddleware inside CORS turns the crash into a 500 that CORS
    # decorates; it re-raises afterwards so the server still logs the traceback.
    app.add_middleware(BasePathMiddleware, base_path=settings.base_path)
    app.add_middleware(ServerErrorMiddleware, handler=_internal_error)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allow_origins,
        allow_origin_regex=settings.allow_origin_regex,
        allow_credentials=settings.allow_credentials,
        allow_methods=settings.allow_methods,
        allow_headers=settings.allow_headers,
        expose_headers=settings.expose_headers,
        max_age=settings.max_age,
    )
    return app


def create_app() -> FastAPI:
    """Entry point for `uvicorn --factory`: settings from the environment, or exit with a reason."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        # One readable line per bad setting instead of a traceback; uvicorn exits the same way
        # when it cannot import the app.
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        raise SystemExit(3) from None
    logging.getLogger("service").setLevel(settings.log_level.upper())
    return build_app(settings)
