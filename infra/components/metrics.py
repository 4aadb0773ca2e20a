"""Metrics the alarms and the dashboard share, where CDK's own helpers fall short.

Everything else comes from the L2 helpers (`Stage.metric_*`, `*.metrics.*`,
`FargateService.metric_*`); these two families have none that works as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

# CloudFront publishes its metrics in us-east-1 only, under the dimensions DistributionId and
# Region=Global. CDK's Distribution.metric_* set neither the Region dimension nor the region
# (aws/aws-cdk#19245, open): as they are, they name a metric that never has data.
CLOUDFRONT_METRICS_REGION: Final = "us-east-1"
CONTAINER_INSIGHTS: Final = "ECS/ContainerInsights"
ONE_MINUTE: Final = Duration.minutes(1)


def cloudfront_metric(
    distribution: cloudfront.Distribution,
    name: str,
    *,
    statistic: str = "Average",
    in_metrics_region: bool = False,
) -> cw.Metric:
    """CloudFront's metric `name` (e.g. "5xxErrorRate") for `distribution`.

    `in_metrics_region` pins the metric to us-east-1, for a dashboard in any Region; an alarm
    leaves it unset, since an alarm can only watch its own Region's metrics.
    """
    return distribution.metric(
        name,
        dimensions_map={"DistributionId": distribution.distribution_id, "Region": "Global"},
        statistic=statistic,
        period=ONE_MINUTE,
        region=CLOUDFRONT_METRICS_REGION if in_metrics_region else None,
    )


def container_insights(service: ecs.BaseService, name: str) -> cw.Metric:
    """A Container Insights service metric, e.g. "RunningTaskCount" (no L2 helper exists)."""
    return cw.Metric(
        namespace=CONTAINER_INSIGHTS,
        metric_name=name,
        dimensions_map={
            "ClusterName": service.cluster.cluster_name,
            "ServiceName": service.service_name,
        },
        statistic="Average",
        period=ONE_MINUTE,
    )


def tasks_missing(service: ecs.BaseService) -> cw.MathExpression:
    """Desired minus running tasks, per minute."""
    return cw.MathExpression(
        expression="desired - running",
        using_metrics={
            "desired": container_insights(service, "DesiredTaskCount"),
            "running": container_insights(service, "RunningTaskCount"),
        },
        label="tasks missing (desired - running)",
        period=ONE_MINUTE,
    )


def error_rate(errors: cw.IMetric, requests: cw.IMetric, *, label: str) -> cw.MathExpression:
    """Percent of requests answered with an error, per minute.

    A rate, so one threshold suits quiet and busy hours. The load balancers publish an error
    count only for a minute that had errors, hence FILL; a minute without requests has no
    value at all (the alarms treat that as fine).
    """
    return cw.MathExpression(
        expression="100 * FILL(errors, 0) / requests",
        using_metrics={"errors": errors, "requests": requests},
        label=label,
        period=ONE_MINUTE,
    )


@dataclass(frozen=True)
class GatewayMetrics:
    """An API gateway's per-minute figures, whichever kind of API it is (REST or HTTP).

    The alarms and the dashboard read these, so they follow every ingress with a gateway.
    """

    kind: str  # shown in the dashboard's column title
    requests: cw.IMetric
    client_errors: cw.IMetric
    server_errors: cw.IMetric
    latency_p99: cw.IMetric
    integration_latency_p99: cw.IMetric


def rest_stage_metrics(stage: apigw.Stage) -> GatewayMetrics:
    """A REST API stage's figures (namespace AWS/ApiGateway, ApiName and Stage)."""
    return GatewayMetrics(
        kind="REST API",
        requests=stage.metric_count(statistic="Sum", period=ONE_MINUTE),
        client_errors=stage.metric_client_error(period=ONE_MINUTE),
        server_errors=stage.metric_server_error(period=ONE_MINUTE),
        latency_p99=stage.metric_latency(statistic="p99", period=ONE_MINUTE),
        integration_latency_p99=stage.metric_integration_latency(
            statistic="p99", period=ONE_MINUTE
        ),
    )


def http_api_metrics(api: apigwv2.HttpApi) -> GatewayMetrics:
    """An HTTP API's figures (namespace AWS/ApiGateway, ApiId; its one `$default` stage)."""
    return GatewayMetrics(
        kind="HTTP API",
        requests=api.metric_count(statistic="Sum", period=ONE_MINUTE),
        client_errors=api.metric_client_error(period=ONE_MINUTE),
        server_errors=api.metric_server_error(period=ONE_MINUTE),
        latency_p99=api.metric_latency(statistic="p99", period=ONE_MINUTE),
        integration_latency_p99=api.metric_integration_latency(statistic="p99", period=ONE_MINUTE),
    )


def alb_entry_metrics(
    alb: elbv2.ApplicationLoadBalancer,
    target_group: elbv2.ApplicationTargetGroup,
    *,
    kind: str = "public ALB",
) -> GatewayMetrics:
    """The ALB's figures as the API's entry, where no API Gateway stands in front (public-alb,
    and same-origin behind CloudFront): the ALB's 5xx (its own and its targets') and the
    targets' response time are what browsers get."""
    return GatewayMetrics(
        kind=kind,
        requests=alb.metrics.request_count(period=ONE_MINUTE),
        client_errors=alb.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_4XX_COUNT, period=ONE_MINUTE),
        server_errors=cw.MathExpression(
            expression="FILL(alb, 0) + FILL(targets, 0)",
            using_metrics={
                "alb": alb.metrics.http_code_elb(
                    elbv2.HttpCodeElb.ELB_5XX_COUNT, period=ONE_MINUTE
                ),
                "targets": target_group_metric(alb, target_group, "HTTPCode_Target_5XX_Count"),
            },
            label="ALB and target 5xx",
            period=ONE_MINUTE,
        ),
        # ALBs report seconds; the alarm's threshold (alarmLatencyP99Ms) is milliseconds.
        latency_p99=cw.MathExpression(
            expression="1000 * seconds",
            using_metrics={
                "seconds": target_group_metric(
                    alb, target_group, "TargetResponseTime", statistic="p99"
                )
            },
            label="target response time p99 (ms)",
            period=ONE_MINUTE,
        ),
        integration_latency_p99=target_group_metric(
            alb, target_group, "TargetResponseTime", statistic="p99"
        ),
    )


def target_group_metric(
    alb: elbv2.ApplicationLoadBalancer,
    target_group: elbv2.ApplicationTargetGroup,
    name: str,
    *,
    statistic: str = "Sum",
) -> cw.Metric:
    """The tasks' target group's metric `name`, dimensioned by the ALB's and the group's names.

    CDK's `target_group.metrics` derive the load balancer's name by splitting the listener's ARN;
    in another stack (same-origin's alarms live with the distribution) that split would run
    over a cross-stack reference, which cfn-lint rejects; both names are plain attributes here.
    """
    return cw.Metric(
        namespace="AWS/ApplicationELB",
        metric_name=name,
        dimensions_map={
            "LoadBalancer": alb.load_balancer_full_name,
            "TargetGroup": target_group.target_group_full_name,
        },
        statistic=statistic,
        period=ONE_MINUTE,
    )
