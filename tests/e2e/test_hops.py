"""Each nginx hop behaves like the AWS component it stands in for (checked with plain HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack import (
    API_GATEWAY,
    HTTP_API,
    PUBLIC_ALB,
    REST_ALB,
    TRUSTED_PROXY_CIDR,
    LocalStack,
    LocalStackConfig,
)
from service import contract


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(verify=False, timeout=5.0) as http:  # noqa: S501 - self-signed, loopback
        yield http


def test_api_gateway_strips_the_stage_and_sends_the_nlb_host(
    stack: LocalStack, client: httpx.Client
) -> None:
    seen = client.get(stack.api_url(API_GATEWAY) + "debug/request").json()
    assert seen["host"] == stack.nlb_host
    # The app got /debug/request; root_path is the stage it was told about (UVICORN_ROOT_PATH).
    assert seen["root_path"] == "/v1"
    assert seen["path"] == "/v1/debug/request"


def test_api_gateway_sends_its_own_request_id_replacing_the_callers(
    stack: LocalStack, client: httpx.Client
) -> None:
    header = contract.GATEWAY_REQUEST_ID_HEADER
    response = client.get(
        stack.api_url(API_GATEWAY) + "debug/request", headers={header: "forged-by-the-caller"}
    )
    seen = response.json()["forwarded_headers"][header.lower()]
    assert seen != "forged-by-the-caller"
    assert len(seen) >= 16


def test_internal_alb_overwrites_the_gateways_forwarded_proto_with_http(
    stack: LocalStack, client: httpx.Client
) -> None:
    seen = client.get(stack.api_url(API_GATEWAY) + "debug/request").json()
    assert seen["forwarded_headers"]["x-forwarded-proto"] == "http"
    assert seen["scheme"] == "http"
    assert seen["peer_trusted"] is True


def test_public_alb_tells_the_service_the_request_was_https(
    stack: LocalStack, client: httpx.Client
) -> None:
    seen = client.get(
        stack.api_url(PUBLIC_ALB) + "debug/request", headers={"X-Forwarded-Proto": "http"}
    ).json()
    assert seen["scheme"] == "https"
    assert seen["peer_trusted"] is True
    assert seen["forwarded_allow_ips"] == TRUSTED_PROXY_CIDR


def test_public_alb_http_listener_redirects_to_https(
    stack: LocalStack, client: httpx.Client
) -> None:
    response = client.get(stack.public_alb_http_url + "api/items?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == stack.api_url(PUBLIC_ALB) + "api/items?x=1"


def test_service_ignores_forwarded_headers_from_an_untrusted_peer(
    stack: LocalStack, client: httpx.Client
) -> None:
    # Straight to the service from 127.0.0.1, outside the trusted "VPC" address.
    direct = stack.services[PUBLIC_ALB].url + "/debug/request"
    seen = client.get(direct, headers={"X-Forwarded-Proto": "https"}).json()
    assert seen["scheme"] == "http"
    assert seen["peer_trusted"] is False


def test_api_gateway_answers_unknown_paths_itself_with_the_sites_cors_headers(
    stack: LocalStack, client: httpx.Client
) -> None:
    # As production's DEFAULT_4XX gateway response (infra/components/api.py) does.
    gateway_root = stack.api_origin(API_GATEWAY) + "/"
    origin = stack.site_origin(f"{API_GATEWAY}-site")
    response = client.get(gateway_root + "api/items", headers={"Origin": origin})
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


def test_api_gateway_errors_name_the_fixed_site_origin_never_the_callers(
    stack: LocalStack, client: httpx.Client
) -> None:
    other = stack.site_origin(f"{API_GATEWAY}-other")
    response = client.get(
        stack.api_origin(API_GATEWAY) + "/not-a-stage/x", headers={"Origin": other}
    )
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == stack.site_origin(
        f"{API_GATEWAY}-site"
    )
    assert other not in response.headers.get_list("access-control-allow-origin")


@pytest.fixture(scope="module")
def short_integration_timeout_stack() -> Iterator[LocalStack]:
    # One second instead of 29, so a slow request makes the gateway time out quickly.
    config = LocalStackConfig(public_alb=None, integration_timeout_seconds=1)
    with LocalStack(config) as running:
        yield running


def test_api_gateway_integration_timeout_is_a_504_with_the_sites_cors_headers(
    short_integration_timeout_stack: LocalStack, client: httpx.Client
) -> None:
    stack = short_integration_timeout_stack
    other = stack.site_origin(f"{API_GATEWAY}-other")
    response = client.get(
        stack.api_url(API_GATEWAY) + "api/slow?ms=1500", headers={"Origin": other}
    )
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert response.headers["access-control-allow-origin"] == stack.gateway_site_origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


def test_a_body_over_the_service_limit_is_the_services_413_with_cors_through_each_chain(
    stack: LocalStack, client: httpx.Client
) -> None:
    body = b'{"name": "' + b"x" * (contract.DEFAULT_MAX_BODY_BYTES + 1) + b'"}'
    for ingress in (API_GATEWAY, PUBLIC_ALB):
        origin = stack.site_origin(f"{ingress}-site")
        response = client.post(
            stack.api_url(ingress) + "api/items",
            content=body,
            headers={"Origin": origin, "Content-Type": "application/json"},
        )
        assert response.status_code == 413, ingress
        assert "limit of 1048576 bytes" in response.json()["detail"], ingress
        assert response.headers["access-control-allow-origin"] == origin, ingress


def test_api_gateway_refuses_a_body_over_10_mb_itself_with_the_sites_cors_headers(
    stack: LocalStack, client: httpx.Client
) -> None:
    response = client.post(
        stack.api_url(API_GATEWAY) + "api/items",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Origin": stack.gateway_site_origin, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert response.headers["access-control-allow-origin"] == stack.gateway_site_origin
    assert response.headers["vary"] == "Origin"


def test_api_gateway_passes_service_responses_through_without_its_own_cors_headers(
    stack: LocalStack, client: httpx.Client
) -> None:
    # The gateway-response headers are only for errors the gateway makes itself: a service
    # response to a disallowed origin must keep having no allow-origin at all.
    other = stack.site_origin(f"{API_GATEWAY}-other")
    response = client.get(stack.api_url(API_GATEWAY) + "api/items/999", headers={"Origin": other})
    assert response.status_code == 404
    assert "access-control-allow-origin" not in response.headers


def test_docs_under_the_stage_load_the_staged_openapi(
    stack: LocalStack, client: httpx.Client
) -> None:
    docs = client.get(stack.api_url(API_GATEWAY) + "docs")
    assert docs.status_code == 200
    assert "/v1/openapi.json" in docs.text
    assert client.get(stack.api_url(API_GATEWAY) + "openapi.json").status_code == 200


def test_http_api_passes_the_path_unchanged_and_sends_the_alb_host(
    stack: LocalStack, client: httpx.Client
) -> None:
    # The $default stage has no segment to strip, and the service has no root path.
    seen = client.get(stack.api_url(HTTP_API) + "debug/request").json()
    assert seen["host"] == stack.alb_host
    assert seen["root_path"] == ""
    assert seen["path"] == "/debug/request"
    assert seen["peer_trusted"] is True


def test_http_api_sends_its_own_request_id_replacing_the_callers(
    stack: LocalStack, client: httpx.Client
) -> None:
    header = contract.GATEWAY_REQUEST_ID_HEADER
    response = client.get(
        stack.api_url(HTTP_API) + "debug/request", headers={header: "forged-by-the-caller"}
    )
    seen = response.json()["forwarded_headers"][header.lower()]
    assert seen != "forged-by-the-caller"
    assert len(seen) >= 16


def test_http_api_passes_the_services_cors_headers_through(
    stack: LocalStack, client: httpx.Client
) -> None:
    origin = stack.site_origin(f"{HTTP_API}-site")
    preflight = client.options(
        stack.api_url(HTTP_API) + "api/items",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-client-name",
        },
    )
    # The service's preflight answer (exact origin, credentials), not a gateway's.
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"


def test_http_api_refuses_a_body_over_10_mb_itself_without_cors_headers(
    stack: LocalStack, client: httpx.Client
) -> None:
    # An HTTP API has no gateway responses: its own errors carry no CORS headers.
    response = client.post(
        stack.api_url(HTTP_API) + "api/items",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Origin": stack.site_origin(f"{HTTP_API}-site")},
    )
    assert response.status_code == 413
    assert "access-control-allow-origin" not in response.headers


def test_rest_alb_chain_strips_the_stage_at_the_alb_and_sends_the_alb_host(
    stack: LocalStack, client: httpx.Client
) -> None:
    # The gateway passes /v1/debug/request on (a v2 private integration keeps the stage); the
    # "ALB" strips it with the deployed rule's regex; uvicorn adds the root path back.
    seen = client.get(stack.api_url(REST_ALB) + "debug/request").json()
    assert seen["host"] == stack.rest_alb_host
    assert seen["root_path"] == "/v1"
    assert seen["path"] == "/v1/debug/request"
    assert seen["peer_trusted"] is True
