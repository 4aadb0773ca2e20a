"""Stacks only wire constructs. Order (no cycles): Network, Edge, Backend, Site.

The service must know the site's origin (CORS) and the site must know the API's URL
(config.json). Splitting the frontend in two breaks the cycle: the edge (bucket + CloudFront)
deploys before the backend, the files (with the API URL) after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.components.api import Api
from infra.components.container_service import LISTENER_PORT, ContainerService
from infra.components.encryption_key import EncryptionKey
from infra.components.frontend import FrontendEdge
from infra.components.frontend_deployment import FrontendDeployment
from infra.components.network import Network
from infra.config import AppConfig

ROOT = Path(__file__).resolve().parents[1]
SERVICE_DIR = ROOT / "service"
FRONTEND_DIR = ROOT / "frontend"


def _key(
    stack: Stack, config: AppConfig, description: str, *, retain: bool = False
) -> kms.IKey | None:
    """The stack's own customer managed key with app:kms, else None (AWS's service keys).

    One per stack: a key shared across stacks would tie their deployments together.
    """
    if not config.security.kms:
        return None
    return EncryptionKey(stack, "EncryptionKey", description=description, retain=retain).key


class NetworkStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig) -> None:
        super().__init__(scope, construct_id, description="VPC over two AZs with flow logs")
        self.network = Network(
            self,
            "Network",
            settings=config.network,
            logs=config.logs,
            encryption_key=_key(self, config, "VPC flow logs"),
        )


class EdgeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig) -> None:
        super().__init__(scope, construct_id, description="SPA bucket and CloudFront (OAC)")
        self.edge = FrontendEdge(
            self,
            "Frontend",
            settings=config.site,
            logs=config.logs,
            # The site bucket outlives the stack (retained), and so must its key.
            encryption_key=_key(self, config, "Site bucket", retain=True),
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
        key = _key(self, config, "Service logs and API access logs")
        # "Service" stays its id: CloudFormation's logical ids derive from it.
        self.container_service = ContainerService(
            self,
            "Service",
            settings=config.tasks,
            logs=config.logs,
            vpc=network.vpc,
            vpc_cidr=network.cidr,
            image_directory=SERVICE_DIR,
            environment=config.container_environment(
                allow_origins=edge.browser_origins, trusted_networks=network.cidr
            ),
            encryption_key=key,
        )
        self.api = Api(
            self,
            "Api",
            settings=config.api,
            logs=config.logs,
            vpc=network.vpc,
            vpc_cidr=network.cidr,
            alb_listener=self.container_service.listener,
            alb_port=LISTENER_PORT,
            site_origin=edge.site_origin,
            allow_credentials=config.cors.allow_credentials,
            encryption_key=key,
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
            bucket=edge.bucket,
            distribution=edge.distribution,
            source_dir=FRONTEND_DIR,
            api_url=api.url,
            api_origin=api.origin,
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
