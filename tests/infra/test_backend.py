"""Service (ECS, ALB) and API (NLB, VPC link, REST API) in the backend stack."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra import limits
from service import contract
from service.contract import Env
from tests.infra.conftest import Synth, dumps, only, resources


@pytest.fixture(scope="module")
def container(backend):
    _, task = only(backend, "AWS::ECS::TaskDefinition")
    (definition,) = task["Properties"]["ContainerDefinitions"]
    return definition


@pytest.fixture(scope="module")
def environment(container):
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def _logical_id(template: Template, type_: str, predicate: Callable[[dict[str, Any]], bool]) -> str:
    matches = [name for name, r in resources(template, type_).items() if predicate(r)]
    assert len(matches) == 1, matches
    return matches[0]


def test_container_command_is_the_contract_command(container):
    assert container["Command"] == list(contract.SERVER_COMMAND)
    assert "--proxy-headers" in container["Command"]


def test_allowed_origins_contain_the_distribution_domain(synth, environment):
    rendered = dumps(environment[Env.ALLOW_ORIGINS])
    assert '"https://"' in rendered
    assert "FrontendDistribution" in rendered
    assert "DomainName" in rendered
    assert "*" not in rendered


def test_every_container_variable_name_comes_from_the_contract(environment):
    names = {v for k, v in vars(Env).items() if not k.startswith("_")}
    assert set(environment) <= names
    assert {
        Env.ALLOW_ORIGINS,
        Env.ALLOW_CREDENTIALS,
        Env.FORWARDED_ALLOW_IPS,
        Env.ROOT_PATH,
        Env.PORT,
        Env.GRACEFUL_SHUTDOWN_SECONDS,
    } <= set(environment)


def test_root_path_is_the_stage_known_at_synth(synth, environment):
    # A plain string, not a reference to the API: the container needs nothing built after it.
    assert environment[Env.ROOT_PATH] == f"/{synth.config.api.stage_name}"


def test_container_is_non_root_with_read_only_root_and_writable_tmp(backend, container):
    assert container["User"] == "10001"
    assert container["ReadonlyRootFilesystem"] is True
    (mount,) = container["MountPoints"]
    assert mount == {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"}
    _, task = only(backend, "AWS::ECS::TaskDefinition")
    assert {"Name": "tmp"} in task["Properties"]["Volumes"]


def test_container_port_and_fargate_size(synth, backend, container):
    assert container["PortMappings"][0]["ContainerPort"] == contract.CONTAINER_PORT
    _, task = only(backend, "AWS::ECS::TaskDefinition")
    assert task["Properties"]["Cpu"] == str(synth.config.tasks.cpu)
    assert task["Properties"]["Memory"] == str(synth.config.tasks.memory_mib)
    assert task["Properties"]["RequiresCompatibilities"] == ["FARGATE"]


def test_stop_timeout_covers_uvicorn_graceful_shutdown(container, environment):
    # ECS sends SIGKILL StopTimeout seconds after SIGTERM: uvicorn must get to finish its
    # graceful shutdown first, and Fargate refuses a StopTimeout above 120 seconds.
    graceful = int(environment["UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN"])
    assert graceful > 0
    assert graceful < container["StopTimeout"] <= 120


def test_container_health_check_probes_the_health_path(container):
    check = container["HealthCheck"]
    assert check["Command"][0] == "CMD"
    assert contract.HEALTH_PATH in check["Command"][-1]
    assert check["Retries"] >= 2


def test_container_logs_go_to_a_log_group_with_retention(synth, backend, container):
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    groups = resources(backend, "AWS::Logs::LogGroup")
    assert groups
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == synth.config.logs.retention_days, name


def test_cluster_has_container_insights(backend):
    _, cluster = only(backend, "AWS::ECS::Cluster")
    settings = cluster["Properties"]["ClusterSettings"]
    assert {"Name": "containerInsights", "Value": "enabled"} in settings


def test_service_has_circuit_breaker_with_rollback(synth, backend):
    _, service = only(backend, "AWS::ECS::Service")
    config = service["Properties"]["DeploymentConfiguration"]
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    # The config's task ceiling counts old and new tasks of a deployment side by side.
    assert config["MaximumPercent"] == limits.DEPLOYMENT_MAX_PERCENT
    assert service["Properties"]["DesiredCount"] == synth.config.tasks.desired_count
    assert (
        service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"]
        == "DISABLED"
    )


def _alb_id(backend: Template) -> str:
    return _logical_id(
        backend,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        lambda r: r["Properties"]["Type"] == "application",
    )


def test_load_balancers_are_internal(backend):
    balancers = resources(backend, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert {b["Properties"]["Type"] for b in balancers.values()} == {"application", "network"}
    for name, balancer in balancers.items():
        assert balancer["Properties"]["Scheme"] == "internal", name


def test_alb_logs_access_and_drops_invalid_headers(backend):
    alb = resources(backend, "AWS::ElasticLoadBalancingV2::LoadBalancer")[_alb_id(backend)]
    attributes = {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"


def _security_group_of(template: Template, balancer_id: str) -> str:
    balancer = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")[balancer_id]
    (group,) = balancer["Properties"]["SecurityGroups"]
    return str(group["Fn::GetAtt"][0])


def test_task_ingress_only_from_alb_security_group(backend):
    alb_group = _security_group_of(backend, _alb_id(backend))
    _, service = only(backend, "AWS::ECS::Service")
    (task_group,) = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"][
        "SecurityGroups"
    ]
    task_group_id = task_group["Fn::GetAtt"][0]
    group = resources(backend, "AWS::EC2::SecurityGroup")[task_group_id]
    assert "SecurityGroupIngress" not in group["Properties"]
    ingress = [
        r["Properties"]
        for r in resources(backend, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [task_group_id, "GroupId"]}
    ]
    assert len(ingress) == 1
    assert ingress[0]["SourceSecurityGroupId"] == {"Fn::GetAtt": [alb_group, "GroupId"]}
    assert ingress[0]["FromPort"] == ingress[0]["ToPort"] == contract.CONTAINER_PORT


def _task_group_id(backend: Template) -> str:
    _, service = only(backend, "AWS::ECS::Service")
    (group,) = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"][
        "SecurityGroups"
    ]
    return str(group["Fn::GetAtt"][0])


def _rules_of(backend: Template, group_id: str, kind: str) -> list[dict[str, Any]]:
    """Inline and separate rules of one security group (kind: Ingress or Egress)."""
    group = resources(backend, "AWS::EC2::SecurityGroup")[group_id]
    inline = list(group["Properties"].get(f"SecurityGroup{kind}", []))
    separate = [
        r["Properties"]
        for r in resources(backend, f"AWS::EC2::SecurityGroup{kind}").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    return inline + separate


def test_tasks_may_send_only_https(backend):
    # The image pull (ECR, S3) and the awslogs driver use HTTPS; DNS goes to the VPC resolver,
    # which security groups do not filter. Nothing else may leave a task.
    group_id = _task_group_id(backend)
    (rule,) = _rules_of(backend, group_id, "Egress")
    assert rule["IpProtocol"] == "tcp"
    assert rule["FromPort"] == rule["ToPort"] == 443
    assert rule["CidrIp"] == "0.0.0.0/0"
    assert "CidrIpv6" not in rule


def test_task_security_group_has_no_all_protocols_rule(backend):
    group_id = _task_group_id(backend)
    for kind in ("Ingress", "Egress"):
        for rule in _rules_of(backend, group_id, kind):
            assert str(rule["IpProtocol"]) != "-1", (kind, rule)


def test_alb_target_group_health_check_is_tuned(synth, backend):
    groups = resources(backend, "AWS::ElasticLoadBalancingV2::TargetGroup")
    (tasks,) = [g["Properties"] for g in groups.values() if g["Properties"]["TargetType"] == "ip"]
    assert tasks["HealthCheckPath"] == contract.HEALTH_PATH
    assert tasks["Port"] == contract.CONTAINER_PORT
    assert tasks["HealthCheckIntervalSeconds"] == 10
    assert tasks["HealthyThresholdCount"] == 2
    assert tasks["UnhealthyThresholdCount"] == 3
    attributes = {a["Key"]: a["Value"] for a in tasks["TargetGroupAttributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == str(
        synth.config.tasks.deregistration_delay_seconds
    )


def test_autoscaling_on_cpu_and_requests_per_target(synth, backend):
    _, target = only(backend, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["Properties"]["MinCapacity"] == synth.config.tasks.min_capacity
    assert target["Properties"]["MaxCapacity"] == synth.config.tasks.max_capacity
    metrics = {
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"][
            "PredefinedMetricSpecification"
        ]["PredefinedMetricType"]: p["Properties"]["TargetTrackingScalingPolicyConfiguration"][
            "TargetValue"
        ]
        for p in resources(backend, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    }
    assert metrics == {
        "ECSServiceAverageCPUUtilization": synth.config.tasks.cpu_target_percent,
        "ALBRequestCountPerTarget": synth.config.tasks.requests_per_target,
    }


def test_nlb_target_group_type_is_alb_and_targets_the_alb(backend):
    groups = resources(backend, "AWS::ElasticLoadBalancingV2::TargetGroup")
    (nlb_group,) = [
        g["Properties"] for g in groups.values() if g["Properties"]["Protocol"] == "TCP"
    ]
    assert nlb_group["TargetType"] == "alb"
    (target,) = nlb_group["Targets"]
    assert target["Id"] == {"Ref": _alb_id(backend)}
    listeners = resources(backend, "AWS::ElasticLoadBalancingV2::Listener")
    alb_ports = {
        listener["Properties"]["Port"]
        for listener in listeners.values()
        if listener["Properties"]["LoadBalancerArn"] == {"Ref": _alb_id(backend)}
    }
    assert alb_ports == {target["Port"]}
    assert nlb_group["HealthCheckPath"] == contract.HEALTH_PATH


def test_vpc_link_targets_the_nlb(backend):
    nlb_id = _logical_id(
        backend,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        lambda r: r["Properties"]["Type"] == "network",
    )
    _, link = only(backend, "AWS::ApiGateway::VpcLink")
    assert link["Properties"]["TargetArns"] == [{"Ref": nlb_id}]


def _methods(synth: Synth) -> dict[str, dict[str, Any]]:
    found = {}
    for stack in synth.stacks.all():
        found.update(resources(synth.template(stack), "AWS::ApiGateway::Method"))
    return found


def test_rest_api_has_only_root_any_and_proxy_any(backend):
    _, _api = only(backend, "AWS::ApiGateway::RestApi")
    methods = resources(backend, "AWS::ApiGateway::Method")
    assert len(methods) == 2
    _, proxy = only(backend, "AWS::ApiGateway::Resource")
    assert proxy["Properties"]["PathPart"] == "{proxy+}"
    link_id, _ = only(backend, "AWS::ApiGateway::VpcLink")
    for method in methods.values():
        props = method["Properties"]
        assert props["HttpMethod"] == "ANY"
        assert props["Integration"]["Type"] == "HTTP_PROXY"
        assert props["Integration"]["ConnectionType"] == "VPC_LINK"
        assert props["Integration"]["ConnectionId"] == {"Ref": link_id}
        assert props["Integration"]["IntegrationHttpMethod"] == "ANY"
    resource_ids = {dumps(m["Properties"]["ResourceId"]) for m in methods.values()}
    assert any("RootResourceId" in r for r in resource_ids)


def test_proxy_integration_maps_the_path(backend):
    methods = resources(backend, "AWS::ApiGateway::Method")
    (proxy,) = [m["Properties"] for m in methods.values() if "Ref" in m["Properties"]["ResourceId"]]
    assert proxy["RequestParameters"] == {"method.request.path.proxy": True}
    mapped = proxy["Integration"]["RequestParameters"]
    assert mapped["integration.request.path.proxy"] == "method.request.path.proxy"
    assert dumps(proxy["Integration"]["Uri"]).endswith('"/{proxy}"]]}')


def test_rest_api_has_no_options_method(synth):
    for name, method in _methods(synth).items():
        assert method["Properties"]["HttpMethod"] != "OPTIONS", name


def test_no_mock_integration_anywhere(synth):
    for name, method in _methods(synth).items():
        assert method["Properties"].get("Integration", {}).get("Type") != "MOCK", name
    for path in synth.template_files():
        assert '"MOCK"' not in path.read_text(), path.name


def test_stage_has_throttling_access_logs_and_metrics(synth, backend):
    _, stage = only(backend, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == synth.config.api.stage_name
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == synth.config.api.throttle_rate_limit
    assert settings["ThrottlingBurstLimit"] == synth.config.api.throttle_burst_limit
    assert settings["MetricsEnabled"] is True
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert "DestinationArn" in props["AccessLogSetting"]
    assert "$context.requestId" in props["AccessLogSetting"]["Format"]


def test_gateway_errors_carry_cors_headers_for_the_site_origin_only(synth, backend):
    responses = resources(backend, "AWS::ApiGateway::GatewayResponse")
    assert {r["Properties"]["ResponseType"] for r in responses.values()} == {
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    }
    for response in responses.values():
        params = response["Properties"]["ResponseParameters"]
        origin = dumps(params["gatewayresponse.header.Access-Control-Allow-Origin"])
        assert "'https://" in origin
        assert "FrontendDistribution" in origin
        # A fixed value: never echo the caller's Origin header, never '*'.
        assert "method.request.header" not in origin
        assert "'*'" not in origin
        assert params["gatewayresponse.header.Vary"] == "'Origin'"
        credentials = "gatewayresponse.header.Access-Control-Allow-Credentials"
        assert (credentials in params) is synth.config.cors.allow_credentials


def test_no_gateway_cors_preflight_configuration(backend):
    for method in resources(backend, "AWS::ApiGateway::Method").values():
        integration = method["Properties"]["Integration"]
        assert "IntegrationResponses" not in integration
        assert "MethodResponses" not in method["Properties"]


def test_api_url_is_output(synth, backend):
    outputs = backend.find_outputs("ApiUrl")
    assert len(outputs) == 1
    assert f"/{synth.config.api.stage_name}" in dumps(outputs["ApiUrl"]["Value"])
