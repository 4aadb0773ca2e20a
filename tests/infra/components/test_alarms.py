"""Alarms and DeploymentAlarms on a bare Stack: each watches the right metric, notifies the one
topic, and the two deployment alarms roll the ECS service back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.infra.components.observed import Observed, observed
from tests.infra.conftest import resources

ABOVE = "GreaterThanThreshold"
AT_OR_ABOVE = "GreaterThanOrEqualToThreshold"
RATE = "100 * FILL(errors, 0) / requests"
# Thresholds unlike the defaults, so a value hard-coded in a component shows up.
TUNED = {"error_rate_percent": 7, "latency_p99_ms": 1234, "cpu_percent": 77, "memory_percent": 66}


@dataclass(frozen=True)
class Expected:
    """What one alarm must watch. `threshold` is a number or an AlarmSettings field name."""

    metrics: dict[str, tuple[str, str, str]]  # id ("" for a single metric) -> ns, name, stat
    threshold: int | str
    comparison: str
    missing: str = "notBreaching"
    expression: str | None = None


EXPECTED: dict[str, Expected] = {
    "target_errors": Expected(
        metrics={
            "errors": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum"),
            "requests": ("AWS/ApplicationELB", "RequestCount", "Sum"),
        },
        expression=RATE,
        threshold="error_rate_percent",
        comparison=ABOVE,
    ),
    "unhealthy_tasks": Expected(
        metrics={"": ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum")},
        threshold=1,
        comparison=AT_OR_ABOVE,
    ),
    "api_errors": Expected(
        metrics={
            "errors": ("AWS/ApiGateway", "5XXError", "Sum"),
            "requests": ("AWS/ApiGateway", "Count", "Sum"),
        },
        expression=RATE,
        threshold="error_rate_percent",
        comparison=ABOVE,
    ),
    "api_latency": Expected(
        metrics={"": ("AWS/ApiGateway", "Latency", "p99")},
        threshold="latency_p99_ms",
        comparison=ABOVE,
    ),
    "cpu": Expected(
        metrics={"": ("AWS/ECS", "CPUUtilization", "Average")},
        threshold="cpu_percent",
        comparison=AT_OR_ABOVE,
    ),
    "memory": Expected(
        metrics={"": ("AWS/ECS", "MemoryUtilization", "Average")},
        threshold="memory_percent",
        comparison=AT_OR_ABOVE,
    ),
    "tasks_missing": Expected(
        metrics={
            "desired": ("ECS/ContainerInsights", "DesiredTaskCount", "Average"),
            "running": ("ECS/ContainerInsights", "RunningTaskCount", "Average"),
        },
        expression="desired - running",
        threshold=1,
        comparison=AT_OR_ABOVE,
        # Container Insights always reports while the service exists: silence is a failure.
        missing="breaching",
    ),
    "cloudfront_errors": Expected(
        metrics={"": ("AWS/CloudFront", "5xxErrorRate", "Average")},
        threshold="error_rate_percent",
        comparison=ABOVE,
    ),
}
DEPLOYMENT = ("target_errors", "unhealthy_tasks")


@pytest.fixture(scope="module")
def built() -> Observed:
    return observed(**TUNED)


def _alarm(built: Observed, name: str) -> Any:
    owner = built.service.deployment_alarms if name in DEPLOYMENT else built.alarms
    return getattr(owner, name)


def _watched(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Metric id ("" for a single-metric alarm) -> namespace, name, statistic, dimensions."""
    if "Metrics" not in properties:
        return {
            "": {
                "metric": (
                    properties["Namespace"],
                    properties["MetricName"],
                    properties.get("Statistic") or properties["ExtendedStatistic"],
                ),
                "dimensions": {d["Name"]: d["Value"] for d in properties["Dimensions"]},
            }
        }
    watched = {}
    for query in properties["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            metric = stat["Metric"]
            watched[query["Id"]] = {
                "metric": (metric["Namespace"], metric["MetricName"], stat["Stat"]),
                "dimensions": {d["Name"]: d["Value"] for d in metric["Dimensions"]},
            }
    return watched


def _expression(properties: dict[str, Any]) -> str | None:
    returned = [q for q in properties.get("Metrics", []) if q.get("ReturnData", True)]
    return returned[0].get("Expression") if returned else None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_alarm_watches_its_metric_with_its_threshold(built, name):
    expected = EXPECTED[name]
    properties = built.resource(_alarm(built, name))["Properties"]
    watched = _watched(properties)
    assert {key: found["metric"] for key, found in watched.items()} == expected.metrics
    assert _expression(properties) == expected.expression
    threshold = expected.threshold
    if isinstance(threshold, str):
        threshold = getattr(built.settings, threshold)
    assert properties["Threshold"] == threshold
    assert properties["ComparisonOperator"] == expected.comparison
    assert properties["TreatMissingData"] == expected.missing


def test_the_tuned_thresholds_differ_from_the_defaults(built):
    # Otherwise the threshold test could not tell a setting from a hard-coded default.
    for field, value in TUNED.items():
        assert getattr(built.settings, field) == value
        assert getattr(type(built.settings)(), field) != value


def test_every_alarm_notifies_exactly_the_topic_when_it_fires_and_when_it_clears(built):
    alarms = resources(built.template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == len(EXPECTED)
    topic = built.ref(built.topic.topic)
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [topic], name
        assert alarm["Properties"]["OKActions"] == [topic], name


def test_the_api_alarms_watch_this_stage_of_this_api(built):
    api = built.resource(built.api.rest_api)["Properties"]
    stage = built.ref(built.api.stage)
    for name in ("api_errors", "api_latency"):
        for found in _watched(built.resource(_alarm(built, name))["Properties"]).values():
            assert found["dimensions"] == {"ApiName": api["Name"], "Stage": stage}


def test_the_deployment_alarms_watch_the_tasks_target_group_not_the_service(built):
    group = {"Fn::GetAtt": [built.logical_id(built.service.target_group), "TargetGroupFullName"]}
    for name in DEPLOYMENT:
        for found in _watched(built.resource(_alarm(built, name))["Properties"]).values():
            # The service names these alarms: a metric of its own would be a dependency cycle.
            assert set(found["dimensions"]) == {"LoadBalancer", "TargetGroup"}
            assert found["dimensions"]["TargetGroup"] == group


def test_the_task_alarms_watch_this_service(built):
    service = {"Fn::GetAtt": [built.logical_id(built.service.ecs_service), "Name"]}
    cluster = built.ref(built.service.cluster)
    for name in ("cpu", "memory", "tasks_missing"):
        for found in _watched(built.resource(_alarm(built, name))["Properties"]).values():
            assert found["dimensions"] == {"ClusterName": cluster, "ServiceName": service}


def test_the_cloudfront_alarm_watches_the_distribution_as_cloudfront_publishes_it(built):
    (found,) = _watched(built.resource(built.alarms.cloudfront_errors)["Properties"]).values()
    assert found["dimensions"] == {
        "DistributionId": built.ref(built.edge.distribution),
        "Region": "Global",
    }


def test_the_cloudfront_alarm_exists_only_in_us_east_1(built):
    resource = built.resource(built.alarms.cloudfront_errors)
    condition = resource["Condition"]
    assert built.template.to_json()["Conditions"][condition] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]
    }
    conditional = [
        name
        for name, body in resources(built.template, "AWS::CloudWatch::Alarm").items()
        if "Condition" in body
    ]
    assert conditional == [built.logical_id(built.alarms.cloudfront_errors)]


def test_the_ecs_service_rolls_back_on_the_deployment_alarms_and_keeps_its_circuit_breaker(
    built,
):
    (service,) = resources(built.template, "AWS::ECS::Service").values()
    deployment = service["Properties"]["DeploymentConfiguration"]
    alarms = resources(built.template, "AWS::CloudWatch::Alarm")
    named = deployment["Alarms"]["AlarmNames"]
    assert named == [built.ref(_alarm(built, name)) for name in DEPLOYMENT]
    assert all(ref["Ref"] in alarms for ref in named)
    assert deployment["Alarms"]["Enable"] is True
    assert deployment["Alarms"]["Rollback"] is True
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
