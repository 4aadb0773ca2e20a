"""Which operations of an OpenAPI document `smoke` calls, and with what (no server needed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cors_doctor.openapi import Operation, pick_operations

OK = {"responses": {"200": {"description": "ok"}}}


def document(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths, **extra}


def picked(paths: dict[str, Any], **extra: Any) -> list[tuple[str, str]]:
    return [(op.method, op.path) for op in pick_operations(document(paths, **extra), "doc.json")]


def path_parameter(**fields: Any) -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, **fields}


def test_gets_without_required_parameters_are_picked_in_document_order() -> None:
    optional = {"name": "q", "in": "query", "required": False}
    paths = {
        "/b": {"get": OK},
        "/a": {"get": {**OK, "parameters": [optional]}, "put": OK, "delete": OK},
    }
    assert picked(paths) == [("GET", "/b"), ("GET", "/a")]


@pytest.mark.parametrize("place", ["query", "header", "cookie"])
def test_get_with_a_required_parameter_is_skipped(place: str) -> None:
    required = {"name": "x", "in": place, "required": True, "example": "1"}
    assert picked({"/a": {"get": {**OK, "parameters": [required]}}, "/b": {"get": OK}}) == [
        ("GET", "/b")
    ]


EXAMPLES = {
    "the parameter's example": path_parameter(example=7),
    "the parameter's first named example": path_parameter(examples={"one": {"value": 7}}),
    "its schema's example": path_parameter(schema={"type": "integer", "example": 7}),
    "its schema's first examples entry": path_parameter(schema={"examples": [7, 8]}),
}


@pytest.mark.parametrize("parameter", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_path_parameter_is_filled_from_its_example(parameter: dict[str, Any]) -> None:
    assert picked({"/items/{id}": {"get": {**OK, "parameters": [parameter]}}}) == [
        ("GET", "/items/7")
    ]


def test_path_parameter_without_example_skips_the_operation() -> None:
    parameter = path_parameter(schema={"type": "integer"})
    assert picked({"/items/{id}": {"get": {**OK, "parameters": [parameter]}}}) == []


def test_placeholder_without_a_declared_parameter_skips_the_operation() -> None:
    assert picked({"/items/{id}": {"get": OK}}) == []


def test_path_level_parameters_apply_and_the_operations_override_them() -> None:
    paths = {
        "/a/{id}": {"parameters": [path_parameter(example=1)], "get": OK},
        "/b/{id}": {
            "parameters": [path_parameter(example=1)],
            "get": {**OK, "parameters": [path_parameter(example=2)]},
        },
    }
    assert picked(paths) == [("GET", "/a/1"), ("GET", "/b/2")]


def test_example_value_is_percent_encoded_into_the_path() -> None:
    parameter = path_parameter(example="a b/c?")
    assert picked({"/x/{id}": {"get": {**OK, "parameters": [parameter]}}}) == [
        ("GET", "/x/a%20b%2Fc%3F")
    ]


def test_local_references_are_followed() -> None:
    components = {
        "parameters": {"Id": path_parameter(example=3)},
        "requestBodies": {"New": {"content": {"application/json": {"schema": {"$ref": "#/c"}}}}},
    }
    paths = {
        "/items/{id}": {"get": {**OK, "parameters": [{"$ref": "#/components/parameters/Id"}]}},
        "/items": {"post": {**OK, "requestBody": {"$ref": "#/components/requestBodies/New"}}},
    }
    operations = pick_operations(
        document(paths, components=components, c={"example": {"n": 1}}), "doc.json"
    )
    assert operations == [
        Operation("GET", "/items/3"),
        Operation("POST", "/items", "application/json", json.dumps({"n": 1}).encode()),
    ]


BODIES = {
    "the media type's example": {"application/json": {"example": {"n": 1}}},
    "the media type's first named example": {
        "application/json": {"examples": {"first": {"value": {"n": 1}}, "more": {"value": 2}}}
    },
    "its schema's example": {"application/json": {"schema": {"example": {"n": 1}}}},
    "a +json media type": {"application/problem+json": {"example": {"n": 1}}},
}


@pytest.mark.parametrize("content", BODIES.values(), ids=BODIES.keys())
def test_json_post_is_sent_with_its_example_body(content: dict[str, Any]) -> None:
    [post] = pick_operations(
        document({"/items": {"post": {**OK, "requestBody": {"content": content}}}}), "doc.json"
    )
    assert post == Operation("POST", "/items", next(iter(content)), b'{"n": 1}')


def test_only_the_first_json_post_with_an_example_is_picked() -> None:
    def post(example: Any) -> dict[str, Any]:
        body = {"content": {"application/json": {"example": example}}}
        return {"post": {**OK, "requestBody": body}}

    paths = {
        "/none": {"post": {**OK, "requestBody": {"content": {"application/json": {}}}}},
        "/form": {"post": {**OK, "requestBody": {"content": {"text/plain": {"example": "x"}}}}},
        "/first": post({"n": 1}),
        "/second": post({"n": 2}),
        "/get": {"get": OK},
    }
    assert picked(paths) == [("GET", "/get"), ("POST", "/first")]
