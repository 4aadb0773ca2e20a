"""REST API -> VPC link v2 -> the internal ALB: the `rest-alb` ingress, without an NLB.

REST APIs reach an ALB directly through a VPC link v2 since late 2025. aws-cdk-lib has no L2
integration for it (one was merged and reverted), so each method's integration is the L1
`VPC_LINK` connection with the v2 link's id and the ALB as `IntegrationTarget`, set as property
overrides on the methods the shared REST API builder made.

The stage in the path: AWS documents that a private integration through a v2 link sends the
stage to the backend (a request to stage `v1` arrives as `/v1/...`), and the service's root
path is the stage, which uvicorn puts in front of every path it receives: a path that still
carried the stage would reach no route. The ALB therefore strips a leading `/<stage>` with a
URL-rewrite transform on a listener rule before the request reaches the tasks; a path without
the stage does not match the rule and is forwarded as it is. Either way the service sees what it
sees behind `rest-nlb`. Only a deployed gateway shows which of the two AWS actually sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.components.alb_vpc_link import add_alb_vpc_link
from infra.components.rest_api import (
    GATEWAY_REQUEST_ID_MAPPING,
    PROXY_PATH_MAPPING,
    add_rest_api,
)
from infra.config import ApiSettings, LogSettings
from infra.stage_path import stage_rewrite

# Evaluated before the listener's default action; the rule only removes the stage.
STAGE_RULE_PRIORITY: Final = 1


class RestAlbApi(Construct):
    """A REST API whose root and `{proxy+}` methods reach the ALB through a VPC link v2.

    Args:
        settings: the stage's name and throttling (see ApiSettings).
        logs: how long the access logs are kept.
        vpc: the VPC the link's interfaces live in.
        load_balancer_subnets: the link's subnets, which hold only load balancers.
        alb: the internal ALB the link targets.
        alb_listener: its listener; its security group is made to admit the link's group, and
            it gets the rule that strips the stage.
        alb_port: that listener's port.
        target_group: the tasks' target group the stripped requests go to.
        site_origin: the site's origin, the only one the gateway's own errors allow.
        allow_credentials: whether those errors allow credentials, as the service does.
        waf_attached: whether a WAF web ACL protects the stage. Default False.
        encryption_key: a customer managed key for the access logs (app:kms). Default: None.

    Attributes:
        rest_api, stage, access_log_group, proxy_resource, origin, url: as `Api`'s.
        vpc_link: the VPC link (v2); security_group: its group.
        stage_rule: the ALB listener rule that strips the stage.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ApiSettings,
        logs: LogSettings,
        vpc: ec2.IVpc,
        load_balancer_subnets: Sequence[ec2.ISubnet],
        alb: elbv2.ApplicationLoadBalancer,
        alb_listener: elbv2.ApplicationListener,
        alb_port: int,
        target_group: elbv2.ApplicationTargetGroup,
        site_origin: str,
        allow_credentials: bool,
        waf_attached: bool = False,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Not "VpcLink": that logical id is the v1 link's under rest-nlb, and CloudFormation
        # cannot change a resource's type in place when an operator switches ingress. The REST
        # API, its stage and logs keep their ids, so the API's URL survives the switch.
        link = add_alb_vpc_link(
            self,
            "VpcLinkV2",
            who="REST API",
            vpc=vpc,
            subnets=load_balancer_subnets,
            alb_listener=alb_listener,
            alb_port=alb_port,
        )
        self.security_group, self.vpc_link = link.security_group, link.vpc_link
        base = f"http://{alb.load_balancer_dns_name}"
        parts = add_rest_api(
            self,
            construct_id,
            settings=settings,
            logs=logs,
            site_origin=site_origin,
            allow_credentials=allow_credentials,
            integration_for=lambda path, proxy: _integration(base + path, proxy=proxy),
            waf_attached=waf_attached,
            encryption_key=encryption_key,
        )
        for method in parts.methods:
            resource = method.node.default_child
            if not isinstance(resource, apigw.CfnMethod):
                raise TypeError(f"expected the method's CfnMethod, got {resource!r}")
            resource.add_property_override("Integration.ConnectionType", "VPC_LINK")
            resource.add_property_override("Integration.ConnectionId", self.vpc_link.vpc_link_id)
            resource.add_property_override("Integration.IntegrationTarget", alb.load_balancer_arn)
        self.rest_api = parts.rest_api
        self.stage = parts.stage
        self.access_log_group = parts.access_log_group
        self.proxy_resource = parts.proxy_resource
        self.origin = parts.origin
        self.url = parts.url
        self.stage_rule = elbv2.ApplicationListenerRule(
            self,
            "StripStage",
            listener=alb_listener,
            priority=STAGE_RULE_PRIORITY,
            conditions=[
                elbv2.ListenerCondition.path_patterns(
                    [f"/{settings.stage_name}", f"/{settings.stage_name}/*"]
                )
            ],
            target_groups=[target_group],
        )
        regex, replace = stage_rewrite(settings.stage_name)
        rule = self.stage_rule.node.default_child
        if not isinstance(rule, elbv2.CfnListenerRule):
            raise TypeError(f"expected the rule's CfnListenerRule, got {rule!r}")
        rule.add_property_override(
            "Transforms",
            [
                {
                    "Type": "url-rewrite",
                    "UrlRewriteConfig": {"Rewrites": [{"Regex": regex, "Replace": replace}]},
                }
            ],
        )


def _integration(uri: str, *, proxy: bool) -> apigw.Integration:
    # The v2 link is not an `apigw.IVpcLink`, and the L2 refuses VPC_LINK without one: the
    # connection (type, link id, target) is set by the overrides above.
    return apigw.Integration(
        type=apigw.IntegrationType.HTTP_PROXY,
        integration_http_method="ANY",
        uri=uri,
        options=apigw.IntegrationOptions(
            request_parameters={
                **GATEWAY_REQUEST_ID_MAPPING,
                **(PROXY_PATH_MAPPING if proxy else {}),
            },
        ),
    )
