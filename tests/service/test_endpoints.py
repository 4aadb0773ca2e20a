"""The health check, the example API, diagnostics and the docs under the public base path."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from service import contract
from service.contract import Env
from tests.service.conftest import APP_ORIGIN, SETTINGS, Client, make_client, serve
from tests.support.servers import running_server


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


def test_request_without_an_id_gets_a_fresh_random_one(client: Client) -> None:
    ids = [client.request("GET", "/healthz").headers["x-request-id"] for _ in range(3)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids), ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("sent", ["", "x" * 129, "tab\there"], ids=["empty", "long", "control"])
def test_request_id_that_is_not_sane_is_replaced(client: Client, sent: str) -> None:
    response = client.request("GET", "/healthz", headers={"X-Request-ID": sent})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


# Everything a deployment keeps closed unless its setting says true.
CLOSED_BY_DEFAULT = {
    Env.DIAGNOSTICS_ENABLED: ["/debug/request"],
    Env.DEMO_ROUTES_ENABLED: ["/api/boom", "/api/slow?ms=0"],
    Env.API_DOCS_ENABLED: ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui.css"],
}
CLOSED_PATHS = [path for paths in CLOSED_BY_DEFAULT.values() for path in paths]


@pytest.fixture(scope="module")
def deployed_default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A real server with exactly the environment the CDK app writes by default."""
    env = contract.container_environment(
        allow_origins=[APP_ORIGIN], allow_credentials=True, forwarded_allow_ips="10.0.0.0/16"
    )
    del env[Env.HOST], env[Env.PORT]  # loopback and a free port here
    log = tmp_path_factory.mktemp("deployed-default") / "server.log"
    with running_server(env, log) as server, httpx.Client(base_url=server.url) as client:
        yield client


@pytest.mark.parametrize("path", CLOSED_PATHS)
def test_deployed_default_does_not_serve(deployed_default: httpx.Client, path: str) -> None:
    response = deployed_default.get(path, headers={"Origin": APP_ORIGIN})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_deployed_default_still_serves_the_api(deployed_default: httpx.Client) -> None:
    assert deployed_default.get("/api/items").status_code == 200


@pytest.mark.parametrize("setting", list(CLOSED_BY_DEFAULT))
def test_each_closed_route_group_opens_with_its_own_setting(setting: str) -> None:
    client = make_client(**{setting: "true"})
    for group, paths in CLOSED_BY_DEFAULT.items():
        for path in paths:
            status = client.get(path).status_code
            assert (status != 404) == (group == setting), (setting, path, status)


def test_diagnostics_are_left_out_of_the_schema_when_off() -> None:
    client = make_client(**{Env.API_DOCS_ENABLED: "true"})
    assert not {"/debug/request", "/api/slow"} & set(client.get("/openapi.json").json()["paths"])


def test_every_operation_that_takes_a_body_refuses_invalid_json_numbers() -> None:
    # A router that forgot StrictJSONRoute would answer NaN with a 201 or a 500.
    client = make_client(**SETTINGS)
    operations = [
        (method, path)
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert operations
    for method, path in operations:
        url = re.sub(r"\{[^}]+\}", "1", path)
        headers = {"Content-Type": "application/json"}
        response = client.request(method.upper(), url, content=b"NaN", headers=headers)
        assert response.status_code == 422, (method, path)
        assert response.json()["detail"][0]["type"] == "json_invalid"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    # As behind API Gateway: the public URL has a stage prefix the gateway strips, and uvicorn
    # is told it the way the task definition tells it (UVICORN_ROOT_PATH).
    yield from serve(tmp_path_factory, "staged", **{Env.ROOT_PATH: "/v1"})


def test_docs_under_stage_load_openapi_from_the_stage(staged: httpx.Client) -> None:
    html = staged.get("/docs").text
    assert "'/v1/openapi.json'" in html or '"/v1/openapi.json"' in html


def test_openapi_names_the_stage_as_server(staged: httpx.Client) -> None:
    assert staged.get("/openapi.json").json()["servers"] == [{"url": "/v1"}]


def test_routes_still_answer_without_the_stage_prefix(staged: httpx.Client) -> None:
    response = staged.get("/api/items", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_docs_without_a_root_path_load_openapi_from_root(client: Client) -> None:
    html = client.request("GET", "/docs").text
    assert "'/openapi.json'" in html or '"/openapi.json"' in html


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_only_their_own_assets_under_the_stage(staged: httpx.Client, page: str) -> None:
    html = staged.get(page).text
    urls = _asset_urls(html)
    assert urls
    for url in urls:
        # Same origin, under the stage: nothing from a CDN, so nothing to pin.
        assert url.startswith("/v1/docs/assets/"), url
        # The gateway strips the stage before the service sees the request.
        response = staged.get(url.removeprefix("/v1"))
        assert response.status_code == 200, url
        assert response.content


def test_swagger_ui_script_is_served_by_the_service(staged: httpx.Client) -> None:
    response = staged.get("/docs/assets/swagger-ui-bundle.js")
    assert response.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert b"SwaggerUIBundle" in response.content
