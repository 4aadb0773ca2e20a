"""The FastAPI application factory."""

from __future__ import annotations

import logging
import sys
from typing import Any, Final, TextIO

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.telemetry import TelemetryConfig
from fastapi.telemetry._api import _unconfigured as _placeholder_provider
from fastapi_offline import FastAPIOffline
from opentelemetry import _logs, metrics, trace
from starlette.middleware.cors import CORSMiddleware

from service.middleware import (
    BodyLimitMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from service.responses import method_not_allowed_handler
from service.routers import api, demo, diagnostics, health
from service.settings import Settings, SettingsError, load_settings
from service.validation import validation_error_handler

# Swagger UI's and ReDoc's scripts and styles, served by the app itself from the fastapi-offline
# package: the docs pages load nothing from a CDN.
DOCS_ASSETS_PATH: Final = "/docs/assets"


def fastapi_telemetry() -> TelemetryConfig:
    """FastAPI's own OpenTelemetry signals, each on only if its provider is set up already.

    Left alone, FastAPI asks on every request whether a tracer, meter or logger provider has
    been set up meanwhile: a tenth of what a bare FastAPI app spends on GET /api/items here
    (README: Benchmarks). The image ships the OpenTelemetry API without an SDK, so the answer is
    always no; a team that adds an SDK sets it up before the app is built (as
    opentelemetry-instrument does), and then each signal it set up stays on. The test of "set up"
    is FastAPI's own: the global provider is no longer the API's placeholder."""
    return {
        "tracing": not _placeholder_provider(trace.get_tracer_provider()),
        "metrics": not _placeholder_provider(metrics.get_meter_provider()),
        "logs": not _placeholder_provider(_logs.get_logger_provider()),
    }


def _new_app(settings: Settings) -> FastAPI:
    common: dict[str, Any] = {
        "title": "CORS-safe API",
        "version": "1.0.0",
        # Slash redirects are built from the Host and scheme the app sees, which behind API
        # Gateway and an ALB are the internal ones: never redirect (README: the redirect to
        # http).
        "redirect_slashes": False,
        "telemetry": fastapi_telemetry(),
    }
    if settings.api_docs_enabled:
        return FastAPIOffline(static_url=DOCS_ASSETS_PATH, **common)
    return FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **common)


def build_app(settings: Settings, *, access_log: TextIO | None = None) -> FastAPI:
    """The app for settings; with access_log, one JSON line per request goes there."""
    app = _new_app(settings)
    app.state.settings = settings
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(405, method_not_allowed_handler)
    routers = [api.router]
    if settings.demo_routes_enabled:
        routers.append(demo.router)
    if settings.diagnostics_enabled:
        routers.append(diagnostics.router)
    # Routes are tried in order: the API's first, the load balancer's rare health check last.
    routers.append(health.router)
    for router in routers:
        # Each route already carries its router's prefix, tags, responses and route class.
        # include_router would keep the router as a node that FastAPI resolves again on every
        # request, which was half of what the service cost over a bare app (see README).
        app.router.routes.extend(router.routes)

    # Last added is outermost: request id and access log -> CORS -> errors -> body limit ->
    # routes. Everything that can answer on its own (a crash's 500, a 413) sits inside CORS, so
    # the page can read the answer instead of seeing a CORS error. CORS answers preflights
    # itself, so what must see every request sits outside it: the request id (a preflight
    # carries one too) and the access line, which then names each final status.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(UnhandledErrorMiddleware)
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
    # Access lines are info records: a LOG_LEVEL above info leaves them out entirely.
    logged = access_log is not None and settings.log_level in ("info", "debug")
    app.add_middleware(RequestIdMiddleware, access_log=access_log if logged else None)
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
    # stdout, where uvicorn's own access log would go; ECS's awslogs driver ships it.
    return build_app(settings, access_log=sys.stdout)
