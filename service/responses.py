"""Every status an operation can answer, for the OpenAPI document, and the 405's Allow header.

FastAPI documents an operation's success and, when it takes parameters or a body, its 422. The
rest comes from elsewhere and is listed here: the body limit (413) and the error middleware
(500) answer any request before or around routing, a route answers its own 404, and FastAPI's
body reader answers 400 when a body cannot be read at all. All of them carry one readable line.
"""

from __future__ import annotations

from http import HTTPMethod
from typing import Any, Final

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match

_DESCRIPTIONS: Final = {
    400: "The request body could not be read",
    404: "No such resource",
    413: "The request body is larger than the limit",
    500: "The service failed; the response says nothing more",
}


class ErrorDetail(BaseModel):
    """Every error except a 422: one line for a human."""

    detail: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry of a router or route that can answer these error statuses."""
    return {
        status: {"model": ErrorDetail, "description": _DESCRIPTIONS[status]} for status in statuses
    }


# What the middleware can answer to any request, whatever its route: every router lists these.
EVERY_OPERATION: Final = errors(413, 500)


async def method_not_allowed_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's 405 names the methods of the first route whose path matched; a path served
    by one route per method (GET and POST /api/items) needs all of them. Asking each route
    whether it would take the request with another method finds them through the routes' public
    matching, however FastAPI nests included routers."""
    if not isinstance(exc, HTTPException):  # registered for status 405 only
        raise exc
    routes = request.app.router.routes
    allowed = [
        method.value
        for method in HTTPMethod
        if any(
            route.matches({**request.scope, "method": method.value})[0] is Match.FULL
            for route in routes
        )
    ]
    headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
    return JSONResponse({"detail": exc.detail}, status_code=405, headers=headers)
