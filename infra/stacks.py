"""Stacks only wire constructs. Order (no cycles): Network, Edge, Backend, Site.

The service must know the site's origin (CORS) and the site must know the API's URL
(config.json). Splitting the frontend in two breaks the cycle: the edge (bucket + CloudFront)
deploys before the backend, the files (with the API URL) after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import AppConfig
from infra.constructs.api import Api, ApiProps
from infra.constructs.frontend import (
    FrontendDeployment,
    FrontendDeploymentProps,
    FrontendEdge,
    FrontendEdgeProps,
)
from infra.constructs.network import Network, NetworkProps
from infra.constructs.service import LISTENER_PORT, Service, ServiceProps
from service import contract

ROOT = Path(__file__).resolve().parents[1]
SERVICE_DIR = ROOT / "service"
FRONTEND_DIR = ROOT / "frontend"


class NetworkStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig) -> None:
        super().__init__(scope, construct_id, description="VPC over two AZs with flow logs")
        self.network = Network(
            self,
            "Network",
            props=NetworkProps(
                cidr=config.vpc_cidr,
                nat_gateways=config.nat_gateways,
                log_retention_days=config.log_retention_days,
            ),
        )


class EdgeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig) -> None:
        super().__init__(scope, construct_id, description="SPA bucket and CloudFront (OAC)")
        self.edge = FrontendEdge(
            self,
            "Frontend",
            props=FrontendEdgeProps(
                log_retention_days=config.log_retention_days,
                domain_name=config.site_domain_name,
                certificate_arn=config.site_certificate_arn,
            ),
        )
        self.site_url_output = CfnOutput(self, "SiteUrl", value=self.edge.site_origin)


class BackendStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        network: Network,
        edge: FrontendEdge,
    ) -> None:
        super().__init__(scope, construct_id, description="Fargate service, ALB, NLB, REST API")
        allowed = [edge.cloudfront_origin, *config.extra_origins]
        if edge.site_origin != edge.cloudfront_origin:
            allowed.insert(0, edge.site_origin)
        self.allowed_origins = allowed
        environment = contract.container_environment(
            allow_origins=allowed,
            allow_credentials=config.allow_credentials,
            # Only the load balancers inside the VPC may set X-Forwarded-*; never "*".
            forwarded_allow_ips=contract.validate_networks(network.cidr),
            # The gateway strips the stage; the public sees every route under it.
            root_path=f"/{config.stage_name}",
            graceful_shutdown_seconds=config.graceful_shutdown_seconds,
            max_body_bytes=config.max_body_bytes,
            # Closed unless the operator opens them (app:diagnostics, demoRoutes, apiDocs).
            diagnostics=config.diagnostics,
            demo_routes=config.demo_routes,
            api_docs=config.api_docs,
        )
        self.service = Service(
            self,
            "Service",
            props=ServiceProps(
                vpc=network.vpc,
                vpc_cidr=network.cidr,
                image_directory=SERVICE_DIR,
                environment=environment,
                cpu=config.cpu,
                memory_mib=config.memory_mib,
                desired_count=config.desired_count,
                min_capacity=config.min_capacity,
                max_capacity=config.max_capacity,
                cpu_target_percent=config.cpu_target_percent,
                requests_per_target=config.requests_per_target,
                stop_timeout_seconds=config.stop_timeout_seconds,
                deregistration_delay_seconds=config.deregistration_delay_seconds,
                log_retention_days=config.log_retention_days,
            ),
        )
        self.api = Api(
            self,
            "Api",
            props=ApiProps(
                vpc=network.vpc,
                vpc_cidr=network.cidr,
                alb_listener=self.service.listener,
                alb_port=LISTENER_PORT,
                site_origin=edge.site_origin,
                allow_credentials=config.allow_credentials,
                stage_name=config.stage_name,
                throttle_rate_limit=config.throttle_rate_limit,
                throttle_burst_limit=config.throttle_burst_limit,
                log_retention_days=config.log_retention_days,
            ),
        )
        self.api_url_output = CfnOutput(self, "ApiUrl", value=self.api.url)


class SiteStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, edge: FrontendEdge, api: Api
    ) -> None:
        super().__init__(scope, construct_id, description="SPA files and runtime config.json")
        self.deployment = FrontendDeployment(
            self,
            "Deployment",
            props=FrontendDeploymentProps(
                bucket=edge.bucket,
                distribution=edge.distribution,
                source_dir=FRONTEND_DIR,
                api_url=api.url,
                api_origin=api.origin,
            ),
        )


@dataclass(frozen=True)
class Stacks:
    network: NetworkStack
    edge: EdgeStack
    backend: BackendStack
    site: SiteStack

    def all(self) -> tuple[Stack, ...]:
        return (self.network, self.edge, self.backend, self.site)


def build(scope: Construct, config: AppConfig, *, prefix: str = "CorsSafe") -> Stacks:
    """Add the four stacks to `scope` (an App); environment-agnostic, so synth needs no AWS."""
    network = NetworkStack(scope, f"{prefix}Network", config=config)
    edge = EdgeStack(scope, f"{prefix}Edge", config=config)
    backend = BackendStack(
        scope, f"{prefix}Backend", config=config, network=network.network, edge=edge.edge
    )
    site = SiteStack(scope, f"{prefix}Site", edge=edge.edge, api=backend.api)
    return Stacks(network=network, edge=edge, backend=backend, site=site)
