"""ContainerService built once on a bare stack, with non-default settings, for its test modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from infra.components.alb_listeners import PublicListener
from infra.components.container_service import ContainerService
from infra.config import AlarmSettings, LogSettings, TaskSettings
from service.contract import Env
from tests.infra.templates import bare_stack, stand_in_vpc

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


def build(image_context: Path, public_listener: PublicListener | None = None) -> Built:
    """The component with SETTINGS, LOGS and ENVIRONMENT; `image_context` holds a Dockerfile."""
    (image_context / "Dockerfile").write_text("FROM scratch\n")
    stack = bare_stack()
    vpc = stand_in_vpc(stack)
    service = ContainerService(
        stack,
        "Service",
        settings=SETTINGS,
        logs=LOGS,
        vpc=vpc,
        load_balancer_subnets=vpc.private_subnets,
        image_directory=image_context,
        environment=ENVIRONMENT,
        alarms=AlarmSettings(),
        alarm_topic=sns.Topic(stack, "AlarmTopic"),
        public_listener=public_listener,
    )
    return Built(service, Template.from_stack(stack))
