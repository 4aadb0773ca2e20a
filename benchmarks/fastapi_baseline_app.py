"""The service's GET /api/items on a bare FastAPI app: the baseline the service is measured against.

The same endpoint (so the same route and response model) behind Starlette's CORSMiddleware
configured from the same settings, and nothing else: no request id, error or body-limit
middleware, no strict JSON route class, no docs. What the service costs beyond this is the cost
of its own layers.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.middleware.cors import CORSMiddleware

from service.contract import HEALTH_PATH
from service.routers.api import list_items
from service.routers.health import healthz
from service.settings import load_settings


def create_app() -> FastAPI:
    """Factory, so it starts with exactly the service's command-line flags (--factory)."""
    settings = load_settings()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.get("/api/items")(list_items)
    app.get(HEALTH_PATH, response_class=PlainTextResponse)(healthz)
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
