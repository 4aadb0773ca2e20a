"""RequestPathDashboard on a bare Stack: one column per hop, in the order a request takes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.components.observed import Observed, observed
from tests.infra.conftest import only

# The request's path and what each hop must show (namespace, metric name).
HOPS: list[tuple[str, set[tuple[str, str]]]] = [
    (
        "CloudFront",
        {
            ("AWS/CloudFront", "Requests"),
            ("AWS/CloudFront", "4xxErrorRate"),
            ("AWS/CloudFront", "5xxErrorRate"),
        },
    ),
    (
        "API Gateway",
        {
            ("AWS/ApiGateway", "Count"),
            ("AWS/ApiGateway", "4XXError"),
            ("AWS/ApiGateway", "5XXError"),
            ("AWS/ApiGateway", "Latency"),
            ("AWS/ApiGateway", "IntegrationLatency"),
        },
    ),
    (
        "NLB",
        {
            ("AWS/NetworkELB", "ActiveFlowCount"),
            ("AWS/NetworkELB", "TCP_Client_Reset_Count"),
            ("AWS/NetworkELB", "TCP_ELB_Reset_Count"),
            ("AWS/NetworkELB", "TCP_Target_Reset_Count"),
            ("AWS/NetworkELB", "HealthyHostCount"),
            ("AWS/NetworkELB", "UnHealthyHostCount"),
        },
    ),
    (
        "ALB",
        {
            ("AWS/ApplicationELB", "RequestCount"),
            ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
            ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
            ("AWS/ApplicationELB", "TargetResponseTime"),
            ("AWS/ApplicationELB", "HealthyHostCount"),
            ("AWS/ApplicationELB", "UnHealthyHostCount"),
        },
    ),
    (
        "ECS",
        {
            ("AWS/ECS", "CPUUtilization"),
            ("AWS/ECS", "MemoryUtilization"),
            ("ECS/ContainerInsights", "RunningTaskCount"),
            ("ECS/ContainerInsights", "DesiredTaskCount"),
        },
    ),
]


@pytest.fixture(scope="module")
def built() -> Observed:
    return observed()


def _placeholder(token: dict[str, Any]) -> str:
    """A CloudFormation value as plain text that can sit inside a JSON string."""
    if "Ref" in token:
        return f"Ref:{token['Ref']}"
    if "Fn::GetAtt" in token:
        resource, attribute = token["Fn::GetAtt"]
        return f"GetAtt:{resource}.{attribute}"
    return "Expression"


def _body(built: Observed) -> dict[str, Any]:
    """The dashboard's JSON body, each deploy-time value replaced by a placeholder."""
    _, dashboard = only(built.template, "AWS::CloudWatch::Dashboard")
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, str):
        parsed: dict[str, Any] = json.loads(body)
        return parsed
    delimiter, parts = body["Fn::Join"]
    text = delimiter.join(p if isinstance(p, str) else _placeholder(p) for p in parts)
    parsed = json.loads(text)
    return parsed


def _columns(built: Observed) -> list[tuple[str, list[dict[str, Any]]]]:
    """(header text, the graphs below it), left to right."""
    widgets = _body(built)["widgets"]
    headers = sorted((w for w in widgets if w["type"] == "text"), key=lambda w: w["x"])
    columns = []
    for header in headers:
        graphs = [
            w
            for w in widgets
            if w["type"] == "metric" and w["x"] == header["x"] and w["y"] > header["y"]
        ]
        columns.append((header["properties"]["markdown"], graphs))
    return columns


def _series(graphs: list[dict[str, Any]]) -> list[list[Any]]:
    return [metric for graph in graphs for metric in graph["properties"]["metrics"]]


def test_the_dashboard_name_is_generated(built):
    _, dashboard = only(built.template, "AWS::CloudWatch::Dashboard")
    assert "DashboardName" not in dashboard["Properties"]


def test_the_hops_run_left_to_right_in_the_order_a_request_takes(built):
    columns = _columns(built)
    assert len(columns) == len(HOPS)
    for (header, graphs), (hop, expected) in zip(columns, HOPS, strict=True):
        assert hop in header
        assert {(m[0], m[1]) for m in _series(graphs)} == expected, hop


def test_the_hops_share_one_row(built):
    widgets = _body(built)["widgets"]
    headers = [w for w in widgets if w["type"] == "text"]
    assert {w["y"] for w in headers} == {0}
    assert sum(w["width"] for w in headers) <= 24


def test_cloudfront_is_read_from_us_east_1_with_its_global_region_dimension(built):
    _, graphs = _columns(built)[0]
    distribution = f"Ref:{built.logical_id(built.edge.distribution)}"
    for metric in _series(graphs):
        _, name, *dimensions, options = metric
        assert dict(zip(dimensions[::2], dimensions[1::2], strict=True)) == {
            "DistributionId": distribution,
            "Region": "Global",
        }, name
        assert options["region"] == "us-east-1"


def test_each_hop_shows_this_stacks_resources(built):
    columns = dict(zip([hop for hop, _ in HOPS], (g for _, g in _columns(built)), strict=True))
    ids = {
        "Stage": f"Ref:{built.logical_id(built.api.stage)}",
        "ServiceName": f"GetAtt:{built.logical_id(built.service.ecs_service)}.Name",
    }
    expected_target_groups = {
        "NLB": f"GetAtt:{built.logical_id(built.api.target_group)}.TargetGroupFullName",
        "ALB": f"GetAtt:{built.logical_id(built.service.target_group)}.TargetGroupFullName",
    }
    for hop, graphs in columns.items():
        for metric in _series(graphs):
            dimensions = dict(zip(metric[2:-1:2], metric[3:-1:2], strict=True))
            for key, value in ids.items():
                if key in dimensions:
                    assert dimensions[key] == value, (hop, metric[1])
            if "TargetGroup" in dimensions:
                assert dimensions["TargetGroup"] == expected_target_groups[hop], metric[1]
    api_names = {
        dict(zip(m[2:-1:2], m[3:-1:2], strict=True))["ApiName"]
        for m in _series(columns["API Gateway"])
    }
    assert api_names == {built.resource(built.api.rest_api)["Properties"]["Name"]}


def test_a_status_row_shows_every_alarm_that_always_exists(built):
    (status,) = [w for w in _body(built)["widgets"] if w["type"] == "alarm"]
    always = [*built.service.deployment_alarms.alarms, *built.alarms.alarms]
    assert status["properties"]["alarms"] == [
        f"GetAtt:{built.logical_id(alarm)}.Arn" for alarm in always
    ]
    # The CloudFront alarm exists only in us-east-1; naming it would break a deploy elsewhere.
    cloudfront = f"GetAtt:{built.logical_id(built.alarms.cloudfront_errors)}.Arn"
    assert cloudfront not in status["properties"]["alarms"]
