"""The alarms that page. Each notifies the alarm topic when it fires and when it clears.

Missing data is decided per alarm: a minute without requests has no error rate and no
latency, and that is not a failure (NOT_BREACHING); the one metric that must always be there is
the running task count, so its absence is treated as a failure (BREACHING).
"""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, Duration, Fn
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.components import metrics
from infra.config import AlarmSettings

ABOVE = cw.ComparisonOperator.GREATER_THAN_THRESHOLD
AT_OR_ABOVE = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
FINE_WHEN_MISSING = cw.TreatMissingData.NOT_BREACHING


def notifying_alarm(
    scope: Construct,
    construct_id: str,
    *,
    topic: sns.ITopic,
    metric: cw.IMetric,
    threshold: float,
    comparison: cw.ComparisonOperator,
    minutes: tuple[int, int],
    description: str,
    missing: cw.TreatMissingData = FINE_WHEN_MISSING,
) -> cw.Alarm:
    """An alarm over `metric` that notifies `topic` on ALARM and on OK.

    `minutes` is (datapoints that must breach, periods evaluated), e.g. (3, 5): 3 of 5.
    CloudWatch generates the alarm's name (no fixed names: environments share an account).
    """
    datapoints, periods = minutes
    alarm = cw.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        comparison_operator=comparison,
        evaluation_periods=periods,
        datapoints_to_alarm=datapoints,
        treat_missing_data=missing,
        alarm_description=description,
    )
    action = cw_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm


