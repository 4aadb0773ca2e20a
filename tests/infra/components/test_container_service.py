"""ContainerService on a bare stack: the service's Fargate tasks behind an internal ALB."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Capture, Match, Template

from infra import limits
from infra.components.container_service import (
    ALB_LOG_PREFIX,
    CONTAINER_USER,
    LISTENER_PORT,
    ContainerService,
)
from infra.config import AlarmSettings, LogSettings, TaskSettings
from service import contract
from service.contract import HEALTH_CHECK_COMMAND, Env
from tests.infra.templates import (
    bare_stack,
    container_with,
    get_att,
    logical_id,
    ref,
    stand_in_vpc,
)

TASK = "AWS::ECS::TaskDefinition"
SG = "AWS::EC2::SecurityGroup"
BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
# None of these is a default, so each test sees what the settings passed.
SETTINGS = TaskSettings(
    cpu=512,
    memory_mib=2048,
    desired_count=3,
    min_capacity=2,
    max_capacity=6,
    cpu_target_percent=55,
    requests_per_target=700,
    graceful_shutdown_seconds=40,
    deregistration_delay_seconds=45,
)
LOGS = LogSettings(retention_days=14)
ENVIRONMENT = {Env.ALLOW_ORIGINS: "https://site.example.com", Env.PORT: "8000"}


@dataclass
class Built:
    service: ContainerService
    template: Template


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    context = tmp_path_factory.mktemp("image")
    (context / "Dockerfile").write_text("FROM scratch\n")
    stack = bare_stack()
    vpc = stand_in_vpc(stack)
    service = ContainerService(
        stack,
        "Service",
        settings=SETTINGS,
        logs=LOGS,
        vpc=vpc,
        load_balancer_subnets=vpc.private_subnets,
        image_directory=context,
        environment=ENVIRONMENT,
        alarms=AlarmSettings(),
        alarm_topic=sns.Topic(stack, "AlarmTopic"),
    )
    return Built(service, Template.from_stack(stack))


@pytest.fixture(scope="module")
def template(built: Built) -> Template:
    return built.template


def _container(**fields: object) -> dict[str, object]:
    return {"ContainerDefinitions": container_with(**fields)}


# ---- the task and its container ----------------------------------------------------------


def test_the_container_runs_the_contracts_server_command(template):
    assert "--proxy-headers" in contract.SERVER_COMMAND
    template.resource_count_is(TASK, 1)
    template.has_resource_properties(TASK, _container(Command=list(contract.SERVER_COMMAND)))


def test_the_container_gets_exactly_the_environment_it_is_given(template):
    environment = Capture()
    template.has_resource_properties(TASK, _container(Environment=environment))
    assert {e["Name"]: e["Value"] for e in environment.as_array()} == ENVIRONMENT


def test_the_container_runs_as_the_images_non_root_user(template):
    # The uid service/Dockerfile creates; tests/container checks the image runs as it.
    assert CONTAINER_USER == "10001"
    template.has_resource_properties(TASK, _container(User="10001"))


def test_the_root_filesystem_is_read_only_and_only_tmp_is_writable(template):
    mount = {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"}
    template.has_resource_properties(
        TASK,
        {
            "ContainerDefinitions": container_with(
                ReadonlyRootFilesystem=True, MountPoints=[mount]
            ),
            "Volumes": [{"Name": "tmp"}],
        },
    )


def test_the_container_listens_on_the_contracts_port(template):
    template.has_resource_properties(
        TASK,
        _container(PortMappings=[Match.object_like({"ContainerPort": contract.CONTAINER_PORT})]),
    )


def test_the_task_is_a_fargate_task_of_the_configured_size(template):
    template.has_resource_properties(
        TASK,
        {
            "Cpu": str(SETTINGS.cpu),
            "Memory": str(SETTINGS.memory_mib),
            "RequiresCompatibilities": ["FARGATE"],
        },
    )


def test_the_stop_timeout_leaves_uvicorn_its_graceful_shutdown(template):
    # ECS sends SIGKILL StopTimeout seconds after SIGTERM; Fargate allows at most 120.
    assert SETTINGS.graceful_shutdown_seconds < SETTINGS.stop_timeout_seconds
    assert SETTINGS.stop_timeout_seconds <= limits.MAX_STOP_TIMEOUT_SECONDS
    template.has_resource_properties(TASK, _container(StopTimeout=SETTINGS.stop_timeout_seconds))


def test_the_health_check_probes_the_health_path_on_the_containers_port(template):
    assert HEALTH_CHECK_COMMAND[0] == "CMD"
    assert HEALTH_CHECK_COMMAND[-1] == contract.HEALTH_PATH
    template.has_resource_properties(
        TASK,
        _container(
            HealthCheck={
                "Command": list(HEALTH_CHECK_COMMAND),
                "Interval": 15,
                "Timeout": 3,
                "Retries": 3,
                "StartPeriod": 10,
            }
        ),
    )


def test_the_app_logs_go_to_its_log_group_kept_for_the_retention(built):
    group = logical_id(built.service.log_group)
    built.template.has_resource_properties(
        TASK,
        _container(
            LogConfiguration={"LogDriver": "awslogs", "Options": {"awslogs-group": ref(group)}}
        ),
    )
    built.template.all_resources_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": LOGS.retention_days}
    )


def test_the_container_runs_an_init_process(template):
    # As devstack/container.py runs the image under podman: PID 1 forwards SIGTERM.
    assert contract.INIT_PROCESS is True
    template.has_resource_properties(
        TASK, _container(LinuxParameters=Match.object_like({"InitProcessEnabled": True}))
    )


def test_the_container_drops_every_linux_capability(template):
    # As devstack/container.py runs the image under podman, and adds none back.
    assert contract.DROPPED_CAPABILITIES == ("ALL",)
    template.has_resource_properties(
        TASK,
        _container(
            LinuxParameters=Match.object_like(
                {"Capabilities": {"Drop": ["ALL"], "Add": Match.absent()}}
            )
        ),
    )


def test_the_container_asks_fargate_for_nothing_it_rejects(template):
    # Fargate refuses privileged containers and dockerSecurityOptions (so no-new-privileges
    # cannot be requested; the image has no setuid files instead).
    template.has_resource_properties(
        TASK, _container(Privileged=Match.absent(), DockerSecurityOptions=Match.absent())
    )


# ---- the ECS service ---------------------------------------------------------------------


def test_the_cluster_has_container_insights(template):
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": Match.array_with([{"Name": "containerInsights", "Value": "enabled"}])},
    )


def test_a_failed_deployment_rolls_back_by_itself(template):
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}
            }
        },
    )


def test_a_deployment_runs_old_and_new_tasks_side_by_side_as_the_task_ceiling_assumes(template):
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": {
                "MaximumPercent": limits.DEPLOYMENT_MAX_PERCENT,
                "MinimumHealthyPercent": 100,
            }
        },
    )


def test_the_service_starts_the_configured_number_of_tasks_without_public_ips(built):
    group = logical_id(built.service.task_security_group)
    built.template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DesiredCount": SETTINGS.desired_count,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "AssignPublicIp": "DISABLED",
                    "SecurityGroups": [get_att(group, "GroupId")],
                }
            },
        },
    )


def test_autoscaling_keeps_the_task_count_between_the_configured_bounds(template):
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"MinCapacity": SETTINGS.min_capacity, "MaxCapacity": SETTINGS.max_capacity},
    )


def test_autoscaling_tracks_cpu_and_requests_per_target(template):
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 2)
    for metric, target in (
        ("ECSServiceAverageCPUUtilization", SETTINGS.cpu_target_percent),
        ("ALBRequestCountPerTarget", SETTINGS.requests_per_target),
    ):
        template.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            {
                "TargetTrackingScalingPolicyConfiguration": {
                    "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                    "TargetValue": target,
                }
            },
        )


# ---- the internal ALB --------------------------------------------------------------------


def test_the_alb_is_internal(template):
    template.resource_count_is(BALANCER, 1)
    template.all_resources_properties(BALANCER, {"Scheme": "internal", "Type": "application"})


def test_the_alb_drops_invalid_header_fields(template):
    attribute = {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}
    template.has_resource_properties(
        BALANCER, {"LoadBalancerAttributes": Match.array_with([attribute])}
    )


def test_the_alb_writes_access_logs_to_its_log_bucket(built):
    bucket = logical_id(built.service.access_logs.bucket)
    for key, value in (
        ("access_logs.s3.enabled", "true"),
        ("access_logs.s3.bucket", ref(bucket)),
        ("access_logs.s3.prefix", ALB_LOG_PREFIX),
    ):
        built.template.has_resource_properties(
            BALANCER, {"LoadBalancerAttributes": Match.array_with([{"Key": key, "Value": value}])}
        )


def test_the_alb_is_created_after_the_policy_that_lets_elb_write_its_logs(built):
    policy = logical_id(built.service.access_logs.bucket.policy)
    built.template.has_resource(BALANCER, {"DependsOn": Match.array_with([policy])})
    statement = {
        "Action": "s3:PutObject",
        "Effect": "Allow",
        "Resource": Match.object_like(
            {"Fn::Join": ["", Match.array_with([f"/{ALB_LOG_PREFIX}/AWSLogs/"])]}
        ),
    }
    built.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like(statement)])}},
    )


def test_nothing_admits_the_whole_internet(template):
    # The listener is created with open=False: CDK must not add 0.0.0.0/0 ingress.
    anywhere = Match.array_with([Match.object_like({"CidrIp": "0.0.0.0/0"})])
    template.resource_properties_count_is(SG, {"SecurityGroupIngress": anywhere}, 0)
    template.resource_properties_count_is(
        "AWS::EC2::SecurityGroupIngress", {"CidrIp": "0.0.0.0/0"}, 0
    )


def test_the_listener_forwards_http_to_the_tasks(built):
    group = logical_id(built.service.target_group)
    built.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": LISTENER_PORT,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": ref(group)}],
        },
    )


def test_the_target_group_health_check_is_tuned(template):
    template.resource_count_is(TARGET_GROUP, 1)
    delay = {
        "Key": "deregistration_delay.timeout_seconds",
        "Value": str(SETTINGS.deregistration_delay_seconds),
    }
    template.has_resource_properties(
        TARGET_GROUP,
        {
            "TargetType": "ip",
            "Port": contract.CONTAINER_PORT,
            "HealthCheckPath": contract.HEALTH_PATH,
            "HealthCheckIntervalSeconds": 10,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3,
            "Matcher": {"HttpCode": "200"},
            "TargetGroupAttributes": Match.array_with([delay]),
        },
    )


# ---- the tasks' security group -----------------------------------------------------------


def test_tasks_admit_only_the_container_port_from_the_albs_group(built):
    tasks = logical_id(built.service.task_security_group)
    alb = logical_id(built.service.alb_security_group)
    built.template.has_resource_properties(
        SG,
        {
            "GroupDescription": Match.string_like_regexp("^Service tasks"),
            "SecurityGroupIngress": Match.absent(),
        },
    )
    built.template.resource_properties_count_is(
        "AWS::EC2::SecurityGroupIngress", {"GroupId": get_att(tasks, "GroupId")}, 1
    )
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": get_att(tasks, "GroupId"),
            "SourceSecurityGroupId": get_att(alb, "GroupId"),
            "IpProtocol": "tcp",
            "FromPort": contract.CONTAINER_PORT,
            "ToPort": contract.CONTAINER_PORT,
        },
    )


def test_tasks_may_send_only_https(built):
    # The image pull (ECR, S3) and the awslogs driver use HTTPS; DNS goes to the VPC resolver,
    # which security groups do not filter. Nothing else may leave a task.
    tasks = logical_id(built.service.task_security_group)
    https = {
        "CidrIp": "0.0.0.0/0",
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "Description": Match.any_value(),
    }
    built.template.has_resource_properties(
        SG,
        {
            "GroupDescription": Match.string_like_regexp("^Service tasks"),
            "SecurityGroupEgress": [Match.object_equals(https)],
        },
    )
    built.template.resource_properties_count_is(
        "AWS::EC2::SecurityGroupEgress", {"GroupId": get_att(tasks, "GroupId")}, 0
    )


def test_no_task_rule_allows_every_protocol(built):
    tasks = logical_id(built.service.task_security_group)
    for kind in ("Ingress", "Egress"):
        built.template.resource_properties_count_is(
            f"AWS::EC2::SecurityGroup{kind}",
            {"GroupId": get_att(tasks, "GroupId"), "IpProtocol": "-1"},
            0,
        )
