"""Stacks only wire constructs. Order (no cycles): Network, Edge, Backend, Site.

The service must know the site's origin (CORS) and the site must know the API's URL
(config.json). Splitting the frontend in two breaks the cycle: the edge (bucket + CloudFront)
deploys before the backend, the files (with the API URL) after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aws_cdk import CfnOutput, Stack, Tags
from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct

from infra.components.alarm_topic import AlarmTopic
from infra.components.alarms import Alarms
from infra.components.alb_listeners import PublicListener
from infra.components.container_service import ContainerService
from infra.components.dashboard import RequestPathDashboard
from infra.components.encryption_key import stack_key
from infra.components.frontend import FrontendEdge
from infra.components.frontend_deployment import FrontendDeployment
from infra.components.network import Network
from infra.components.waf import AclScope, WebAcl
from infra.config import AppConfig, Compute, ConfigError, Ingress
from infra.function_stack import FunctionBackendStack
from infra.ingress import add_ingress

ROOT = Path(__file__).resolve().parents[1]
SERVICE_DIR = ROOT / "service"
FRONTEND_DIR = ROOT / "frontend"
# The (compute, ingress) pairs this version builds (see infra.config.topology); the rest stop
# synth with one line.
BUILT_TOPOLOGIES = frozenset(
    {
        (Compute.FARGATE, Ingress.REST_NLB),
        (Compute.FARGATE, Ingress.REST_ALB),
        (Compute.FARGATE, Ingress.HTTP_API),
        (Compute.FARGATE, Ingress.PUBLIC_ALB),
        (Compute.FARGATE, Ingress.SAME_ORIGIN),
        (Compute.LAMBDA, Ingress.REST),
        (Compute.LAMBDA, Ingress.HTTP_API),
    }
)
BACKEND_DESCRIPTIONS = {
    Ingress.REST_NLB: "Fargate service, ALB, NLB, REST API, alarms",
    Ingress.REST_ALB: "Fargate service, ALB, REST API (VPC link v2, no NLB), alarms",
    Ingress.HTTP_API: "Fargate service, ALB, HTTP API, alarms",
    Ingress.PUBLIC_ALB: "Fargate service, internet-facing ALB (TLS), alarms",
    Ingress.SAME_ORIGIN: "Fargate service, internal ALB for CloudFront's VPC origin",
}


class NetworkStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig) -> None:
        super().__init__(scope, construct_id, description="VPC over two AZs with flow logs")
        self.network = Network(
            self,
            "Network",
            settings=config.network,
            logs=config.logs,
            encryption_key=stack_key(self, config, "VPC flow logs"),
            public_load_balancers=config.topology.chosen_ingress is Ingress.PUBLIC_ALB,
        )


class EdgeStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        same_origin_backend: BackendStack | None = None,
    ) -> None:
        super().__init__(scope, construct_id, description="SPA bucket and CloudFront (OAC)")
        # The site's pages are same-origin: its firewall's blocks need no CORS headers.
        self.firewall = (
            WebAcl(self, "Firewall", settings=config.waf, acl_scope=AclScope.CLOUDFRONT)
            if config.waf.cloudfront
            else None
        )
        self.edge = FrontendEdge(
            self,
            "Frontend",
            settings=config.site,
            logs=config.logs,
            web_acl_arn=self.firewall.arn if self.firewall else None,
            # The site bucket outlives the stack (retained), and so must its key.
            encryption_key=stack_key(self, config, "Site bucket", retain=True),
            # A public ALB's origin is known now; API Gateway's only after the backend exists.
            api_sources=config.topology.public_alb_origin,
            api_load_balancer=(
                same_origin_backend.container_service.load_balancer if same_origin_backend else None
            ),
        )
        self.site_url_output = CfnOutput(self, "SiteUrl", value=self.edge.site_origin)
        self.observability: Observability | None = None
        self.same_origin_api: SameOriginApi | None = None
        if same_origin_backend is not None:
            # The API is the site's own origin: its routes are already under /api.
            self.same_origin_api = SameOriginApi(
                url=self.edge.site_origin, origin=self.edge.site_origin
            )
            self.api_url_output = CfnOutput(self, "ApiUrl", value=self.same_origin_api.url)
            self.observability = add_observability(
                self,
                config=config,
                backend=same_origin_backend,
                distribution=self.edge.distribution,
            )


class BackendStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        network: Network,
        edge: FrontendEdge | None,
    ) -> None:
        ingress = config.topology.chosen_ingress
        super().__init__(scope, construct_id, description=BACKEND_DESCRIPTIONS[ingress])
        key = stack_key(self, config, "Service logs and API access logs")
        # First: the service's deployment alarms notify it.
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", settings=config.alarms)
        # "Service" stays its id: CloudFormation's logical ids derive from it.
        self.container_service = ContainerService(
            self,
            "Service",
            settings=config.tasks,
            logs=config.logs,
            vpc=network.vpc,
            load_balancer_subnets=network.load_balancer_subnets,
            image_directory=SERVICE_DIR,
            # The service trusts X-Forwarded-* from the load balancers' subnets alone: the
            # ALB there is the last hop of every Fargate ingress.
            environment=config.container_environment(
                # Same-origin: the site's pages need no CORS, and its CloudFront name is not
                # known before the distribution (which needs this ALB) exists.
                allow_origins=edge.browser_origins if edge else config.site.known_origins,
                trusted_networks=",".join(network.load_balancer_cidrs),
            ),
            alarms=config.alarms,
            alarm_topic=self.alarm_topic.topic,
            encryption_key=key,
            public_listener=(
                PublicListener(certificate_arn=config.topology.api_certificate_arn)
                if config.topology.api_certificate_arn is not None
                else None
            ),
            public_task_ips=config.network.public_task_ips,
        )
        service = self.container_service
        entry = add_ingress(
            self, config=config, network=network, edge=edge, service=service, encryption_key=key
        )
        self.api = entry.api
        self.firewall = entry.firewall
        self.entry = entry
        if self.api is not None:
            self.api_url_output = CfnOutput(self, "ApiUrl", value=self.api.url)
        self.observability: Observability | None = None
        if edge is not None:
            self.observability = add_observability(
                self, config=config, backend=self, distribution=edge.distribution
            )
            self.alarms = self.observability.alarms
            self.dashboard = self.observability.dashboard


@dataclass(frozen=True)
class Observability:
    alarms: Alarms
    dashboard: RequestPathDashboard


def add_observability(
    stack: Stack, *, config: AppConfig, backend: BackendStack, distribution: cloudfront.Distribution
) -> Observability:
    """The alarms and the dashboard, on the stack that can see the distribution and the service
    (the Backend, or for `same-origin` the Edge, which deploys after it)."""
    service, entry = backend.container_service, backend.entry
    alarms = Alarms(
        stack,
        "Alarms",
        settings=config.alarms,
        topic=backend.alarm_topic.topic,
        gateway=entry.metrics,
        ecs_service=service.ecs_service,
        distribution=distribution,
    )
    dashboard = RequestPathDashboard(
        stack,
        "Dashboard",
        distribution=distribution,
        gateway=entry.metrics if entry.gateway_column else None,
        nlb=entry.nlb[0] if entry.nlb else None,
        nlb_target_group=entry.nlb[1] if entry.nlb else None,
        alb=service.load_balancer,
        alb_target_group=service.target_group,
        ecs_service=service.ecs_service,
        alarms=[*service.deployment_alarms.alarms, *alarms.alarms],
    )
    return Observability(alarms=alarms, dashboard=dashboard)


@dataclass(frozen=True)
class SameOriginApi:
    """The API under `/api/*` of the site's own distribution (`ingress=same-origin`)."""

    url: str
    origin: str


