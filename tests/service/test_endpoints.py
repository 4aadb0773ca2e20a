"""The health check, the example API, diagnostics and the docs under the public base path."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from service.contract import Env
from tests.service.conftest import APP_ORIGIN, SETTINGS, Client, make_client, serve


def test_healthz_is_200_ok(client: Client) -> None:
    response = client.request("GET", "/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_items_lists_items(client: Client) -> None:
    assert client.request("GET", "/api/items").json() == [
        {"id": 1, "name": "first"},
        {"id": 2, "name": "second"},
    ]


def test_unknown_item_is_404_with_detail(client: Client) -> None:
    response = client.request("GET", "/api/items/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "item 999 not found"}


def test_valid_json_post_is_201(client: Client) -> None:
    response = client.request("POST", "/api/items", json={"name": "pen", "quantity": 3})
    assert response.status_code == 201
    assert response.json()["name"] == "pen"
    assert response.json()["quantity"] == 3


@pytest.mark.parametrize(
    "body", [{"name": ""}, {"quantity": 2}, {"name": "x", "quantity": 0}, {"name": "x" * 65}]
)
def test_invalid_json_post_is_422(client: Client, body: dict[str, object]) -> None:
    response = client.request("POST", "/api/items", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_greeting_reads_custom_header(client: Client) -> None:
    response = client.request("GET", "/api/greeting", headers={"X-Client-Name": "spa"})
    assert response.json() == {"message": "hello, spa", "client_name": "spa"}


def test_greeting_without_header_greets_a_stranger(client: Client) -> None:
    assert client.request("GET", "/api/greeting").json()["client_name"] is None


def test_request_id_from_caller_is_echoed(client: Client) -> None:
    response = client.request("GET", "/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


def test_diagnostics_can_be_switched_off() -> None:
    client = make_client(**SETTINGS, **{Env.DIAGNOSTICS_ENABLED: "false"})
    assert client.get("/debug/request").status_code == 404
    assert "/debug/request" not in client.get("/openapi.json").json()["paths"]


def test_diagnostics_are_on_by_default(client: Client) -> None:
    assert client.request("GET", "/debug/request").status_code == 200


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    # As behind API Gateway: the public URL has a stage prefix the gateway strips.
    yield from serve(
        tmp_path_factory, "staged", **{Env.PUBLIC_BASE_URL: "https://api.example.com/v1/"}
    )


def test_docs_under_stage_load_openapi_from_the_stage(staged: httpx.Client) -> None:
    html = staged.get("/docs").text
    assert "'/v1/openapi.json'" in html or '"/v1/openapi.json"' in html


def test_openapi_names_the_stage_as_server(staged: httpx.Client) -> None:
    assert staged.get("/openapi.json").json()["servers"] == [{"url": "/v1"}]


def test_routes_still_answer_without_the_stage_prefix(staged: httpx.Client) -> None:
    response = staged.get("/api/items", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_docs_without_public_base_url_load_openapi_from_root(client: Client) -> None:
    html = client.request("GET", "/docs").text
    assert "'/openapi.json'" in html or '"/openapi.json"' in html
