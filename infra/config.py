"""The app's one configuration object, parsed and validated from CDK context.

Only app.py reads CDK context; it hands the whole mapping to `AppConfig.from_context`, which
either returns a frozen, typed object or raises `ConfigError` naming the key, the value and the
reason in one line. Constructs and stacks receive typed values and never read context.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from infra.config_rules import (
    PREFIX,
    STOP_TIMEOUT_MARGIN_SECONDS,
    ConfigError,
    context_key,
    validate,
)
from service import contract

__all__ = ["PREFIX", "AppConfig", "ConfigError"]


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    """Everything an operator may change, with defaults (context key in brackets, `app:` prefix).

    Attributes:
        extra_origins: [extraOrigins] Origins allowed to call the API besides the site's own
            CloudFront origin, e.g. ``http://localhost:5173`` for local development. A list or a
            comma-separated string. Default: none. ``http://`` only for loopback hosts
            (``localhost``, ``127.0.0.0/8``, ``[::1]``); every other origin must be https.
        allow_credentials: [allowCredentials] Whether browsers may send cookies/authorization
            cross-origin. Default: true (the demo SPA sends credentialed requests). Never allowed
            together with ``*``.
        nat_gateways: [natGateways] NAT gateways for the private subnets, 1..2 (one per AZ at
            most). Default: 1 (cheaper; one AZ's NAT is a single point of failure for image
            pulls and egress).
        vpc_cidr: [vpcCidr] Private IPv4 CIDR of the VPC, /16 to /24. Default: 10.0.0.0/16.
            It is also the only network the service trusts for X-Forwarded-* headers.
        desired_count: [desiredCount] Tasks started at first deploy, minCapacity..maxCapacity.
            Default: 2.
        min_capacity: [minCapacity] Autoscaling floor, 1..maxCapacity. Default: 2 (one per AZ).
        max_capacity: [maxCapacity] Autoscaling ceiling, minCapacity..100 (a product ceiling:
            the account's Fargate vCPU quota usually binds first), and no more than a
            deployment of old and new tasks side by side fits in the private subnets (50 with
            a /24 VPC). Default: 4.
        cpu: [cpu] Fargate CPU units per task, one of Fargate's sizes. Default: 256 (0.25 vCPU).
        memory_mib: [memoryMiB] Fargate memory per task, valid for ``cpu``. Default: 512.
        cpu_target_percent: [cpuTargetPercent] Target CPU utilisation for scaling, 10..90.
            Default: 60.
        requests_per_target: [requestsPerTarget] Target ALB requests per task per minute for
            scaling, 1..throttleRateLimit x 60 / minCapacity (a higher target can never be
            reached: the gateway throttles first, and the policy would never scale out).
            Default: 1000.
        log_retention_days: [logRetentionDays] Retention of every log group, one of
            CloudWatch's periods (1..3653 days). Default: 30.
        stage_name: [stageName] API Gateway stage, the first path segment of the API URL,
            1-128 letters, digits or underscores. Default: v1. Must not equal a service route
            prefix such as ``api``.
        throttle_rate_limit: [throttleRateLimit] Stage steady-state requests/second,
            1..10,000 (API Gateway's default quota for the whole account and Region).
            Default: 100.
        throttle_burst_limit: [throttleBurstLimit] Stage burst (token bucket size), 1..5,000
            (the account's default bucket), and at least one second of throttleRateLimit or
            5,000 where that is more (a smaller bucket refuses requests that arrive together
            although the rate is not exceeded). Default: 200.
        graceful_shutdown_seconds: [gracefulShutdownSeconds] uvicorn's graceful-shutdown
            timeout, 1..115; the container's stop timeout is this plus 5 s, and Fargate allows
            at most 120 s. Default: 20 (the contract's).
        deregistration_delay_seconds: [deregistrationDelaySeconds] How long the ALB drains a
            stopping task before ECS sends SIGTERM, 0..3600 (ELB's range). Default: 30.
        diagnostics: [diagnostics] Serve the diagnostics routes (``GET /debug/request`` echoes
            request headers). Default: false; turn on only to debug a deployment.
        demo_routes: [demoRoutes] Serve the demo routes that fail or stall on purpose
            (``/api/boom``, ``/api/slow``). Default: false.
        api_docs: [apiDocs] Serve the OpenAPI schema and docs pages (``/docs``, ``/redoc``,
            ``/openapi.json``). Default: false.
        max_body_bytes: [maxBodyBytes] Largest request body the service reads, 1024 (1 KiB)
            ..10485760 (10 MiB, what API Gateway forwards at most); a larger body is refused
            with 413. Default: 1048576 (1 MiB).
        site_domain_name: [siteDomainName] Optional custom domain for the site (needs
            ``siteCertificateArn``); with it the distribution enforces TLS 1.2 for viewers.
            Default: none (the ``*.cloudfront.net`` name, whose certificate CloudFront owns).
        site_certificate_arn: [siteCertificateArn] ACM certificate in us-east-1 for
            ``siteDomainName``. Default: none.

    The container port is not configurable: it is ``service.contract.CONTAINER_PORT``, shared
    by the image, the task definition and the health checks.
    """

    extra_origins: tuple[str, ...] = ()
    allow_credentials: bool = True
    nat_gateways: int = 1
    vpc_cidr: str = "10.0.0.0/16"
    desired_count: int = 2
    min_capacity: int = 2
    max_capacity: int = 4
    cpu: int = 256
    memory_mib: int = 512
    cpu_target_percent: int = 60
    requests_per_target: int = 1000
    log_retention_days: int = 30
    stage_name: str = "v1"
    throttle_rate_limit: int = 100
    throttle_burst_limit: int = 200
    graceful_shutdown_seconds: int = contract.DEFAULT_GRACEFUL_SHUTDOWN_SECONDS
    deregistration_delay_seconds: int = 30
    diagnostics: bool = False
    demo_routes: bool = False
    api_docs: bool = False
    max_body_bytes: int = contract.DEFAULT_MAX_BODY_BYTES
    site_domain_name: str | None = None
    site_certificate_arn: str | None = None

    def __post_init__(self) -> None:
        validate(self)

    @property
    def stop_timeout_seconds(self) -> int:
        return self.graceful_shutdown_seconds + STOP_TIMEOUT_MARGIN_SECONDS

    @classmethod
    def context_keys(cls) -> dict[str, str]:
        """Context key (with prefix) -> field name, for every setting."""
        return {context_key(f.name): f.name for f in fields(cls)}

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> AppConfig:
        """Build the config from the app's whole context mapping; raise ConfigError if bad.

        Keys outside our prefix belong to CDK and are ignored; an unknown key inside it is an
        error (a typo would otherwise silently keep the default).
        """
        known = cls.context_keys()
        values: dict[str, Any] = {}
        for key in sorted(context):
            if not key.startswith(PREFIX):
                continue
            raw = context[key]
            name = known.get(key)
            if name is None:
                raise ConfigError(key, raw, f"unknown setting; known: {', '.join(sorted(known))}")
            values[name] = _PARSERS[name](key, raw)
        return cls(**values)

    @property
    def context(self) -> dict[str, Any]:
        """This config as context (JSON types), e.g. for cdk.json; round-trips from_context."""
        out: dict[str, Any] = {}
        for key, name in self.context_keys().items():
            value = getattr(self, name)
            if value is None:
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def replace(self, **changes: Any) -> AppConfig:
        return dataclasses.replace(self, **changes)


def _int(key: str, raw: Any) -> int:
    # bool is an int in Python; `true` for a count is a mistake, not 1.
    if isinstance(raw, bool):
        raise ConfigError(key, raw, "must be a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return int(raw)
    raise ConfigError(key, raw, "must be a whole number")


def _bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        try:
            return contract.parse_bool(raw)
        except ValueError as exc:
            raise ConfigError(key, raw, str(exc)) from None
    raise ConfigError(key, raw, "must be true or false")


def _str(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ConfigError(key, raw, "must be a string")
    return raw


def _optional_str(key: str, raw: Any) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return _str(key, raw)


def _origins(key: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        # Commas separate items on the command line (`-c app:extraOrigins=a,b`).
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    raise ConfigError(key, raw, "must be a list of origins or a comma-separated string")


_PARSERS: Final[dict[str, Callable[[str, Any], Any]]] = {
    "extra_origins": _origins,
    "allow_credentials": _bool,
    "diagnostics": _bool,
    "demo_routes": _bool,
    "api_docs": _bool,
    "vpc_cidr": _str,
    "stage_name": _str,
    "site_domain_name": _optional_str,
    "site_certificate_arn": _optional_str,
    **{
        name: _int
        for name in (
            "nat_gateways",
            "desired_count",
            "min_capacity",
            "max_capacity",
            "cpu",
            "memory_mib",
            "cpu_target_percent",
            "requests_per_target",
            "log_retention_days",
            "throttle_rate_limit",
            "throttle_burst_limit",
            "graceful_shutdown_seconds",
            "deregistration_delay_seconds",
            "max_body_bytes",
        )
    },
}
