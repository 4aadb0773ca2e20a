"""One dashboard that follows a request hop by hop, left to right."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, cast

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.components import metrics

# The grid is 24 units wide: one column per hop, the first (static files only) narrowest.
HOP_WIDTHS: Final = {5: (4, 5, 5, 5, 5), 4: (6, 6, 6, 6), 3: (8, 8, 8)}
GRAPH_HEIGHT: Final = 6
P99: Final = "p99"

# A graph's title and its series; a hop's column title and its graphs.
Graph = tuple[str, Sequence[cw.IMetric]]
Hop = tuple[str, tuple[Graph, ...]]


class RequestPathDashboard(Construct):
    """CloudFront -> API Gateway -> NLB (if any) -> ALB -> ECS, one column each, then the alarms.

    CloudFront's metrics are read from us-east-1 (the only Region that has them), whichever
    Region the dashboard is in. CloudFormation generates the dashboard's name.

    Args:
        distribution: the site's CloudFront distribution.
        gateway: the API gateway's figures (see metrics.GatewayMetrics). None: no gateway
            column (an internet-facing ALB is the first hop after the browser).
        nlb, nlb_target_group: the internal NLB and its ALB-type target group, where the
            ingress has one. Default None: no NLB column.
        alb, alb_target_group: the internal ALB and the tasks' target group.
        ecs_service: the service's Fargate service.
        alarms: alarms to show in a status row below the hops (each must always exist).

    Attributes:
        dashboard: the CloudWatch dashboard.
        hops: each column's title and its graphs, left to right.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        distribution: cloudfront.Distribution,
        gateway: metrics.GatewayMetrics | None,
        alarms: Sequence[cw.IAlarm],
        alb: elbv2.ApplicationLoadBalancer | None = None,
        alb_target_group: elbv2.ApplicationTargetGroup | None = None,
        ecs_service: ecs.FargateService | None = None,
        nlb: elbv2.NetworkLoadBalancer | None = None,
        nlb_target_group: elbv2.NetworkTargetGroup | None = None,
        function: lambda_.IFunction | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        minute = metrics.ONE_MINUTE

        def site(name: str, statistic: str = "Average") -> cw.IMetric:
            return metrics.cloudfront_metric(
                distribution, name, statistic=statistic, in_metrics_region=True
            )

        front: Hop = (
            "CloudFront (site)",
            (
                ("Requests", [site("Requests", "Sum")]),
                ("Error rate (%)", [site("4xxErrorRate"), site("5xxErrorRate")]),
            ),
        )
        api: tuple[Hop, ...] = ()
        if gateway is not None:
            api = (
                (
                    f"API Gateway ({gateway.kind})",
                    (
                        ("Requests", [gateway.requests]),
                        ("4xx / 5xx", [gateway.client_errors, gateway.server_errors]),
                        (
                            "Latency p99 (ms)",
                            [gateway.latency_p99, gateway.integration_latency_p99],
                        ),
                    ),
                ),
            )
        network: tuple[Hop, ...] = ()
        if nlb is not None and nlb_target_group is not None:
            network = (
                (
                    "NLB",
                    (
                        ("Active flows", [nlb.metrics.active_flow_count(period=minute)]),
                        (
                            "TCP resets",
                            [
                                nlb.metrics.tcp_client_reset_count(period=minute),
                                nlb.metrics.tcp_elb_reset_count(period=minute),
                                nlb.metrics.tcp_target_reset_count(period=minute),
                            ],
                        ),
                        _hosts(
                            nlb_target_group.metrics.healthy_host_count(period=minute),
                            nlb_target_group.metrics.un_healthy_host_count(period=minute),
                            "ALB",
                        ),
                    ),
                ),
            )
        backend: tuple[Hop, ...] = ()
        if alb is not None and alb_target_group is not None and ecs_service is not None:
            backend = _container_hops(alb, alb_target_group, ecs_service)
        if function is not None:
            backend = (_function_hop(function),)
        hops = (front, *api, *network, *backend)
        # Numbered in request order, so the titles read as the path.
        self.hops: tuple[Hop, ...] = tuple(
            (f"{number} {title}", graphs) for number, (title, graphs) in enumerate(hops, start=1)
        )
        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        columns = []
        for (title, graphs), width in zip(self.hops, HOP_WIDTHS[len(self.hops)], strict=True):
            widgets: list[cw.IWidget] = [
                cw.TextWidget(markdown=f"### {title}", width=width, height=1)
            ]
            widgets += [
                cw.GraphWidget(title=name, left=list(series), width=width, height=GRAPH_HEIGHT)
                for name, series in graphs
            ]
            columns.append(_widget(cw.Column(*widgets)))
        self.dashboard.add_widgets(_widget(cw.Row(*columns)))
        if alarms:
            self.dashboard.add_widgets(
                cw.AlarmStatusWidget(alarms=list(alarms), title="Alarms", width=24, height=3)
            )


def _widget(layout: cw.Column | cw.Row) -> cw.IWidget:
    # Row and Column are widgets; their jsii stubs lack IWidget's `warnings` properties, so
    # mypy cannot see it.
    return cast(cw.IWidget, layout)


def _hosts(healthy: cw.IMetric, unhealthy: cw.IMetric, what: str) -> Graph:
    return (f"Healthy / unhealthy {what}", [healthy, unhealthy])


def _container_hops(
    alb: elbv2.ApplicationLoadBalancer,
    alb_target_group: elbv2.ApplicationTargetGroup,
    ecs_service: ecs.FargateService,
) -> tuple[Hop, Hop]:
    minute = metrics.ONE_MINUTE

    def tasks_metric(name: str, statistic: str = "Sum") -> cw.IMetric:
        return metrics.target_group_metric(alb, alb_target_group, name, statistic=statistic)

    load_balancer: Hop = (
        "ALB",
        (
            ("Requests", [tasks_metric("RequestCount")]),
            (
                "5xx",
                [
                    tasks_metric("HTTPCode_Target_5XX_Count"),
                    alb.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=minute),
                ],
            ),
            (
                "Target response time p99 (s)",
                [tasks_metric("TargetResponseTime", P99)],
            ),
            _hosts(
                tasks_metric("HealthyHostCount", "Average"),
                tasks_metric("UnHealthyHostCount", "Average"),
                "tasks",
            ),
        ),
    )
    tasks: Hop = (
        "ECS tasks",
        (
            (
                "CPU and memory (%)",
                [
                    ecs_service.metric_cpu_utilization(period=minute),
                    ecs_service.metric_memory_utilization(period=minute),
                ],
            ),
            (
                "Tasks",
                [
                    metrics.container_insights(ecs_service, "RunningTaskCount"),
                    metrics.container_insights(ecs_service, "DesiredTaskCount"),
                ],
            ),
        ),
    )
    return load_balancer, tasks


def _function_hop(function: lambda_.IFunction) -> Hop:
    minute = metrics.ONE_MINUTE
    return (
        "Lambda function",
        (
            (
                "Invocations / errors / throttles",
                [
                    function.metric_invocations(period=minute),
                    function.metric_errors(period=minute),
                    function.metric_throttles(period=minute),
                ],
            ),
            ("Duration p99 (ms)", [function.metric_duration(statistic=P99, period=minute)]),
            (
                "Concurrent executions",
                [function.metric("ConcurrentExecutions", statistic="Maximum", period=minute)],
            ),
        ),
    )
