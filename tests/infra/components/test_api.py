"""Api on a bare stack: REST API -> VPC link -> internal NLB -> a given ALB listener."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Match, Template

from infra.components.api import NLB_PORT, Api
from infra.config import ApiSettings, LogSettings
from service import contract
from tests.infra.templates import bare_stack, get_att, logical_id, ref, stand_in_vpc

METHOD = "AWS::ApiGateway::Method"
RESPONSE = "AWS::ApiGateway::GatewayResponse"
SG = "AWS::EC2::SecurityGroup"
SITE_ORIGIN = "https://site.example.com"
ALB_PORT = 8080
SETTINGS = ApiSettings(stage_name="prod", throttle_rate_limit=50, throttle_burst_limit=80)
LOGS = LogSettings(retention_days=7)


@dataclass
class Built:
    stack: cdk.Stack
    api: Api
    alb: elbv2.ApplicationLoadBalancer
    template: Template


def _api(*, allow_credentials: bool) -> Built:
    stack = bare_stack()
    vpc = stand_in_vpc(stack)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=False)
    listener = alb.add_listener("Http", port=ALB_PORT, open=False)
    listener.add_action("Ok", action=elbv2.ListenerAction.fixed_response(200))
    api = Api(
        stack,
        "Api",
        settings=SETTINGS,
        logs=LOGS,
        vpc=vpc,
        load_balancer_subnets=vpc.private_subnets,
        alb_listener=listener,
        alb_port=ALB_PORT,
        site_origin=SITE_ORIGIN,
        allow_credentials=allow_credentials,
    )
    return Built(stack, api, alb, Template.from_stack(stack))


@pytest.fixture(scope="module")
def built() -> Built:
    return _api(allow_credentials=True)


@pytest.fixture(scope="module")
def template(built: Built) -> Template:
    return built.template


def _uri(built: Built, path: str) -> dict[str, object]:
    nlb = logical_id(built.api.load_balancer)
    return {"Fn::Join": ["", ["http://", get_att(nlb, "DNSName"), path]]}


# ---- the NLB in front of the ALB ---------------------------------------------------------


def test_the_nlb_is_internal_and_balances_across_zones(built):
    built.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "Type": "network",
            "Scheme": "internal",
            "LoadBalancerAttributes": Match.array_with(
                [{"Key": "load_balancing.cross_zone.enabled", "Value": "true"}]
            ),
            "SecurityGroups": [get_att(logical_id(built.api.security_group), "GroupId")],
        },
    )


def test_the_nlb_listener_forwards_tcp_to_the_alb_target_group(built):
    group = logical_id(built.api.target_group)
    built.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "LoadBalancerArn": ref(logical_id(built.api.load_balancer)),
            "Port": NLB_PORT,
            "Protocol": "TCP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": ref(group)}],
        },
    )


def test_the_target_group_is_alb_type_and_targets_the_given_listeners_alb(built):
    built.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "TargetType": "alb",
            "Protocol": "TCP",
            # An ALB-type target group must use the ALB listener's port.
            "Port": ALB_PORT,
            "Targets": [{"Id": ref(logical_id(built.alb)), "Port": ALB_PORT}],
        },
    )


def test_the_target_group_checks_the_services_health_path(template):
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "TargetType": "alb",
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPath": contract.HEALTH_PATH,
            "HealthCheckIntervalSeconds": 10,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 2,
        },
    )


def test_the_vpc_link_targets_the_nlb(built):
    built.template.resource_count_is("AWS::ApiGateway::VpcLink", 1)
    built.template.has_resource_properties(
        "AWS::ApiGateway::VpcLink", {"TargetArns": [ref(logical_id(built.api.load_balancer))]}
    )


# ---- the REST API ------------------------------------------------------------------------


def test_the_api_has_only_a_root_any_and_a_proxy_any_method(built):
    template = built.template
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)
    template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}}
    )
    template.resource_count_is(METHOD, 2)
    template.all_resources_properties(METHOD, {"HttpMethod": "ANY"})
    template.resource_count_is("AWS::ApiGateway::Resource", 1)
    template.has_resource_properties("AWS::ApiGateway::Resource", {"PathPart": "{proxy+}"})


def test_every_method_proxies_through_the_vpc_link(built):
    link = logical_id(built.api.vpc_link)
    built.template.all_resources_properties(
        METHOD,
        {
            "Integration": {
                "Type": "HTTP_PROXY",
                "ConnectionType": "VPC_LINK",
                "ConnectionId": ref(link),
                "IntegrationHttpMethod": "ANY",
            }
        },
    )


def test_the_root_method_forwards_to_the_nlbs_root(built):
    rest_api = logical_id(built.api.rest_api)
    built.template.has_resource_properties(
        METHOD,
        {
            "ResourceId": get_att(rest_api, "RootResourceId"),
            "Integration": {
                "Uri": _uri(built, "/"),
                # Only the gateway's request id is mapped: the root has no path to pass on.
                "RequestParameters": {
                    f"integration.request.header.{contract.GATEWAY_REQUEST_ID_HEADER}": (
                        "context.requestId"
                    )
                },
            },
        },
    )


def test_the_proxy_method_maps_the_path_onto_the_nlb(built):
    built.template.has_resource_properties(
        METHOD,
        {
            "ResourceId": ref(logical_id(built.api.proxy_resource)),
            "RequestParameters": {"method.request.path.proxy": True},
            "Integration": {
                "Uri": _uri(built, "/{proxy}"),
                "RequestParameters": {
                    "integration.request.path.proxy": "method.request.path.proxy"
                },
            },
        },
    )


def test_there_is_no_options_method(template):
    template.resource_properties_count_is(METHOD, {"HttpMethod": "OPTIONS"}, 0)


def test_there_is_no_mock_integration(template):
    template.resource_properties_count_is(METHOD, {"Integration": {"Type": "MOCK"}}, 0)


def test_the_gateway_adds_no_cors_of_its_own_to_proxied_responses(template):
    # A proxy integration passes the service's response through; responses mapped here would
    # be the seed's console-added CORS that makes the preflight pass and the request fail.
    template.all_resources_properties(
        METHOD,
        {
            "MethodResponses": Match.absent(),
            "Integration": {"IntegrationResponses": Match.absent()},
        },
    )


# ---- the stage ---------------------------------------------------------------------------


def test_the_stage_is_named_and_throttled_as_configured(template):
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": SETTINGS.stage_name,
            "MethodSettings": [
                Match.object_like(
                    {
                        "ThrottlingRateLimit": SETTINGS.throttle_rate_limit,
                        "ThrottlingBurstLimit": SETTINGS.throttle_burst_limit,
                    }
                )
            ],
        },
    )


def test_the_stage_logs_errors_and_metrics_but_never_request_bodies(template):
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "MethodSettings": [
                Match.object_like(
                    {"MetricsEnabled": True, "LoggingLevel": "ERROR", "DataTraceEnabled": False}
                )
            ]
        },
    )


def test_the_stage_writes_json_access_logs_to_its_log_group(built):
    group = logical_id(built.api.access_log_group)
    built.template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "AccessLogSetting": {
                "DestinationArn": {"Fn::Join": ["", Match.array_with([ref(group)])]},
                "Format": Match.serialized_json(
                    Match.object_like({"requestId": "$context.requestId"})
                ),
            }
        },
    )
    built.template.all_resources_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": LOGS.retention_days}
    )


def test_the_url_is_the_stage_on_the_apis_origin_without_a_trailing_slash(built):
    rest_api = logical_id(built.api.rest_api)
    origin = [
        "https://",
        ref(rest_api),
        ".execute-api.",
        ref("AWS::Region"),
        ".",
        ref("AWS::URLSuffix"),
    ]
    assert built.stack.resolve(built.api.origin) == {"Fn::Join": ["", origin]}
    url = {"Fn::Join": ["", [*origin, f"/{SETTINGS.stage_name}"]]}
    assert built.stack.resolve(built.api.url) == url


# ---- the gateway's own errors --------------------------------------------------------------


def test_only_the_default_4xx_and_5xx_responses_are_customised(template):
    template.resource_count_is(RESPONSE, 2)
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        template.resource_properties_count_is(RESPONSE, {"ResponseType": kind}, 1)


def test_gateway_errors_allow_the_site_origin_as_a_fixed_value(template):
    # Never an echo of the caller's Origin (method.request.header...), never '*'.
    template.all_resources_properties(
        RESPONSE,
        {
            "ResponseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": f"'{SITE_ORIGIN}'",
                "gatewayresponse.header.Vary": "'Origin'",
            }
        },
    )


def test_gateway_errors_allow_credentials_when_the_service_does(template):
    template.all_resources_properties(
        RESPONSE,
        {
            "ResponseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Credentials": "'true'"
            }
        },
    )


def test_gateway_errors_do_not_allow_credentials_when_the_service_does_not():
    template = _api(allow_credentials=False).template
    template.all_resources_properties(
        RESPONSE,
        {
            "ResponseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": f"'{SITE_ORIGIN}'",
                "gatewayresponse.header.Access-Control-Allow-Credentials": Match.absent(),
            }
        },
    )
