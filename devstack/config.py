"""What a local stack runs: its chains (ingresses), each chain's service and the frontend sites."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from devstack.processes import DEFAULT_APP

Ingress = Literal["api_gateway", "public_alb", "http_api", "rest_alb", "same_origin", "lambda"]
# CloudFront + S3 -> API Gateway (stage prefix) -> VPC link -> NLB -> internal ALB -> ECS.
API_GATEWAY: Final[Ingress] = "api_gateway"
# An internet-facing ALB that terminates TLS and forwards plain HTTP to ECS.
PUBLIC_ALB: Final[Ingress] = "public_alb"
# API Gateway HTTP API ($default stage, no stage segment) -> VPC link -> internal ALB -> ECS.
HTTP_API: Final[Ingress] = "http_api"
# API Gateway REST API (stage prefix) -> VPC link v2 -> internal ALB (strips the stage) -> ECS.
REST_ALB: Final[Ingress] = "rest_alb"
# CloudFront serves the site and, under /api/*, the internal ALB (a VPC origin): one origin.
SAME_ORIGIN: Final[Ingress] = "same_origin"
# compute=lambda: API Gateway REST API -> Lambda proxy integration -> the handler.
LAMBDA: Final[Ingress] = "lambda"

# The address both "ALBs" connect to the service from, standing in for the load balancers'
# subnets. It is not 127.0.0.1 on purpose: uvicorn trusts 127.0.0.1 by default, which would hide
# a missing setting.
TRUSTED_PROXY_ADDRESS: Final = "127.0.0.2"
TRUSTED_PROXY_CIDR: Final = f"{TRUSTED_PROXY_ADDRESS}/32"
# Stands in for the NLB's DNS name, which API Gateway sends as Host; it resolves nowhere, like
# the internal name does from a browser.
NLB_HOST: Final = "internal-nlb.local"
# Stands in for the ALB's DNS name, which an HTTP API's integration sends as Host.
ALB_HOST: Final = "internal-alb.local"
# API Gateway REST API's maximum integration timeout; then the gateway answers 504 itself.
INTEGRATION_TIMEOUT_SECONDS: Final = 29
# An HTTP API's maximum integration timeout.
HTTP_API_TIMEOUT_SECONDS: Final = 30
# What the site's CSP header allows to connect to besides the site itself: every https port on
# loopback, as CloudFront's header allows every REST API of the Region (infra/csp.py). Each
# site's index.html narrows it to that site's own API, as the deployed one does.
LOCAL_API_SOURCES: Final = "https://127.0.0.1:*"


@dataclass(frozen=True)
class ServiceSpec:
    """How one chain's service runs. The defaults are the production settings."""

    app: str = DEFAULT_APP
    # None leaves FORWARDED_ALLOW_IPS unset: uvicorn then trusts only 127.0.0.1, so it ignores
    # the X-Forwarded-Proto of an ALB that terminates TLS and redirects to http.
    forwarded_allow_ips: str | None = TRUSTED_PROXY_CIDR
    graceful_shutdown_seconds: int = 5
    extra_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteSpec:
    """A frontend origin. `raw_config` replaces the generated config.json ('' = no file)."""

    name: str
    ingress: Ingress
    allowed: bool
    raw_config: str | None = None


@dataclass(frozen=True)
class LocalStackConfig:
    api_gateway: ServiceSpec | None = field(default_factory=ServiceSpec)
    public_alb: ServiceSpec | None = field(default_factory=ServiceSpec)
    http_api: ServiceSpec | None = field(default_factory=ServiceSpec)
    # The HTTP API stand-in with the gateway's own CORS configuration turned on (allow any
    # origin, no credentials, content-type only), as the console's "Configure CORS" makes it:
    # it answers preflights itself and overwrites the service's headers. A negative control.
    http_api_gateway_cors: bool = False
    rest_alb: ServiceSpec | None = field(default_factory=ServiceSpec)
    # The REST API -> ALB chain's "ALB" strips the stage, as the deployed listener rule does.
    # Off: the stage reaches the service, whose routes then never match. A negative control.
    rest_alb_strips_stage: bool = True
    same_origin: ServiceSpec | None = field(default_factory=ServiceSpec)
    # The handler behind devstack/lambda_shim.py, always a local process (there is no image).
    lambda_function: ServiceSpec | None = field(default_factory=ServiceSpec)
    stage: str = "v1"
    extra_sites: tuple[SiteSpec, ...] = ()
    # Seconds before the "API Gateway" gives up on the integration and answers 504 itself.
    integration_timeout_seconds: int = INTEGRATION_TIMEOUT_SECONDS
    # Run each service as this image (devstack/container.py) instead of a local process.
    container_image: str | None = None

    def services(self) -> dict[Ingress, ServiceSpec]:
        chains: dict[Ingress, ServiceSpec | None] = {
            API_GATEWAY: self.api_gateway,
            PUBLIC_ALB: self.public_alb,
            HTTP_API: self.http_api,
            REST_ALB: self.rest_alb,
            SAME_ORIGIN: self.same_origin,
            LAMBDA: self.lambda_function,
        }
        return {name: spec for name, spec in chains.items() if spec is not None}

    def sites(self) -> list[SiteSpec]:
        """Per chain: the site the API allows and another origin it must refuse."""
        # A same-origin site calls its own origin: it needs no CORS, and the API does not list
        # it, as the deployed service is not told the CloudFront name.
        standard = [
            SiteSpec(
                name=f"{ingress}-{kind}",
                ingress=ingress,
                allowed=kind == "site" and ingress != SAME_ORIGIN,
            )
            for ingress in self.services()
            for kind in ("site", "other")
        ]
        return standard + [s for s in self.extra_sites if s.ingress in self.services()]