class DeploymentAlarms(Construct):
    """The ALB's view of the tasks: the alarms that roll an ECS deployment back.

    Both watch the target group, not the service, so the service can name them without a
    dependency cycle (an alarm on the service's own metrics needs the service's name, and the
    service would need the alarm's).

    Args:
        settings: the error-rate threshold (see AlarmSettings).
        target_group: the tasks' ALB target group.
        topic: the topic every alarm notifies.

    Attributes:
        target_errors: targets' 5xx responses as a share of the target group's requests.
        unhealthy_tasks: at least one task failing the ALB's health check.
        alarms: both.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AlarmSettings,
        target_group: elbv2.ApplicationTargetGroup,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        tasks = target_group.metrics
        self.target_errors = notifying_alarm(
            self,
            "TargetErrorRate",
            topic=topic,
            metric=metrics.error_rate(
                tasks.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
                tasks.request_count(),
                label="target 5xx (% of requests)",
            ),
            threshold=settings.error_rate_percent,
            comparison=ABOVE,
            minutes=(2, 3),
            description="The tasks answer more than alarmErrorRatePercent of the ALB's requests "
            "with a 5xx. During an ECS deployment this rolls the deployment back.",
        )
        self.unhealthy_tasks = notifying_alarm(
            self,
            "UnhealthyTasks",
            topic=topic,
            metric=tasks.unhealthy_host_count(statistic="Maximum", period=metrics.ONE_MINUTE),
            threshold=1,
            comparison=AT_OR_ABOVE,
            minutes=(2, 3),
            description="A task fails the ALB's health check (GET /healthz). During an ECS "
            "deployment this rolls the deployment back.",
        )
        self.alarms: tuple[cw.Alarm, ...] = (self.target_errors, self.unhealthy_tasks)


class Alarms(Construct):
    """The alarms on the API, the service's tasks and CloudFront (besides DeploymentAlarms).

    CloudFront publishes its metrics in us-east-1 only and an alarm can only watch its own
    Region's metrics, so the CloudFront alarm exists only when the stack is deployed to
    us-east-1 (a CloudFormation condition: the stacks are environment-agnostic, their Region is
    known at deploy time). Elsewhere the dashboard still shows CloudFront's metrics.

    Args:
        settings: the thresholds (see AlarmSettings).
        topic: the topic every alarm notifies.
        gateway: the API gateway's figures (see metrics.GatewayMetrics).
        distribution: the site's CloudFront distribution.
        ecs_service: the service's Fargate service (its CPU, memory and task count). Default
            None: no ECS alarms.
        function: the service's Lambda function (its error rate, throttles and p99
            duration). Default None: no function alarms.

    Attributes:
        api_errors, api_latency: the API gateway's 5xx rate and p99 latency.
        cpu, memory: the tasks' average CPU and memory utilisation.
        tasks_missing: fewer tasks running than desired.
        cloudfront_errors: CloudFront's 5xx rate (only created in us-east-1, see above).
        in_cloudfront_region: the condition under which cloudfront_errors exists.
        alarms: every alarm that always exists (all but cloudfront_errors).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AlarmSettings,
        topic: sns.ITopic,
        gateway: metrics.GatewayMetrics,
        distribution: cloudfront.Distribution,
        ecs_service: ecs.FargateService | None = None,
        function: lambda_.IFunction | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.api_errors = notifying_alarm(
            self,
            "ApiErrorRate",
            topic=topic,
            metric=metrics.error_rate(
                gateway.server_errors, gateway.requests, label="API 5xx (% of requests)"
            ),
            threshold=settings.error_rate_percent,
            comparison=ABOVE,
            minutes=(3, 5),
            description="The API answers more than alarmErrorRatePercent of its requests with a "
            "5xx (the service's own, or the gateway's: integration failure or timeout).",
        )
        self.api_latency = notifying_alarm(
            self,
            "ApiLatencyP99",
            topic=topic,
            metric=gateway.latency_p99,
            threshold=settings.latency_p99_ms,
            comparison=ABOVE,
            minutes=(3, 5),
            description="The API's p99 latency is above alarmLatencyP99Ms.",
        )
        five_minutes = Duration.minutes(5)
        compute: list[cw.Alarm] = []
        if ecs_service is not None:
            self.cpu = notifying_alarm(
                self,
                "TaskCpu",
                topic=topic,
                metric=ecs_service.metric_cpu_utilization(period=five_minutes),
                threshold=settings.cpu_percent,
                comparison=AT_OR_ABOVE,
                minutes=(3, 3),
                description="The tasks' average CPU is at or above alarmCpuPercent for 15 minutes: "
                "autoscaling is at maxCapacity or cannot keep up.",
            )
            self.memory = notifying_alarm(
                self,
                "TaskMemory",
                topic=topic,
                metric=ecs_service.metric_memory_utilization(period=five_minutes),
                threshold=settings.memory_percent,
                comparison=AT_OR_ABOVE,
                minutes=(3, 3),
                description="The tasks' average memory is at or above alarmMemoryPercent for 15 "
                "minutes; a task that reaches its limit is killed.",
            )
            self.tasks_missing = notifying_alarm(
                self,
                "TasksMissing",
                topic=topic,
                metric=metrics.tasks_missing(ecs_service),
                threshold=1,
                comparison=AT_OR_ABOVE,
                # Longer than a task takes to start and pass its health checks.
                minutes=(5, 5),
                # Container Insights reports the counts every minute while the service exists;
                # silence means the service or its reporting is gone, itself worth a page.
                missing=cw.TreatMissingData.BREACHING,
                description="Fewer tasks run than the service wants, for 5 minutes (tasks crash, "
                "cannot be placed, or cannot pull their image).",
            )
            compute += [self.cpu, self.memory, self.tasks_missing]
        if function is not None:
            compute += self._function_alarms(settings, topic, function)
        self.cloudfront_errors = notifying_alarm(
            self,
            "CloudFrontErrorRate",
            topic=topic,
            metric=metrics.cloudfront_metric(distribution, "5xxErrorRate"),
            threshold=settings.error_rate_percent,
            comparison=ABOVE,
            minutes=(3, 5),
            description="CloudFront answers more than alarmErrorRatePercent of the site's "
            "requests with a 5xx.",
        )
        self.in_cloudfront_region = CfnCondition(
            self,
            "InCloudFrontMetricsRegion",
            expression=Fn.condition_equals(Aws.REGION, metrics.CLOUDFRONT_METRICS_REGION),
        )
        resource = self.cloudfront_errors.node.default_child
        if not isinstance(resource, cw.CfnAlarm):
            raise TypeError(f"expected the alarm's CfnAlarm, got {resource!r}")
        resource.cfn_options.condition = self.in_cloudfront_region
        self.alarms: tuple[cw.Alarm, ...] = (self.api_errors, self.api_latency, *compute)

    def _function_alarms(
        self, settings: AlarmSettings, topic: sns.ITopic, function: lambda_.IFunction
    ) -> list[cw.Alarm]:
        one_minute = metrics.ONE_MINUTE
        self.function_errors = notifying_alarm(
            self,
            "FunctionErrorRate",
            topic=topic,
            metric=metrics.error_rate(
                function.metric_errors(period=one_minute),
                function.metric_invocations(period=one_minute),
                label="function errors (% of invocations)",
            ),
            threshold=settings.error_rate_percent,
            comparison=ABOVE,
            minutes=(3, 5),
            description="More than alarmErrorRatePercent of the function's invocations fail "
            "(an unhandled error or a timeout; the service's own 5xx answers are not errors).",
        )
        self.function_throttles = notifying_alarm(
            self,
            "FunctionThrottles",
            topic=topic,
            metric=function.metric_throttles(period=one_minute),
            threshold=1,
            comparison=AT_OR_ABOVE,
            minutes=(3, 5),
            description="Lambda refuses invocations: the reserved or the account's concurrency "
            "is exhausted.",
        )
        self.function_duration = notifying_alarm(
            self,
            "FunctionDurationP99",
            topic=topic,
            metric=function.metric_duration(statistic="p99", period=one_minute),
            threshold=settings.latency_p99_ms,
            comparison=ABOVE,
            minutes=(3, 5),
            description="The function's p99 duration is above alarmLatencyP99Ms.",
        )
        return [self.function_errors, self.function_throttles, self.function_duration]
