"""The OpenAPI document is truthful: whatever an operation answers, its entry lists that status.

The tests walk the document the app serves and, for each operation, send what a conformance
checker would: malformed and unknown parameters, invalid bodies, a body over the limit, other
methods, and a crash inside the operation. Each request's status must be one the operation
lists, with a body of the model listed for it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPMethod
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.types import Message, Receive, Scope, Send

from service.contract import DEFAULT_MAX_BODY_BYTES, Env
from tests.service.conftest import SETTINGS, Client, make_client
from tests.support.servers import running_server

JSON = {"Content-Type": "application/json"}


@dataclass
class Operation:
    method: str
    path: str
    spec: dict[str, Any]
    params: list[dict[str, Any]] = field(default_factory=list)

    @property
    def listed(self) -> set[int]:
        return {int(status) for status in self.spec["responses"]}

    def valid_value(self, param: dict[str, Any]) -> str:
        schema = param["schema"]
        if schema.get("type") == "integer":
            return str(schema.get("minimum", 1))
        return "x"

    def url(self, **path_values: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in path_values:
                return path_values[name]
            [param] = [p for p in self.params if p["in"] == "path" and p["name"] == name]
            return self.valid_value(param)

        return re.sub(r"\{([^}]+)\}", value, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations_of(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec, spec.get("parameters", []))
        for path, item in document["paths"].items()
        for method, spec in item.items()
    ]


@pytest.fixture
def operations(client: Client) -> list[Operation]:
    found = operations_of(client.request("GET", "/openapi.json").json())
    assert found
    return found


def schema_name(operation: Operation, status: int) -> str:
    content = operation.spec["responses"][str(status)].get("content", {})
    ref: str = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1]


def unlisted(operation: Operation, what: str, response: Any) -> str | None:
    """Why the response breaks the document, or None if the document tells the truth."""
    status = response.status_code
    if status not in operation.listed:
        return f"{operation} answered {what} with unlisted {status}: {response.text[:120]}"
    if status < 400:
        return None
    model = schema_name(operation, status)
    expected = {"ErrorDetail": str, "HTTPValidationError": list}.get(model)
    if expected is None:
        return f"{operation} lists {status} without an error model ({model or 'none'})"
    detail = response.json().get("detail")
    if not isinstance(detail, expected):
        return f"{operation} answered {what} with a {status} body unlike its model: {detail!r}"
    return None


def check(
    client: Client, operation: Operation, what: str, url: str | None = None, **request: Any
) -> str | None:
    response = client.request(operation.method, url or operation.url(), **request)
    return unlisted(operation, what, response)


def assert_truthful(problems: Iterator[str | None]) -> None:
    found = [problem for problem in problems if problem]
    assert not found, "\n".join(found)


# What a checker sends in place of a parameter's value, by the parameter's schema.
def malformed_values(schema: dict[str, Any]) -> list[str]:
    values = []
    if schema.get("type") in {"integer", "number"}:
        values += ["not-a-number", "1.5", "9" * 5000]
        if "maximum" in schema:
            values.append(str(schema["maximum"] + 1))
        if "minimum" in schema:
            values.append(str(schema["minimum"] - 1))
    if "maxLength" in schema:
        values.append("y" * (schema["maxLength"] + 1))
    return values


def test_a_request_that_follows_the_document_gets_a_listed_status(
    client: Client, operations: list[Operation]
) -> None:
    def problems() -> Iterator[str | None]:
        for operation in operations:
            query = {
                p["name"]: operation.valid_value(p) for p in operation.params if p["in"] == "query"
            }
            body = {"name": "x"} if "requestBody" in operation.spec else None
            yield check(client, operation, "a valid request", params=query, json=body)

    assert_truthful(problems())


def test_malformed_parameters_get_a_listed_status(
    client: Client, operations: list[Operation]
) -> None:
    def problems() -> Iterator[str | None]:
        for operation in operations:
            for param in operation.params:
                for value in malformed_values(param["schema"]):
                    what = f"{param['in']} {param['name']}={value[:20]!r}"
                    if param["in"] == "path":
                        url = operation.url(**{param["name"]: value})
                        yield check(client, operation, what, url=url)
                    elif param["in"] == "query":
                        yield check(client, operation, what, params={param["name"]: value})
                    elif param["in"] == "header":
                        yield check(client, operation, what, headers={param["name"]: value})

    assert_truthful(problems())


def test_unknown_resource_ids_get_a_listed_status(
    client: Client, operations: list[Operation]
) -> None:
    with_ids = [op for op in operations if any(p["in"] == "path" for p in op.params)]
    assert with_ids

    def problems() -> Iterator[str | None]:
        for operation in with_ids:
            for param in (p for p in operation.params if p["in"] == "path"):
                for value in ["0", "-1", "999999", str(2**63)]:
                    url = operation.url(**{param["name"]: value})
                    yield check(client, operation, f"{param['name']}={value}", url=url)

    assert_truthful(problems())


# Bodies a checker sends to an operation that takes JSON: none of them is an item.
INVALID_BODIES = {
    "truncated JSON": b'{"name": ',
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "nesting past the parser's limit": b"[" * 100_000,
    "NaN": b'{"name": "x", "quantity": NaN}',
    "a lone surrogate": b'{"name": "\\ud800"}',
    "the wrong JSON type": b'["name"]',
    "an empty object": b"{}",
    "an empty body": b"",
    "an oversized field": b'{"name": "' + b"z" * 100_000 + b'"}',
}


def test_invalid_bodies_get_a_listed_status(client: Client, operations: list[Operation]) -> None:
    with_body = [op for op in operations if "requestBody" in op.spec]
    assert with_body

    def problems() -> Iterator[str | None]:
        for operation in with_body:
            for what, body in INVALID_BODIES.items():
                yield check(client, operation, what, content=body, headers=JSON)
            plain = {"Content-Type": "text/plain"}
            yield check(client, operation, "a text/plain body", content=b"x", headers=plain)

    assert_truthful(problems())


async def _cut_off_request(app: Any, operation: Operation) -> tuple[int, bytes]:
    """Send the operation a request whose client is gone before its body arrives."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
        "method": operation.method, "path": operation.url(), "raw_path": operation.url().encode(),
        "root_path": "", "query_string": b"", "server": ("127.0.0.1", 80), "client": None,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"20")],
    }  # fmt: skip
    await app(scope, receive, send)
    start, *bodies = sent
    return start["status"], b"".join(m.get("body", b"") for m in bodies)


