"""HttpApiIngress on a bare stack: only its props, its contract through Template."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from infra.components.http_api import AlbBackend, HttpApiIngress
from infra.config import ApiSettings, LogSettings
from tests.infra.templates import bare_stack, get_att, logical_id, stand_in_vpc

PORT = 8080


def _build(
    *, settings: ApiSettings | None = None, key: bool = False
) -> tuple[HttpApiIngress, Template]:
    stack = bare_stack()
    vpc = stand_in_vpc(stack)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=False)
    listener = alb.add_listener(
        "Http", port=PORT, open=False, default_action=elbv2.ListenerAction.fixed_response(200)
    )
    ingress = HttpApiIngress(
        stack,
        "HttpApi",
        settings=settings or ApiSettings(),
        logs=LogSettings(retention_days=14),
        backend=AlbBackend(
            vpc=vpc,
            subnets=vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets,
            listener=listener,
            port=PORT,
        ),
        encryption_key=kms.Key(stack, "Key") if key else None,
    )
    return ingress, Template.from_stack(stack)


def test_the_stage_throttles_with_the_api_settings():
    _, template = _build(settings=ApiSettings(throttle_rate_limit=7, throttle_burst_limit=9))
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {"DefaultRouteSettings": {"ThrottlingRateLimit": 7, "ThrottlingBurstLimit": 9}},
    )


def test_the_access_logs_keep_the_configured_days():
    ingress, template = _build()
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 14, "KmsKeyId": Match.absent()}
    )
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "AccessLogSettings": {
                "DestinationArn": get_att(logical_id(ingress.access_log_group), "Arn")
            }
        },
    )


def test_a_customer_key_encrypts_the_access_logs():
    _, template = _build(key=True)
    (key_id,) = template.find_resources("AWS::KMS::Key")
    template.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": get_att(key_id, "Arn")})


def test_the_vpc_link_has_its_own_group_that_may_reach_only_the_alb():
    ingress, template = _build()
    template.has_resource_properties(
        "AWS::ApiGatewayV2::VpcLink",
        {"SecurityGroupIds": [get_att(logical_id(ingress.security_group), "GroupId")]},
    )
    group = template.to_json()["Resources"][logical_id(ingress.security_group)]["Properties"]
    # No inline outbound rule (allow_all_outbound is off): only the one towards the ALB's group.
    assert [rule.get("CidrIp") for rule in group.get("SecurityGroupEgress", [])] in (
        [],
        ["255.255.255.255/32"],  # CDK's placeholder that allows nothing
    )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {
            "GroupId": get_att(logical_id(ingress.security_group), "GroupId"),
            "FromPort": PORT,
            "ToPort": PORT,
        },
    )


def test_the_url_is_the_api_endpoint_with_no_stage_segment():
    ingress, template = _build()
    assert ingress.url == ingress.http_api.api_endpoint
    template.resource_count_is("AWS::ApiGatewayV2::Stage", 1)
    template.has_resource_properties("AWS::ApiGatewayV2::Stage", {"StageName": "$default"})
