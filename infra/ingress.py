"""The ingress of the Fargate backend: what carries browsers' requests to the service's ALB.

One branch per `app:ingress` value (infra.config.topology); each builds its components on the
backend stack and returns what the rest of the stack wires: the API as the site names it, the
entry's metrics for the alarms and the dashboard, the NLB if there is one, and the web ACL.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms

from infra.components import metrics
from infra.components.api import Api
from infra.components.container_service import LISTENER_PORT, ContainerService
from infra.components.frontend import FrontendEdge
from infra.components.http_api import HttpApiIngress
from infra.components.network import Network
from infra.components.rest_alb_api import RestAlbApi
from infra.components.waf import AclScope, WebAcl
from infra.config import AppConfig, ConfigError, Ingress


@dataclass(frozen=True)
class PublicAlbApi:
    """The API as browsers reach it through an internet-facing ALB: its own domain."""

    url: str
    origin: str


@dataclass(frozen=True)
class Entry:
    api: Api | RestAlbApi | HttpApiIngress | PublicAlbApi
    metrics: metrics.GatewayMetrics
    # Whether the dashboard shows an API Gateway column (not for a public ALB).
    gateway_column: bool
    nlb: tuple[elbv2.NetworkLoadBalancer, elbv2.NetworkTargetGroup] | None
    firewall: WebAcl | None


def add_ingress(
    stack: Stack,
    *,
    config: AppConfig,
    network: Network,
    edge: FrontendEdge,
    service: ContainerService,
    encryption_key: kms.IKey | None,
) -> Entry:
    """Build the configured ingress in front of `service` on `stack`."""
    ingress = config.topology.chosen_ingress
    key = encryption_key
    api: Api | RestAlbApi | HttpApiIngress | PublicAlbApi
    firewall: WebAcl | None = None
    nlb: tuple[elbv2.NetworkLoadBalancer, elbv2.NetworkTargetGroup] | None = None
    gateway_column = True
    if ingress is Ingress.PUBLIC_ALB:
        origin = config.topology.public_alb_origin
        if origin is None:  # the config refuses public-alb without its domain
            raise ConfigError("app:apiDomainName", "ingress=public-alb needs it")
        api = PublicAlbApi(url=origin, origin=origin)
        gateway = metrics.public_alb_metrics(service.load_balancer, service.target_group)
        gateway_column = False
        CfnOutput(
            stack,
            "ApiLoadBalancerDns",
            value=service.load_balancer.load_balancer_dns_name,
            description="Point apiDomainName at this name (CNAME, or an alias record)",
        )
        firewall = _firewall(
            stack, config, edge, {"PublicAlb": service.load_balancer.load_balancer_arn}
        )
    elif ingress is Ingress.REST_ALB:
        api = RestAlbApi(
            stack,
            "Api",
            settings=config.api,
            logs=config.logs,
            vpc=network.vpc,
            load_balancer_subnets=network.load_balancer_subnets,
            alb=service.load_balancer,
            alb_listener=service.listener,
            alb_port=LISTENER_PORT,
            target_group=service.target_group,
            site_origin=edge.site_origin,
            allow_credentials=config.cors.allow_credentials,
            waf_attached=config.waf.enabled,
            encryption_key=key,
        )
        gateway = metrics.rest_stage_metrics(api.stage)
        firewall = _firewall(stack, config, edge, {"ApiStage": api.stage.stage_arn})
    elif ingress is Ingress.HTTP_API:
        api = HttpApiIngress(
            stack,
            "HttpApi",
            settings=config.api,
            logs=config.logs,
            vpc=network.vpc,
            load_balancer_subnets=network.load_balancer_subnets,
            alb_listener=service.listener,
            alb_port=LISTENER_PORT,
            encryption_key=key,
        )
        gateway = metrics.http_api_metrics(api.http_api)
    else:
        api = Api(
            stack,
            "Api",
            settings=config.api,
            logs=config.logs,
            vpc=network.vpc,
            load_balancer_subnets=network.load_balancer_subnets,
            alb_listener=service.listener,
            alb_port=LISTENER_PORT,
            site_origin=edge.site_origin,
            allow_credentials=config.cors.allow_credentials,
            waf_attached=config.waf.enabled,
            encryption_key=key,
        )
        gateway = metrics.rest_stage_metrics(api.stage)
        nlb = (api.load_balancer, api.target_group)
        firewall = _firewall(stack, config, edge, {"ApiStage": api.stage.stage_arn})
    return Entry(
        api=api, metrics=gateway, gateway_column=gateway_column, nlb=nlb, firewall=firewall
    )


def _firewall(
    stack: Stack, config: AppConfig, edge: FrontendEdge, protected: dict[str, str]
) -> WebAcl | None:
    """With `app:waf`, the regional web ACL on what browsers reach first (a REST API's
    stage or the public ALB), its blocks readable by the site (CORS)."""
    if not config.waf.enabled:
        return None
    return WebAcl(
        stack,
        "Firewall",
        settings=config.waf,
        acl_scope=AclScope.REGIONAL,
        protected=protected,
        cors_origin=edge.site_origin,
        allow_credentials=config.cors.allow_credentials,
    )
