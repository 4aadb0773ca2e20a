"""devstack/lambda_shim.py: the one stand-in for Lambda turns HTTP into API Gateway's event."""

from __future__ import annotations

import base64

from devstack.lambda_shim import request_event, response_parts


def test_the_event_has_the_path_without_the_stage_and_the_stage_in_its_context():
    event = request_event("GET", "/api/items?a=1&a=2", [("Host", "h")], b"", stage="v1", peer="p")
    assert event["path"] == "/api/items"
    assert event["requestContext"]["stage"] == "v1"
    assert event["requestContext"]["path"] == "/v1/api/items"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["requestContext"]["identity"]["sourceIp"] == "p"


def test_every_header_value_is_kept_and_the_body_travels_as_base64():
    headers = [("Cookie", "a=1"), ("Cookie", "b=2"), ("Origin", "https://site")]
    event = request_event("POST", "/x", headers, b"\x00\xff", stage="v1", peer="p")
    assert event["multiValueHeaders"]["Cookie"] == ["a=1", "b=2"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"


def test_an_empty_body_is_none():
    assert request_event("GET", "/", [], b"", stage="v1", peer="p")["body"] is None


def test_the_result_keeps_multi_value_headers_and_decodes_a_base64_body():
    status, headers, body = response_parts(
        {
            "statusCode": 201,
            "headers": {"content-type": "application/octet-stream"},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x01\x02").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 201
    assert [v for k, v in headers if k == "set-cookie"] == ["a=1", "b=2"]
    assert body == b"\x01\x02"