def test_a_body_the_client_never_sent_gets_a_listed_status() -> None:
    client = make_client(**SETTINGS)
    with_body = [
        op for op in operations_of(client.get("/openapi.json").json()) if "requestBody" in op.spec
    ]
    assert with_body

    def problems() -> Iterator[str | None]:
        for operation in with_body:
            # In a thread with its own loop: in a full run, Playwright's sync API owns this one.
            with ThreadPoolExecutor(1) as pool:
                future = pool.submit(asyncio.run, _cut_off_request(client.app, operation))
                status, body = future.result(timeout=10)
            yield unlisted(operation, "a body cut off", httpx.Response(status, content=body))

    assert_truthful(problems())


def test_a_body_over_the_limit_gets_a_listed_status_on_every_operation(
    client: Client, operations: list[Operation]
) -> None:
    # The limit is enforced before routing: a GET with a large body is refused too.
    body = b" " * (DEFAULT_MAX_BODY_BYTES + 1)

    def problems() -> Iterator[str | None]:
        for operation in operations:
            yield check(client, operation, "a body over the limit", content=body, headers=JSON)

    assert_truthful(problems())


async def _crash(route: APIRoute, scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a bug in the operation")


def test_a_crash_in_any_operation_gets_a_listed_status(monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(**SETTINGS)
    operations = operations_of(client.get("/openapi.json").json())
    # Every operation fails as a bug in it would; the middleware around it stays real.
    monkeypatch.setattr(APIRoute, "handle", _crash)

    def problems() -> Iterator[str | None]:
        for operation in operations:
            response = client.request(operation.method, operation.url())
            assert response.status_code == 500, operation
            yield unlisted(operation, "a crash", response)

    assert_truthful(problems())


def test_every_other_method_is_405_allowing_every_method_of_the_path(
    client: Client, operations: list[Operation]
) -> None:
    methods_by_path: dict[str, set[str]] = {}
    for operation in operations:
        methods_by_path.setdefault(operation.path, set()).add(operation.method)
    assert any(len(methods) > 1 for methods in methods_by_path.values())
    for path, methods in methods_by_path.items():
        url = next(op for op in operations if op.path == path).url()
        for other in {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods:
            response = client.request(other, url)
            assert response.status_code == 405, (other, path)
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            # HEAD is allowed wherever GET is, if the framework answers it; nothing else extra.
            assert allowed - {HTTPMethod.HEAD.value} == methods, (other, path, allowed)


def test_the_405_allows_every_method_of_the_path_under_a_root_path(tmp_path) -> None:
    # uvicorn applies UVICORN_ROOT_PATH itself (scope path and root_path both carry the stage),
    # so this takes the real server, as the task definition runs it.
    settings = {**SETTINGS, Env.ROOT_PATH: "/v1"}
    with running_server(settings, tmp_path / "server.log") as server:
        response = httpx.put(server.url + "/api/items")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")
