"""`app:ingress=http-api`: HTTP API -> VPC link -> the internal ALB, with no NLB and no REST API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template

from infra.components.alb_listeners import LISTENER_PORT
from infra.components.frontend_deployment import RUNTIME_CONFIG_FILE
from service import contract
from service.contract import Env
from tests.infra.conftest import Synth, cdk_json_context, resources, run_app, synthesize
from tests.infra.templates import cfn_lint_output, get_att, logical_id, ref, stack_output

HTTP_API = {"app:ingress": "http-api", "app:throttleRateLimit": 50, "app:throttleBurstLimit": 80}


@pytest.fixture(scope="module")
def http_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("http-api"), {**cdk_json_context(), **HTTP_API})


@pytest.fixture(scope="module")
def backend(http_synth: Synth) -> Template:
    return http_synth.template(http_synth.stacks.backend)


def _environment(backend: Template) -> dict[str, Any]:
    (task,) = resources(backend, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def test_synth_passes_cdk_nag(http_synth):
    assert http_synth.synth_error is None


def test_cfn_lint_finds_nothing(http_synth):
    assert cfn_lint_output(http_synth.template_files()) is None


def test_there_is_no_rest_api_no_nlb_and_no_v1_vpc_link(http_synth):
    for stack in http_synth.stacks.all():
        template = http_synth.raw(stack)
        types = {body["Type"] for body in template["Resources"].values()}
        assert not {t for t in types if t.startswith("AWS::ApiGateway::")}, stack.stack_name
        balancers = resources(
            http_synth.template(stack), "AWS::ElasticLoadBalancingV2::LoadBalancer"
        )
        assert [b["Properties"].get("Type", "application") for b in balancers.values()] in (
            [],
            ["application"],
        )


def test_the_http_api_has_no_cors_configuration(backend):
    (api,) = resources(backend, "AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "HTTP"
    assert "CorsConfiguration" not in api["Properties"]


def test_every_request_goes_to_the_alb_listener_through_the_vpc_link(http_synth, backend):
    service = http_synth.stacks.backend.container_service
    ingress = http_synth.stacks.backend.api
    (route,) = resources(backend, "AWS::ApiGatewayV2::Route").values()
    assert route["Properties"]["RouteKey"] == "$default"
    backend.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        {
            "IntegrationType": "HTTP_PROXY",
            "ConnectionType": "VPC_LINK",
            "ConnectionId": ref(logical_id(ingress.vpc_link)),
            "IntegrationUri": ref(logical_id(service.listener)),
            "IntegrationMethod": "ANY",
        },
    )


def test_the_gateway_request_id_overwrites_any_header_of_that_name(backend):
    backend.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        {
            "RequestParameters": {
                f"overwrite:header.{contract.GATEWAY_REQUEST_ID_HEADER}": "$context.requestId"
            }
        },
    )


def test_the_default_stage_deploys_itself_throttles_and_logs_json(backend):
    log_format = Capture()
    backend.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 80},
            "AccessLogSettings": {"Format": log_format},
        },
    )
    # Every value is a quoted $context variable: each line is JSON whatever a client sends.
    fields = json.loads(log_format.as_string())
    assert fields["requestId"] == "$context.requestId"
    assert all(value.startswith("$context.") for value in fields.values())


def test_the_alb_admits_only_the_vpc_link_on_its_listener_port(http_synth, backend):
    service = http_synth.stacks.backend.container_service
    link_group = logical_id(http_synth.stacks.backend.api.security_group)
    (alb_group,) = [
        item["Fn::GetAtt"][0]
        for item in backend.to_json()["Resources"][logical_id(service.load_balancer)]["Properties"][
            "SecurityGroups"
        ]
    ]
    rules = [
        r["Properties"]
        for r in resources(backend, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == get_att(alb_group, "GroupId")
    ]
    inline = resources(backend, "AWS::EC2::SecurityGroup")[alb_group]["Properties"]
    assert inline.get("SecurityGroupIngress", []) == []
    assert [(r["SourceSecurityGroupId"], r["FromPort"], r["ToPort"]) for r in rules] == [
        (get_att(link_group, "GroupId"), LISTENER_PORT, LISTENER_PORT)
    ]


def test_the_service_trusts_the_load_balancer_subnets_and_has_no_root_path(http_synth, backend):
    env = _environment(backend)
    trusted = contract.parse_list(env[Env.FORWARDED_ALLOW_IPS])
    assert "*" not in env[Env.FORWARDED_ALLOW_IPS]
    assert sorted(trusted) == sorted(http_synth.config.network.load_balancer_subnet_cidrs)
    # The `$default` stage adds no segment to the URL: nothing to strip, no root path.
    assert Env.ROOT_PATH not in env


def test_api_url_output_and_config_json_name_the_http_api_endpoint(http_synth, backend):
    http_api = logical_id(http_synth.stacks.backend.api.http_api)
    endpoint = get_att(http_api, "ApiEndpoint")
    assert backend.find_outputs("ApiUrl")["ApiUrl"]["Value"] == endpoint
    site = http_synth.template(http_synth.stacks.site)
    keys, markers = Capture(), Capture()
    site.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {
            "SystemMetadata": {"cache-control": "no-cache"},
            "SourceObjectKeys": keys,
            "SourceMarkers": markers,
        },
    )
    staged = http_synth.staged_files(http_synth.stacks.site)
    found = {}
    for key, marker in zip(keys.as_array(), markers.as_array(), strict=True):
        (name,) = staged[key]
        (value,) = marker.values()
        found[name] = value
    # The Site stack imports the endpoint from the Backend stack's export of it.
    (export,) = [o for o in backend.find_outputs("*", {"Value": endpoint}) if o != "ApiUrl"]
    imported = stack_output(http_synth.stacks.backend.stack_name, export)
    assert found[RUNTIME_CONFIG_FILE] == {"Fn::Join": ["", ['"', imported, '"']]}


def test_the_api_alarms_watch_the_http_api(http_synth, backend):
    http_api = ref(logical_id(http_synth.stacks.backend.api.http_api))
    names = set()
    for alarm in resources(backend, "AWS::CloudWatch::Alarm").values():
        for metric in alarm["Properties"].get("Metrics", [{}]):
            stat = metric.get("MetricStat", {}).get("Metric") or {}
            if stat.get("Namespace") == "AWS/ApiGateway":
                assert stat["Dimensions"] == [{"Name": "ApiId", "Value": http_api}]
                names.add(stat["MetricName"])
        if alarm["Properties"].get("Namespace") == "AWS/ApiGateway":
            assert alarm["Properties"]["Dimensions"] == [{"Name": "ApiId", "Value": http_api}]
            names.add(alarm["Properties"]["MetricName"])
    assert names == {"5xx", "Count", "Latency"}


def test_the_dashboard_has_no_nlb_column(http_synth):
    titles = [title for title, _ in http_synth.stacks.backend.dashboard.hops]
    assert titles == [
        "1 CloudFront (site)",
        "2 API Gateway (HTTP API)",
        "3 ALB",
        "4 ECS tasks",
    ]


def test_stacks_still_deploy_network_edge_backend_site(http_synth):
    stacks = http_synth.stacks
    assert set(stacks.backend.dependencies) == {stacks.network, stacks.edge}
    assert stacks.backend in stacks.site.dependencies
    assert stacks.site not in stacks.edge.dependencies


def test_waf_with_http_api_stops_synth_with_one_line(tmp_path):
    result = run_app({**HTTP_API, "app:waf": "true"}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: app:waf=true: cannot protect ingress=http-api: AWS WAF does not attach to HTTP "
        "APIs; choose ingress=rest-nlb or public-alb, or leave waf off"
    ]


def test_no_route_or_integration_answers_preflights_itself(backend):
    # No OPTIONS route and no MOCK integration: the service answers every preflight.
    for route in resources(backend, "AWS::ApiGatewayV2::Route").values():
        assert not route["Properties"]["RouteKey"].startswith("OPTIONS")
    backend.all_resources_properties(
        "AWS::ApiGatewayV2::Integration", {"IntegrationType": Match.exact("HTTP_PROXY")}
    )
