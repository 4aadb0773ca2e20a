"""The same app as a Lambda function behind API Gateway REST (v1) and HTTP API (v2) events."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import importlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from service.app import build_app
from service.contract import Env
from service.lambda_handler import LambdaHandler
from service.settings import Settings
from tests.service.conftest import APP_ORIGIN, SETTINGS

EVENTS = Path(__file__).parent / "events"
Event = dict[str, Any]


def event(kind: str, method: str, path: str, headers: dict[str, str] | None = None) -> Event:
    """A real-shaped proxy event for `/v1{path}` with the given method and extra headers."""
    base: Event = json.loads((EVENTS / f"{kind}.json").read_text())
    result = copy.deepcopy(base)
    extra = {k: v for k, v in (headers or {}).items()}
    if kind == "rest_v1":
        result["httpMethod"] = result["requestContext"]["httpMethod"] = method
        result["path"] = path
        result["requestContext"]["path"] = "/v1" + path
        result["pathParameters"] = {"proxy": path.lstrip("/")}
        merged = {
            k: v
            for k, v in result["headers"].items()
            if k.lower() not in {h.lower() for h in extra}
        }
        merged.update(extra)
        result["headers"] = {k: v for k, v in merged.items() if v is not None}
        result["multiValueHeaders"] = {k: [v] for k, v in result["headers"].items()}
    else:
        result["requestContext"]["http"]["method"] = method
        result["rawPath"] = result["requestContext"]["http"]["path"] = "/v1" + path
        result["pathParameters"] = {"proxy": path.lstrip("/")}
        result["headers"].update({k.lower(): v for k, v in extra.items()})
        result["headers"] = {k: v for k, v in result["headers"].items() if v is not None}
    return result


def headers_of(response: dict[str, Any]) -> dict[str, str]:
    merged = {k.lower(): v for k, v in response.get("headers", {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        merged[key.lower()] = ",".join(values)
    return merged


def invoke(handler: Any, request: Event) -> dict[str, Any]:
    """Call the handler as Lambda does: one invocation, a thread with no running event loop.

    In this test session another suite (Playwright's sync API) may own the main thread's loop,
    which mangum would try to reuse.
    """

    def run() -> dict[str, Any]:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            result: dict[str, Any] = handler(request, None)
            return result
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture(scope="module")
def handler() -> LambdaHandler:
    return LambdaHandler(build_app(Settings.model_validate(SETTINGS)))


KINDS = ["rest_v1", "http_v2"]
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


@pytest.mark.parametrize("kind", KINDS)
def test_lambda_preflight_from_allowed_origin_gets_cors_headers(
    handler: LambdaHandler, kind: str
) -> None:
    response = invoke(handler, event(kind, "OPTIONS", "/api/items", PREFLIGHT))
    headers = headers_of(response)
    assert response["statusCode"] == 200
    assert headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("kind", KINDS)
def test_lambda_get_from_allowed_origin_gets_cors_headers(
    handler: LambdaHandler, kind: str
) -> None:
    response = invoke(handler, event(kind, "GET", "/api/items"))
    assert response["statusCode"] == 200
    assert headers_of(response)["access-control-allow-origin"] == APP_ORIGIN
    assert json.loads(response["body"])[0] == {"id": 1, "name": "first"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_lambda_disallowed_origin_gets_no_allow_origin(
    handler: LambdaHandler, kind: str, method: str
) -> None:
    headers = {"Origin": "https://app.example.com.evil.test", **PREFLIGHT}
    response = invoke(handler, event(kind, method, "/api/items", headers))
    assert "access-control-allow-origin" not in headers_of(response)


@pytest.mark.parametrize("kind", KINDS)
def test_lambda_docs_load_openapi_from_the_stage(handler: LambdaHandler, kind: str) -> None:
    response = invoke(handler, event(kind, "GET", "/docs", {"Origin": None}))  # type: ignore[dict-item]
    assert response["statusCode"] == 200
    assert "/v1/openapi.json" in response["body"]


@pytest.mark.parametrize("kind", KINDS)
def test_lambda_serves_openapi_under_the_stage(handler: LambdaHandler, kind: str) -> None:
    response = invoke(handler, event(kind, "GET", "/openapi.json"))
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["servers"] == [{"url": "/v1"}]


def test_lambda_rest_stage_named_like_a_route_prefix_still_routes() -> None:
    # With a stage called "api", a path-prefix strip would turn /api/items into /items.
    app = LambdaHandler(build_app(Settings.model_validate(SETTINGS)))
    request = event("rest_v1", "GET", "/api/items")
    request["requestContext"]["stage"] = "api"
    assert invoke(app, request)["statusCode"] == 200


def test_lambda_module_handler_reads_settings_from_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(Env.ALLOW_ORIGINS, "https://other.example.com")
    module = importlib.reload(importlib.import_module("service.lambda_handler"))
    request = event("http_v2", "GET", "/api/items", {"Origin": "https://other.example.com"})
    response = invoke(module.handler, request)
    assert headers_of(response)["access-control-allow-origin"] == "https://other.example.com"


def test_lambda_invocations_never_run_the_lifespan() -> None:
    # lifespan "auto" would run startup and shutdown on every invocation.
    app = build_app(Settings.model_validate(SETTINGS))
    runs: list[str] = []

    @contextlib.asynccontextmanager
    async def counting(_: object) -> AsyncIterator[None]:
        runs.append("startup")
        yield
        runs.append("shutdown")

    app.router.lifespan_context = counting
    handler = LambdaHandler(app)
    for _ in range(3):
        assert invoke(handler, event("http_v2", "GET", "/healthz"))["statusCode"] == 200
    assert runs == []
