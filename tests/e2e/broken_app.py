"""The app with FastAPI's slash redirects switched back on, as the broken set-ups had it.

Only the negative controls start it (`uvicorn tests.e2e.broken_app:create_app --factory ...`,
otherwise the container's exact flags) to prove the browser tests catch such a redirect.
"""

from __future__ import annotations

from fastapi import FastAPI

from service.app import create_app as create_service_app


def create_app() -> FastAPI:
    app = create_service_app()
    # The router's flag is the one that acts (FastAPI(redirect_slashes=...) only sets it).
    app.router.redirect_slashes = True
    return app
