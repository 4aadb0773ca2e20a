"""ContainerService on a bare stack: its internal ALB and the tasks' security group."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from infra.components.alb_listeners import LISTENER_PORT
from infra.components.container_service import ALB_LOG_PREFIX
from service import contract
from tests.infra.components.container_service_build import (
    BALANCER,
    SETTINGS,
    SG,
    TARGET_GROUP,
    Built,
    build,
)
from tests.infra.templates import get_att, logical_id, ref


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="module")
def template(built: Built) -> Template:
    return built.template


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
