"""A server that gets CORS wrong in one way per path, served by a real uvicorn in the tests.

Every path except its named fault answers like a correct server for ORIGIN, so each test sees
exactly one failure mode. CORS headers are written by hand on purpose: the faults are the
point, and a middleware would fix them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://other.example.com"
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]

Endpoint = Callable[[Request], Awaitable[Response]]


def good_headers(request: Request) -> dict[str, str]:
    """What a correct credentialed CORS server sends for ORIGIN, and nothing for anyone else."""
    if request.headers.get("origin") != ORIGIN:
        return {"Vary": "Origin"}
    headers = {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE"
        headers["Access-Control-Allow-Headers"] = "content-type, x-client-name, authorization"
    return headers


def answer(request: Request, headers: dict[str, str], status: int = 200) -> Response:
    body = "" if request.method == "OPTIONS" else "ok"
    return PlainTextResponse(body, status_code=status, headers=headers)


async def ok(request: Request) -> Response:
    return answer(request, good_headers(request))


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def no_allow_origin(request: Request) -> Response:
    headers = good_headers(request)
    headers.pop("Access-Control-Allow-Origin", None)
    return answer(request, headers)


async def wrong_allow_origin(request: Request) -> Response:
    headers = good_headers(request)
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Origin"] = OTHER_ORIGIN
    return answer(request, headers)


async def duplicate_allow_origin(request: Request) -> Response:
    # Two layers (gateway and app, say) each adding the header: two separate header lines.
    response = answer(request, good_headers(request))
    if request.headers.get("origin") == ORIGIN:
        response.headers.append("Access-Control-Allow-Origin", ORIGIN)
    return response


async def comma_allow_origin(request: Request) -> Response:
    headers = good_headers(request)
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Origin"] = f"{ORIGIN}, {ORIGIN}"
    return answer(request, headers)


async def wildcard_credentials(request: Request) -> Response:
    headers = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
    return answer(request, headers)


async def wildcard_public(request: Request) -> Response:
    return answer(request, {"Access-Control-Allow-Origin": "*"})


async def method_not_allowed(request: Request) -> Response:
    headers = good_headers(request)
    if "Access-Control-Allow-Methods" in headers:
        headers["Access-Control-Allow-Methods"] = "GET, POST"
    return answer(request, headers)


async def header_not_allowed(request: Request) -> Response:
    headers = good_headers(request)
    if "Access-Control-Allow-Headers" in headers:
        headers["Access-Control-Allow-Headers"] = "content-type"
    return answer(request, headers)


async def headers_wildcard(request: Request) -> Response:
    headers = good_headers(request)
    if "Access-Control-Allow-Headers" in headers:
        headers["Access-Control-Allow-Headers"] = "*"
    return answer(request, headers)


async def credentials_not_allowed(request: Request) -> Response:
    headers = good_headers(request)
    headers.pop("Access-Control-Allow-Credentials", None)
    return answer(request, headers)


async def missing_vary(request: Request) -> Response:
    headers = good_headers(request)
    headers.pop("Vary", None)
    return answer(request, headers)


async def preflight_redirect(request: Request) -> Response:
    if request.method == "OPTIONS":
        return RedirectResponse("/ok", status_code=307, headers=good_headers(request))
    return answer(request, good_headers(request))


async def preflight_forbidden(request: Request) -> Response:
    if request.method == "OPTIONS":
        # What API Gateway answers for an OPTIONS it has no route for: no CORS headers.
        return PlainTextResponse('{"message":"Missing Authentication Token"}', status_code=403)
    return answer(request, good_headers(request))


async def redirect(request: Request) -> Response:
    # The redirect itself carries correct CORS headers, so only its target is under test.
    target = request.query_params["to"]
    return RedirectResponse(target, status_code=307, headers=good_headers(request))


async def not_found_bare(request: Request) -> Response:
    return PlainTextResponse("Not Found", status_code=404)


async def crash_bare(request: Request) -> Response:
    return PlainTextResponse("Internal Server Error", status_code=500)


async def crash_gzip(request: Request) -> Response:
    # A proxy's error page, compressed as httpx asked (Accept-Encoding: gzip).
    page = gzip.compress(b"<html><body><h1>502 Bad Gateway</h1><p>upstream gone</p></body></html>")
    return Response(page, status_code=502, headers={"Content-Encoding": "gzip"})


async def redirect_bare(request: Request) -> Response:
    return RedirectResponse("/ok", status_code=301)


async def reflect_any(request: Request) -> Response:
    origin = request.headers.get("origin", "")
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE"
        headers["Access-Control-Allow-Headers"] = "content-type, x-client-name"
    return answer(request, headers)


async def bad_location(request: Request) -> Response:
    # A Location no URL parser accepts (a hostile or broken server); the query picks which.
    location = {"bracket": "http://[::1", "port": "http://127.0.0.1:99999/ok"}[
        request.query_params["kind"]
    ]
    headers = {**good_headers(request), "Location": location}
    return Response(status_code=307, headers=headers)


async def loop(request: Request) -> Response:
    return RedirectResponse("/loop", status_code=307, headers=good_headers(request))


# What `smoke --openapi URL` reads from this server: a GET that passes, a GET missing Vary, a
# GET the rules skip (its query parameter is required and has no example) and a JSON POST with
# an example body.
OPENAPI_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "failure modes", "version": "1"},
    "paths": {
        "/ok": {
            "get": {"responses": {"200": {"description": "ok"}}},
            "post": {
                "requestBody": {
                    "content": {"application/json": {"example": {"name": "from-the-document"}}}
                },
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/missing-vary": {"get": {"responses": {"200": {"description": "no Vary"}}}},
        "/redirect": {
            "get": {
                "parameters": [{"name": "to", "in": "query", "required": True}],
                "responses": {"307": {"description": "redirect"}},
            }
        },
    },
}


async def openapi_document(request: Request) -> Response:
    body = json.dumps(OPENAPI_DOCUMENT).encode()
    if "gzip" in request.query_params:
        # Compressed as httpx asked (Accept-Encoding: gzip), as CDNs and gateways do.
        return Response(gzip.compress(body), headers={"Content-Encoding": "gzip"})
    return Response(body, media_type="application/json")


ROUTES: dict[str, Endpoint] = {
    "/ok": ok,
    "/no-allow-origin": no_allow_origin,
    "/wrong-allow-origin": wrong_allow_origin,
    "/duplicate-allow-origin": duplicate_allow_origin,
    "/comma-allow-origin": comma_allow_origin,
    "/wildcard-credentials": wildcard_credentials,
    "/wildcard-public": wildcard_public,
    "/method-not-allowed": method_not_allowed,
    "/header-not-allowed": header_not_allowed,
    "/headers-wildcard": headers_wildcard,
    "/credentials-not-allowed": credentials_not_allowed,
    "/missing-vary": missing_vary,
    "/preflight-redirect": preflight_redirect,
    "/preflight-forbidden": preflight_forbidden,
    "/redirect": redirect,
    "/not-found-bare": not_found_bare,
    "/crash-bare": crash_bare,
    "/crash-gzip": crash_gzip,
    "/redirect-bare": redirect_bare,
    "/reflect-any": reflect_any,
    "/loop": loop,
    "/bad-location": bad_location,
}

failure_modes = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/openapi.json", openapi_document),
        *(Route(path, endpoint, methods=METHODS) for path, endpoint in ROUTES.items()),
    ]
)


async def items(request: Request) -> Response:
    return PlainTextResponse("[]")


# The redirect to http in miniature: a correct CORS setup whose router redirects '/api/items'
# to '/api/items/', building the Location from the scheme it sees. Behind a TLS-terminating
# proxy (an ALB forwarding plain HTTP) whose X-Forwarded-Proto is not trusted, that scheme is
# http.
slash_redirect = Starlette(
    routes=[Route("/healthz", healthz), Route("/api/items/", items)],
    middleware=[Middleware(CORSMiddleware, allow_origins=[ORIGIN], allow_credentials=True)],
)