class PublicApi(Protocol):
    """What the site needs of whichever ingress carries the API."""

    @property
    def url(self) -> str: ...

    @property
    def origin(self) -> str: ...


class SiteStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, edge: FrontendEdge, api: PublicApi
    ) -> None:
        super().__init__(scope, construct_id, description="SPA files and runtime config.json")
        self.deployment = FrontendDeployment(
            self,
            "Deployment",
            bucket=edge.bucket,
            distribution=edge.distribution,
            source_dir=FRONTEND_DIR,
            api_url=api.url,
            api_origin=api.origin,
        )


@dataclass(frozen=True)
class Stacks:
    # None with compute=lambda: no VPC at all.
    network: NetworkStack | None
    edge: EdgeStack
    backend: BackendStack | FunctionBackendStack
    site: SiteStack

    def all(self) -> tuple[Stack, ...]:
        stacks = (self.network, self.edge, self.backend, self.site)
        return tuple(stack for stack in stacks if stack is not None)


def build(scope: Construct, config: AppConfig) -> Stacks:
    """Add the four stacks to `scope` (an App); environment-agnostic, so synth needs no AWS.

    Stack names come from the config's environment (`CorsSafeNetwork`, or
    `CorsSafe-<envName>-Network`), so several environments can share one App and one account.
    """
    compute, ingress = config.topology.compute, config.topology.chosen_ingress
    if (compute, ingress) not in BUILT_TOPOLOGIES:
        not_built = "is not built yet in this version"
        if compute is not Compute.FARGATE:
            raise ConfigError("app:compute", not_built, value=compute.value)
        raise ConfigError("app:ingress", not_built, value=ingress.value)
    name = config.environment.stack_name
    api: PublicApi | None
    network: NetworkStack | None = None
    backend: BackendStack | FunctionBackendStack
    if compute is Compute.LAMBDA:
        edge = EdgeStack(scope, name("Edge"), config=config)
        backend = FunctionBackendStack(scope, name("Backend"), config=config, edge=edge.edge)
        api = backend.api
    elif ingress is Ingress.SAME_ORIGIN:
        network = NetworkStack(scope, name("Network"), config=config)
        # The distribution names the ALB, so the backend deploys first.
        backend = BackendStack(
            scope, name("Backend"), config=config, network=network.network, edge=None
        )
        edge = EdgeStack(scope, name("Edge"), config=config, same_origin_backend=backend)
        api = edge.same_origin_api
    else:
        network = NetworkStack(scope, name("Network"), config=config)
        edge = EdgeStack(scope, name("Edge"), config=config)
        backend = BackendStack(
            scope, name("Backend"), config=config, network=network.network, edge=edge.edge
        )
        api = backend.api
    if api is None:
        raise ConfigError("app:ingress", "built no API", value=ingress.value)
    site = SiteStack(scope, name("Site"), edge=edge.edge, api=api)
    # Explicit, for the ingresses whose URL is known at synth (no reference makes it implicit):
    # the site's files go out once the API they name exists.
    site.add_stack_dependency(backend)
    site.add_stack_dependency(edge)
    stacks = Stacks(network=network, edge=edge, backend=backend, site=site)
    for stack in stacks.all():
        for key, value in config.environment.tags.items():
            # Every taggable resource in the template, and the stack itself (CloudFormation
            # propagates a stack's tags to what it creates; CDK tags stacks only explicitly).
            Tags.of(stack).add(key, value)
            Tags.of(stack).add(key, value, include_resource_types=["aws:cdk:stack"])
    return stacks
