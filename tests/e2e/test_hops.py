"""Each nginx hop behaves like the AWS component it stands in for (checked with plain HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack import API_GATEWAY, PUBLIC_ALB, TRUSTED_PROXY_CIDR, Stack


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(verify=False, timeout=5.0) as http:  # noqa: S501 - self-signed, loopback
        yield http


def test_api_gateway_strips_the_stage_and_sends_the_nlb_host(
    stack: Stack, client: httpx.Client
) -> None:
    seen = client.get(stack.api_url(API_GATEWAY) + "debug/request").json()
    assert seen["host"] == stack.nlb_host
    # The app got /debug/request; root_path is the stage it was told about (PUBLIC_BASE_URL).
    assert seen["root_path"] == "/v1"
    assert seen["path"] == "/v1/debug/request"


def test_internal_alb_overwrites_the_gateways_forwarded_proto_with_http(
    stack: Stack, client: httpx.Client
) -> None:
    seen = client.get(stack.api_url(API_GATEWAY) + "debug/request").json()
    assert seen["forwarded_headers"]["x-forwarded-proto"] == "http"
    assert seen["scheme"] == "http"
    assert seen["peer_trusted"] is True


def test_public_alb_tells_the_service_the_request_was_https(
    stack: Stack, client: httpx.Client
) -> None:
    seen = client.get(
        stack.api_url(PUBLIC_ALB) + "debug/request", headers={"X-Forwarded-Proto": "http"}
    ).json()
    assert seen["scheme"] == "https"
    assert seen["peer_trusted"] is True
    assert seen["forwarded_allow_ips"] == TRUSTED_PROXY_CIDR


def test_public_alb_http_listener_redirects_to_https(stack: Stack, client: httpx.Client) -> None:
    response = client.get(stack.public_alb_http_url + "api/items?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == stack.api_url(PUBLIC_ALB) + "api/items?x=1"


def test_service_ignores_forwarded_headers_from_an_untrusted_peer(
    stack: Stack, client: httpx.Client
) -> None:
    # Straight to the service from 127.0.0.1, outside the trusted "VPC" address.
    direct = stack.services[PUBLIC_ALB].url + "/debug/request"
    seen = client.get(direct, headers={"X-Forwarded-Proto": "https"}).json()
    assert seen["scheme"] == "http"
    assert seen["peer_trusted"] is False


def test_api_gateway_answers_unknown_paths_itself_without_cors(
    stack: Stack, client: httpx.Client
) -> None:
    gateway_root = stack.api_url(API_GATEWAY).removesuffix("v1/")
    origin = stack.site_origin(f"{API_GATEWAY}-site")
    response = client.get(gateway_root + "api/items", headers={"Origin": origin})
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert "access-control-allow-origin" not in response.headers


def test_docs_under_the_stage_load_the_staged_openapi(stack: Stack, client: httpx.Client) -> None:
    docs = client.get(stack.api_url(API_GATEWAY) + "docs")
    assert docs.status_code == 200
    assert "/v1/openapi.json" in docs.text
    assert client.get(stack.api_url(API_GATEWAY) + "openapi.json").status_code == 200
