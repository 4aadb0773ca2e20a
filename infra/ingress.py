"""The ingress of the Fargate backend: what carries browsers' requests to the service's ALB.

One branch per `app:ingress` value (infra.config.topology); each builds its components on the
backend stack and returns what the rest of the stack wires: the API as the site names it, the
entry's metrics for the alarms and the dashboard, the NLB if there is one, and the web ACL.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, RemovalPolicy, Stack, aws_logs
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import custom_resources as cr

from infra import checkov
from infra.components import metrics
from infra.components.alb_listeners import LISTENER_PORT
from infra.components.api import Api
from infra.components.container_service import ContainerService
from infra.components.frontend import FrontendEdge
from infra.components.http_api import AlbBackend, HttpApiIngress
from infra.components.network import Network
from infra.components.rest_alb_api import RestAlbApi
from infra.components.waf import AclScope, WebAcl
from infra.config import AppConfig, ConfigError, Ingress
from infra.nag import acknowledge
from infra.retention import retention


@dataclass(frozen=True)
class PublicAlbApi:
    """The API as browsers reach it through an internet-facing ALB: its own domain."""

    url: str
    origin: str


@dataclass(frozen=True)
class Entry:
    # None for same-origin: the API is the site's own origin, known to the Edge stack.
    api: Api | RestAlbApi | HttpApiIngress | PublicAlbApi | None
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
    edge: FrontendEdge | None,
    service: ContainerService,
    encryption_key: kms.IKey | None,
) -> Entry:
    """Build the configured ingress in front of `service` on `stack`.

    `edge` is the site's distribution, deployed before this stack, for every ingress but
    `same-origin`, whose distribution is built after (it names the ALB): None then.
    """
    ingress = config.topology.chosen_ingress
    key = encryption_key
    if ingress is Ingress.SAME_ORIGIN:
        _admit_cloudfront(stack, service, config=config, encryption_key=key)
        return Entry(
            api=None,
            metrics=metrics.alb_entry_metrics(
                service.load_balancer, service.target_group, kind="ALB behind CloudFront"
            ),
            gateway_column=False,
            nlb=None,
            # The regional web ACL has nothing to attach to: CloudFront's (cloudFrontWaf)
            # protects the API too (the config refuses waf with this ingress).
            firewall=None,
        )
    if edge is None:
        raise ConfigError("app:ingress", "needs the site's distribution first", value=ingress.value)
    api: Api | RestAlbApi | HttpApiIngress | PublicAlbApi
    firewall: WebAcl | None = None
    nlb: tuple[elbv2.NetworkLoadBalancer, elbv2.NetworkTargetGroup] | None = None
    gateway_column = True
    if ingress is Ingress.PUBLIC_ALB:
        origin = config.topology.public_alb_origin
        if origin is None:  # the config refuses public-alb without its domain
            raise ConfigError("app:apiDomainName", "ingress=public-alb needs it")
        api = PublicAlbApi(url=origin, origin=origin)
        gateway = metrics.alb_entry_metrics(service.load_balancer, service.target_group)
        gateway_column = False
        CfnOutput(
            stack,
            "ApiLoadBalancerDns",
            value=service.load_balancer.load_balancer_dns_name,
            description="Point apiDomainName at this name (CNAME, or an alias record)",
        )
        firewall = add_firewall(
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
        firewall = add_firewall(stack, config, edge, {"ApiStage": api.stage.stage_arn})
    elif ingress is Ingress.HTTP_API:
        api = HttpApiIngress(
            stack,
            "HttpApi",
            settings=config.api,
            logs=config.logs,
            backend=AlbBackend(
                vpc=network.vpc,
                subnets=network.load_balancer_subnets,
                listener=service.listener,
                port=LISTENER_PORT,
            ),
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
        firewall = add_firewall(stack, config, edge, {"ApiStage": api.stage.stage_arn})
    return Entry(
        api=api, metrics=gateway, gateway_column=gateway_column, nlb=nlb, firewall=firewall
    )


def add_firewall(
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


# CloudFront's origin-facing servers, as an AWS-managed prefix list whose id differs per Region.
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
AWS_CUSTOM_RESOURCE_PROVIDER = "AWS679f53fac002430cb0da5b7982bd2287"


def _admit_cloudfront(
    stack: Stack, service: ContainerService, *, config: AppConfig, encryption_key: kms.IKey | None
) -> None:
    """Let CloudFront's VPC origin reach the internal ALB's listener, and nothing else.

    The managed prefix list's id is looked up at deploy time (a custom resource calling
    ec2:DescribeManagedPrefixLists): synth looks nothing up, and the id is not the same in every
    Region.
    """
    call = cr.AwsSdkCall(
        service="EC2",
        action="describeManagedPrefixLists",
        parameters={"Filters": [{"Name": "prefix-list-name", "Values": [CLOUDFRONT_PREFIX_LIST]}]},
        physical_resource_id=cr.PhysicalResourceId.of(CLOUDFRONT_PREFIX_LIST),
        output_paths=["PrefixLists.0.PrefixListId"],
    )
    # The provider's own log group, kept like every other log of the app (else CDK makes one
    # that keeps events for two years, on CloudWatch's key).
    log_group = aws_logs.LogGroup(
        stack,
        "CloudFrontPrefixListLogs",
        retention=retention(config.logs.retention_days),
        removal_policy=RemovalPolicy.DESTROY,
        encryption_key=encryption_key,
    )
    if encryption_key is None:
        checkov.skip(log_group, "CKV_AWS_158", checkov.LOGS_WITHOUT_CUSTOMER_KEY)
    lookup = cr.AwsCustomResource(
        stack,
        "CloudFrontPrefixList",
        log_group=log_group,
        on_create=call,
        on_update=call,
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
        ),
        install_latest_aws_sdk=False,
    )
    policy = lookup.node.try_find_child("CustomResourcePolicy")
    if policy is not None:
        acknowledge(
            policy,
            "AwsSolutions-IAM5",
            "ec2:DescribeManagedPrefixLists has no resource-level permissions: it is granted "
            "on '*' and is read-only.",
            findings=["Resource::*"],
        )
    # CDK's provider for AwsCustomResource is one function per stack, found by its path.
    provider = stack.node.try_find_child(AWS_CUSTOM_RESOURCE_PROVIDER)
    if provider is not None:
        role = provider.node.try_find_child("ServiceRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4",
                "CDK's custom-resource provider writes its logs with AWS's managed "
                "AWSLambdaBasicExecutionRole; it runs only during deployments.",
                findings=[
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole"
                ],
            )
        checkov.skip_deployment_function(provider, "CDK's AwsCustomResource provider")
    prefix_list = lookup.get_response_field("PrefixLists.0.PrefixListId")
    service.alb_security_group.add_ingress_rule(
        ec2.Peer.prefix_list(prefix_list),
        ec2.Port.tcp(LISTENER_PORT),
        "CloudFront's origin-facing servers (the VPC origin) only",
    )
