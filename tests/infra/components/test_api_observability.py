"""Api on a bare Stack: X-Ray on the stage, JSON access logs, the gateway's request id handed to
the service, and metrics keyed by a name no other environment shares."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service import contract
from tests.infra.components.observed import Observed, observed
from tests.infra.conftest import resources


@pytest.fixture(scope="module")
def built() -> Observed:
    return observed()


def _stage(built: Observed) -> dict[str, Any]:
    properties: dict[str, Any] = built.resource(built.api.stage)["Properties"]
    return properties


def test_the_stage_traces_requests_with_x_ray(built):
    assert _stage(built)["TracingEnabled"] is True


def test_each_access_log_line_is_one_json_object_with_the_request_ids(built):
    settings = _stage(built)["AccessLogSetting"]
    line = settings["Format"]
    assert "\n" not in line
    fields = json.loads(line)
    assert fields["requestId"] == "$context.requestId"
    assert fields["extendedRequestId"] == "$context.extendedRequestId"
    assert fields["xrayTraceId"] == "$context.xrayTraceId"
    assert fields["status"] == "$context.status"
    assert fields["ip"] == "$context.identity.sourceIp"
    assert fields["integrationLatency"] == "$context.integrationLatency"


def test_access_log_values_are_only_variables_that_cannot_break_the_json(built):
    fields = json.loads(_stage(built)["AccessLogSetting"]["Format"])
    assert all(value.startswith("$context.") and " " not in value for value in fields.values())
    # Client-chosen text (user agent, raw path) could hold a quote and end the JSON string.
    assert not {"$context.identity.userAgent", "$context.path"} & set(fields.values())


def test_every_integration_hands_the_gateway_request_id_to_the_service(built):
    methods = resources(built.template, "AWS::ApiGateway::Method")
    assert len(methods) == 2  # ANY / and ANY /{proxy+}
    header = f"integration.request.header.{contract.GATEWAY_REQUEST_ID_HEADER}"
    for name, method in methods.items():
        mapped = method["Properties"]["Integration"]["RequestParameters"]
        assert mapped[header] == "context.requestId", name


def test_the_api_is_named_after_its_stack_so_environments_keep_their_metrics_apart(built):
    name = built.resource(built.api.rest_api)["Properties"]["Name"]
    assert name.startswith(f"{built.stack.stack_name}-")
