"""A local, production-like stack: the service behind nginx standing in for each AWS hop.

`python -m devstack` (or scripts/local-stack.sh) runs it until Ctrl-C; tests use `LocalStack`.
"""

from devstack.config import (
    API_GATEWAY,
    HTTP_API,
    LAMBDA,
    PUBLIC_ALB,
    REST_ALB,
    SAME_ORIGIN,
    TRUSTED_PROXY_ADDRESS,
    TRUSTED_PROXY_CIDR,
    Ingress,
    LocalStackConfig,
    ServiceSpec,
    SiteSpec,
)
from devstack.prereqs import PrerequisiteError
from devstack.stack import LocalStack

__all__ = [
    "API_GATEWAY",
    "HTTP_API",
    "LAMBDA",
    "PUBLIC_ALB",
    "REST_ALB",
    "SAME_ORIGIN",
    "TRUSTED_PROXY_ADDRESS",
    "TRUSTED_PROXY_CIDR",
    "Ingress",
    "LocalStack",
    "LocalStackConfig",
    "PrerequisiteError",
    "ServiceSpec",
    "SiteSpec",
]
