"""Which compute runs the service and which ingress carries browsers' requests to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from infra.config.fields import Group, setting


class Compute(Enum):
    """What runs the FastAPI service."""

    FARGATE = "fargate"
    LAMBDA = "lambda"


class Ingress(Enum):
    """The request path from the browser to the service (see the README's topology table)."""

    REST_NLB = "rest-nlb"
    REST_ALB = "rest-alb"
    HTTP_API = "http-api"
    PUBLIC_ALB = "public-alb"
    SAME_ORIGIN = "same-origin"
    REST = "rest"

    @property
    def has_stage_prefix(self) -> bool:
        """Whether the public URL carries the REST stage as its first path segment.

        A REST API's stage is always in the URL and the gateway strips it; an HTTP API's
        `$default` stage, a public ALB and CloudFront's `/api/*` add no segment.
        """
        return self in (Ingress.REST_NLB, Ingress.REST_ALB, Ingress.REST)

    @property
    def has_gateway(self) -> bool:
        """Whether API Gateway (REST or HTTP API) is a hop."""
        return self not in (Ingress.PUBLIC_ALB, Ingress.SAME_ORIGIN)


# The ingresses each compute can use, its default first.
INGRESSES: Final[dict[Compute, tuple[Ingress, ...]]] = {
    Compute.FARGATE: (
        Ingress.REST_NLB,
        Ingress.REST_ALB,
        Ingress.HTTP_API,
        Ingress.PUBLIC_ALB,
        Ingress.SAME_ORIGIN,
    ),
    Compute.LAMBDA: (Ingress.REST, Ingress.HTTP_API),
}

_DOMAIN: Final = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# A regional certificate: the public ALB's, in the Region the app deploys to.
_ACM_ARN: Final = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")


def _domain(name: str | None) -> None:
    if name is not None and not _DOMAIN.match(name):
        raise ValueError("not a lower-case DNS name")


def _certificate(arn: str | None) -> None:
    if arn is not None and not _ACM_ARN.match(arn):
        raise ValueError("not an ACM certificate ARN")


def _choices(compute: Compute) -> str:
    return ", ".join(ingress.value for ingress in INGRESSES[compute])


@dataclass(frozen=True, kw_only=True)
class TopologySettings(Group):
    """The compute and the ingress: every combination offered is a complete topology."""

    compute: Compute = setting(
        default=Compute.FARGATE,
        key="compute",
        doc="What runs the service: ECS Fargate tasks behind an internal ALB, or one AWS Lambda "
        "function (Mangum) with no VPC, load balancer or tasks at all.",
    )
    ingress: Ingress | None = setting(
        default=None,
        key="ingress",
        doc="The request path from browsers to the service (see Topologies). Fargate: "
        "`rest-nlb` (default), `rest-alb`, `http-api`, `public-alb`, `same-origin`. "
        "Lambda: `rest` (default), `http-api`.",
        allowed="the compute's ingresses; unset: the compute's default",
    )
    api_domain_name: str | None = setting(
        default=None,
        key="apiDomainName",
        doc="The public ALB's DNS name (`ingress=public-alb` only), with `apiCertificateArn`; "
        "point it at the ALB's DNS name (output `ApiLoadBalancerDns`) yourself.",
        allowed="a lower-case DNS name; together with `apiCertificateArn`",
        check=_domain,
    )
    api_certificate_arn: str | None = setting(
        default=None,
        key="apiCertificateArn",
        doc="The ACM certificate the public ALB terminates TLS with (`ingress=public-alb` "
        "only), in the Region the app deploys to.",
        allowed="an ACM certificate ARN; together with `apiDomainName`",
        check=_certificate,
    )

    @property
    def chosen_ingress(self) -> Ingress:
        """The ingress in effect: the one set, else the compute's default."""
        return self.ingress if self.ingress is not None else INGRESSES[self.compute][0]

    @property
    def public_alb_origin(self) -> str | None:
        """The public ALB's origin (`https://<apiDomainName>`), known at synth; else None."""
        if self.chosen_ingress is not Ingress.PUBLIC_ALB or self.api_domain_name is None:
            return None
        return f"https://{self.api_domain_name}"

    def relations(self) -> None:
        ingress = self.chosen_ingress
        if ingress not in INGRESSES[self.compute]:
            raise self.invalid(
                "ingress",
                f"is not offered with compute={self.compute.value}; choose one of "
                f"{_choices(self.compute)}",
            )
        public = ingress is Ingress.PUBLIC_ALB
        domain, certificate = self.api_domain_name, self.api_certificate_arn
        if public and (domain is None or certificate is None):
            missing = "api_domain_name" if domain is None else "api_certificate_arn"
            raise self.invalid(
                missing,
                "ingress=public-alb needs apiDomainName and apiCertificateArn: the ALB "
                "terminates TLS with that certificate",
                shown="",
            )
        if not public and (domain is not None or certificate is not None):
            given = "api_domain_name" if domain is not None else "api_certificate_arn"
            raise self.invalid(
                given,
                f"applies only with ingress=public-alb (ingress={ingress.value})",
            )
