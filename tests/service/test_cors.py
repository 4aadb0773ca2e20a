"""CORS behaviour, in-process and through a real uvicorn started as the container starts it."""

from __future__ import annotations

import pytest

from service.contract import Env
from tests.service.conftest import APP_ORIGIN, DEV_ORIGIN, Client, make_client

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-client-name",
}

LOOKALIKES = [
    "https://app.example.com.evil.test",
    "https://evil.test?https://app.example.com",
    "https://evilapp.example.com",
    "null",
    "http://app.example.com",
    "https://app.example.com:8443",
    "https://APP.example.com.evil.test",
    "http://localhost:5174",
]


def test_preflight_from_allowed_origin_is_200(client: Client) -> None:
    response = client.request("OPTIONS", "/api/items", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert response.status_code == 200


def test_preflight_from_allowed_origin_gets_exactly_one_allow_origin(client: Client) -> None:
    response = client.request("OPTIONS", "/api/items", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert response.headers.get_list("access-control-allow-origin") == [APP_ORIGIN]


def test_preflight_allows_requested_method_and_headers(client: Client) -> None:
    response = client.request("OPTIONS", "/api/items", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    headers = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert "POST" in methods
    assert {"content-type", "x-client-name"} <= headers


def test_preflight_carries_credentials_max_age_and_vary(client: Client) -> None:
    response = client.request("OPTIONS", "/api/items", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "600"
    assert "origin" in response.headers["vary"].lower()


def test_second_configured_origin_is_also_allowed(client: Client) -> None:
    response = client.request("OPTIONS", "/api/items", headers={"Origin": DEV_ORIGIN, **PREFLIGHT})
    assert response.headers.get("access-control-allow-origin") == DEV_ORIGIN


def test_preflight_with_unlisted_header_is_refused(client: Client) -> None:
    headers = {
        "Origin": APP_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-not-allowed",
    }
    response = client.request("OPTIONS", "/api/items", headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize("origin", LOOKALIKES)
def test_preflight_from_disallowed_origin_gets_no_allow_origin(client: Client, origin: str) -> None:
    response = client.request("OPTIONS", "/api/items", headers={"Origin": origin, **PREFLIGHT})
    assert "access-control-allow-origin" not in response.headers
    # Starlette answers a refused preflight with 400; without allow-origin the browser blocks.
    assert response.status_code == 400


@pytest.mark.parametrize("origin", LOOKALIKES)
def test_actual_request_from_disallowed_origin_gets_no_allow_origin(
    client: Client, origin: str
) -> None:
    response = client.request("GET", "/api/items", headers={"Origin": origin})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/items", None, 200),
        ("POST", "/api/items", {"name": "x"}, 201),
        ("GET", "/api/items/999", None, 404),
        ("GET", "/no/such/route", None, 404),
        ("DELETE", "/api/items", None, 405),
        ("POST", "/api/items", {"name": ""}, 422),
        ("GET", "/api/boom", None, 500),
    ],
)
def test_every_response_to_allowed_origin_carries_cors_headers(
    client: Client, method: str, path: str, body: object, status: int
) -> None:
    response = client.request(method, path, headers={"Origin": APP_ORIGIN}, json=body)
    assert response.status_code == status
    assert response.headers.get_list("access-control-allow-origin") == [APP_ORIGIN]
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "origin" in response.headers["vary"].lower()


def test_request_id_is_exposed_to_the_page(client: Client) -> None:
    response = client.request("GET", "/api/items", headers={"Origin": APP_ORIGIN})
    assert response.headers["x-request-id"]
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


def test_unhandled_error_body_is_json_without_details(client: Client) -> None:
    response = client.request("GET", "/api/boom", headers={"Origin": APP_ORIGIN})
    assert response.json() == {"detail": "Internal Server Error"}
    assert "deliberate" not in response.text


def test_origin_regex_allows_a_matching_origin() -> None:
    client = make_client(**{Env.ALLOW_ORIGIN_REGEX: r"https://pr-\d+\.preview\.example\.com"})
    response = client.get("/api/items", headers={"Origin": "https://pr-42.preview.example.com"})
    assert response.headers["access-control-allow-origin"] == "https://pr-42.preview.example.com"


def test_origin_regex_must_match_the_whole_origin() -> None:
    client = make_client(**{Env.ALLOW_ORIGIN_REGEX: r"https://pr-\d+\.preview\.example\.com"})
    origin = "https://pr-42.preview.example.com.evil.test"
    response = client.get("/api/items", headers={"Origin": origin})
    assert "access-control-allow-origin" not in response.headers


def test_default_settings_allow_no_origin() -> None:
    response = make_client().get("/api/items", headers={"Origin": APP_ORIGIN})
    assert "access-control-allow-origin" not in response.headers
