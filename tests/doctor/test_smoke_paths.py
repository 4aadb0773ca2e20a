"""`smoke` takes its paths from an OpenAPI document (file or URL), from --path, or its defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.app import build_app
from service.contract import Env
from service.settings import Settings
from tests.doctor.conftest import (
    PRODUCT_SETTINGS,
    Endpoint,
    Outcome,
    stack_outputs,
    write_outputs,
)
from tests.doctor.test_cli import assert_one_line_error


def service_schema() -> dict[str, Any]:
    """The real service's OpenAPI schema, from its app factory, with the API docs off as a
    deployment runs it: generating the schema needs no /openapi.json route."""
    settings = Settings.model_validate({**PRODUCT_SETTINGS, Env.API_DOCS_ENABLED: "false"})
    schema: dict[str, Any] = build_app(settings).openapi()
    return schema


def write_schema(folder: Path, schema: dict[str, Any]) -> str:
    path = folder / "openapi.json"
    path.write_text(json.dumps(schema))
    return str(path)


def checked(outcome: Outcome, base: str) -> list[tuple[str, str]]:
    return [(p["method"], p["url"].removeprefix(base)) for p in outcome.report["paths"]]


def test_smoke_checks_the_gets_of_the_services_own_schema(
    doctor, product: Endpoint, tmp_path: Path
) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(product.url))
    schema = write_schema(tmp_path, service_schema())
    outcome = doctor("smoke", "--outputs", outputs, "--openapi", schema, "--json")
    assert outcome.failures() == []
    paths = checked(outcome, product.url)
    assert ("GET", "/api/items") in paths
    assert ("GET", "/api/greeting") in paths
    # No example for item_id and none for NewItem: neither is invented.
    assert not any("{" in url or url.startswith("/api/items/") for _, url in paths)
    assert {method for method, _ in paths} == {"GET"}
    assert outcome.code == 0


def test_smoke_fills_path_parameters_and_posts_the_schemas_example(
    doctor, product: Endpoint, tmp_path: Path
) -> None:
    schema = service_schema()
    [parameter] = schema["paths"]["/api/items/{item_id}"]["get"]["parameters"]
    parameter["example"] = 1
    schema["components"]["schemas"]["NewItem"]["examples"] = [{"name": "from-openapi"}]
    outputs = write_outputs(tmp_path, stack_outputs(product.url))
    outcome = doctor(
        "smoke", "--outputs", outputs, "--openapi", write_schema(tmp_path, schema), "--json"
    )
    assert outcome.failures() == []
    assert outcome.code == 0
    paths = checked(outcome, product.url)
    assert ("GET", "/api/items/1") in paths
    assert paths[-1] == ("POST", "/api/items")
    post = outcome.report["paths"][-1]
    assert post["preflighted"] is True
    assert post["credentials"] is True
    assert post["headers"] == {"Content-Type": "application/json"}
    # 201, not 422: the example body was sent as the body.
    assert [hop["status"] for hop in post["hops"] if hop["kind"] == "request"] == [201]


def test_smoke_checks_exactly_the_path_flags(doctor, product: Endpoint, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(product.url))
    outcome = doctor(
        "smoke", "--outputs", outputs, "--path", "api/items", "--path", "/healthz", "--json"
    )
    assert checked(outcome, product.url) == [("GET", "/api/items"), ("GET", "/healthz")]
    assert outcome.failures() == []
    assert outcome.code == 0


def test_smoke_reads_the_document_from_a_url(doctor, faulty: Endpoint, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(faulty.url))
    outcome = doctor(
        "smoke", "--outputs", outputs, "--openapi", f"{faulty.url}/openapi.json",
        "--path", "wildcard-public", "--json",
    )  # fmt: skip
    assert checked(outcome, faulty.url) == [
        ("GET", "/ok"),
        ("GET", "/missing-vary"),  # /redirect is skipped: its required query has no example
        ("POST", "/ok"),  # the document's paths first, then --path
        ("GET", "/wildcard-public"),
    ]
    post = outcome.report["paths"][2]
    assert post["preflighted"] is True
    assert post["credentials"] is True
    assert outcome.code == 1
    assert [name for name, _ in outcome.failures()] == ["vary-origin"]


def test_smoke_reads_a_gzip_encoded_document(doctor, faulty: Endpoint, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(faulty.url))
    outcome = doctor(
        "smoke", "--outputs", outputs, "--openapi", f"{faulty.url}/openapi.json?gzip", "--json"
    )
    assert checked(outcome, faulty.url) == [
        ("GET", "/ok"),
        ("GET", "/missing-vary"),
        ("POST", "/ok"),
    ]


def test_document_url_answering_404_is_one_line_naming_the_docs_setting(
    doctor, faulty: Endpoint, tmp_path: Path
) -> None:
    outputs = write_outputs(tmp_path, stack_outputs(faulty.url))
    outcome = doctor("smoke", "--outputs", outputs, "--openapi", f"{faulty.url}/absent.json")
    assert_one_line_error(outcome, "/absent.json answered 404", Env.API_DOCS_ENABLED, "as a file")
