"""ContainerService on a bare stack: its task, container and ECS service."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Capture, Match, Template

from infra import limits
from infra.components.container_service import CONTAINER_USER
from service import contract
from service.contract import HEALTH_CHECK_COMMAND
from tests.infra.components.container_service_build import (
    ENVIRONMENT,
    LOGS,
    SETTINGS,
    TASK,
    Built,
    build,
)
from tests.infra.templates import container_with, get_att, logical_id, ref


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("image"))


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
