"""The app's one configuration object, parsed and validated from CDK context.

Only app.py reads CDK context; it hands the whole mapping to `AppConfig.from_context`, which
either returns a frozen, typed object or raises `ConfigError` naming the key, the value and the
reason in one line. Constructs and stacks receive typed values and never read context.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from service import contract

# Our keys live under this prefix so that CDK's own keys in cdk.json (feature flags such as
# "@aws-cdk/...", "aws:cdk:..." written by the CLI) can never collide with or trip validation.
PREFIX: Final = "app:"

# Valid Fargate CPU units -> allowed memory (MiB) for the x86/ARM on-demand task sizes.
_FARGATE_MEMORY: Final[dict[int, tuple[int, ...]]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS: Final = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

# A stage name equal to one of the service's first path segments makes URLs like /api/api/...
# ambiguous for people and for the SPA's path joining; reject them.
RESERVED_STAGE_NAMES: Final = frozenset({"api", "healthz", "docs", "redoc", "openapi.json"})
_STAGE_NAME: Final = re.compile(r"^[A-Za-z0-9_]{1,128}$")
_DOMAIN: Final = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN: Final = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")

# Fargate kills the container this long after SIGTERM at most; the stop timeout is the graceful
# shutdown plus a margin, so the graceful shutdown must leave room for it.
STOP_TIMEOUT_MARGIN_SECONDS: Final = 5
_MAX_STOP_TIMEOUT_SECONDS: Final = 120


class ConfigError(ValueError):
    """One bad setting; str() is `<key>=<value>: <reason>`, ready for one stderr line."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        super().__init__(f"{key}={_show(value)}: {reason}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_show(item) for item in value)
    return str(value)


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    """Everything an operator may change, with defaults (context key in brackets, `app:` prefix).

    Attributes:
        extra_origins: [extraOrigins] Origins allowed to call the API besides the site's own
            CloudFront origin, e.g. ``http://localhost:5173`` for local development. A list or a
            comma-separated string. Default: none.
        allow_credentials: [allowCredentials] Whether browsers may send cookies/authorization
            cross-origin. Default: true (the demo SPA sends credentialed requests). Never allowed
            together with ``*``.
        nat_gateways: [natGateways] NAT gateways for the private subnets (1 or 2). Default: 1
            (cheaper; one AZ's NAT is a single point of failure for image pulls and egress).
        vpc_cidr: [vpcCidr] Private IPv4 CIDR of the VPC, /16 to /24. Default: 10.0.0.0/16.
            It is also the only network the service trusts for X-Forwarded-* headers.
        desired_count: [desiredCount] Tasks started at first deploy. Default: 2.
        min_capacity: [minCapacity] Autoscaling floor. Default: 2 (one per AZ).
        max_capacity: [maxCapacity] Autoscaling ceiling. Default: 4.
        cpu: [cpu] Fargate CPU units per task. Default: 256 (0.25 vCPU).
        memory_mib: [memoryMiB] Fargate memory per task, valid for ``cpu``. Default: 512.
        cpu_target_percent: [cpuTargetPercent] Target CPU utilisation for scaling. Default: 60.
        requests_per_target: [requestsPerTarget] Target ALB requests per task per minute for
            scaling. Default: 1000.
        log_retention_days: [logRetentionDays] Retention of every log group. Default: 30.
        stage_name: [stageName] API Gateway stage, the first path segment of the API URL.
            Default: v1. Must not equal a service route prefix such as ``api``.
        throttle_rate_limit: [throttleRateLimit] Stage steady-state requests/second.
            Default: 100.
        throttle_burst_limit: [throttleBurstLimit] Stage burst. Default: 200.
        graceful_shutdown_seconds: [gracefulShutdownSeconds] uvicorn's graceful-shutdown
            timeout; the container's stop timeout is this plus 5 s. Default: 20 (the contract's).
        deregistration_delay_seconds: [deregistrationDelaySeconds] How long the ALB drains a
            stopping task before ECS sends SIGTERM. Default: 30.
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
    site_domain_name: str | None = None
    site_certificate_arn: str | None = None

    def __post_init__(self) -> None:
        self._validate()

    @property
    def stop_timeout_seconds(self) -> int:
        return self.graceful_shutdown_seconds + STOP_TIMEOUT_MARGIN_SECONDS

    @classmethod
    def context_keys(cls) -> dict[str, str]:
        """Context key (with prefix) -> field name, for every setting."""
        return {PREFIX + _camel(f.name): f.name for f in fields(cls)}

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

    def _key(self, name: str) -> str:
        return PREFIX + _camel(name)

    def _fail(self, name: str, reason: str, value: Any = None) -> ConfigError:
        shown = getattr(self, name) if value is None else value
        return ConfigError(self._key(name), shown, reason)

    def _validate(self) -> None:
        for origin in self.extra_origins:
            try:
                contract.validate_origin(origin)
            except ValueError as exc:
                raise self._fail("extra_origins", str(exc), origin) from None
        try:
            contract.validate_cors_policy(
                # The site's own origin is always allowed, so "no origin" cannot happen here.
                origins=[*self.extra_origins, "https://site.invalid"],
                allow_credentials=self.allow_credentials,
                origin_regex=None,
            )
        except ValueError as exc:
            raise self._fail("extra_origins", str(exc)) from None
        if "*" in self.extra_origins:
            raise self._fail(
                "extra_origins",
                "'*' cannot be combined with the site's own origin, which is always allowed; "
                "list origins explicitly",
            )
        if len(set(self.extra_origins)) != len(self.extra_origins):
            raise self._fail("extra_origins", "lists an origin twice")
        self._validate_network()
        self._validate_capacity()
        self._validate_task()
        self._validate_api()
        self._validate_domain()

    def _validate_network(self) -> None:
        if not 1 <= self.nat_gateways <= 2:
            raise self._fail("nat_gateways", "must be 1 or 2 (one per AZ at most; tasks need one)")
        try:
            network = ipaddress.ip_network(self.vpc_cidr, strict=True)
        except ValueError as exc:
            raise self._fail("vpc_cidr", f"not an IPv4 CIDR with host bits zero ({exc})") from None
        if network.version != 4 or not 16 <= network.prefixlen <= 24:
            raise self._fail("vpc_cidr", "must be an IPv4 CIDR between /16 and /24")
        if not network.is_private:
            raise self._fail("vpc_cidr", "must be a private (RFC 1918) range")
        contract.validate_networks(self.vpc_cidr)

    def _validate_capacity(self) -> None:
        if self.min_capacity < 1:
            raise self._fail("min_capacity", "must be at least 1")
        if self.max_capacity < self.min_capacity:
            raise self._fail("max_capacity", f"must be >= minCapacity ({self.min_capacity})")
        if self.desired_count < 1:
            raise self._fail("desired_count", "must be at least 1")
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise self._fail(
                "desired_count",
                f"must be between minCapacity ({self.min_capacity}) and maxCapacity "
                f"({self.max_capacity})",
            )
        if not 10 <= self.cpu_target_percent <= 90:
            raise self._fail("cpu_target_percent", "must be between 10 and 90")
        if self.requests_per_target < 1:
            raise self._fail("requests_per_target", "must be at least 1")

    def _validate_task(self) -> None:
        if self.cpu not in _FARGATE_MEMORY:
            raise self._fail("cpu", f"not a Fargate size; use one of {sorted(_FARGATE_MEMORY)}")
        if self.memory_mib not in _FARGATE_MEMORY[self.cpu]:
            allowed = _FARGATE_MEMORY[self.cpu]
            raise self._fail(
                "memory_mib", f"not valid with cpu={self.cpu}; use {allowed[0]}..{allowed[-1]}"
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise self._fail(
                "log_retention_days", f"CloudWatch accepts only {list(LOG_RETENTION_DAYS)}"
            )
        limit = _MAX_STOP_TIMEOUT_SECONDS - STOP_TIMEOUT_MARGIN_SECONDS
        if not 1 <= self.graceful_shutdown_seconds <= limit:
            raise self._fail(
                "graceful_shutdown_seconds",
                f"must be 1..{limit} (Fargate's stop timeout is at most 120 s)",
            )
        if not 0 <= self.deregistration_delay_seconds <= 3600:
            raise self._fail("deregistration_delay_seconds", "must be 0..3600")

    def _validate_api(self) -> None:
        if not _STAGE_NAME.match(self.stage_name):
            raise self._fail("stage_name", "use 1-128 letters, digits or underscores")
        if self.stage_name.lower() in RESERVED_STAGE_NAMES:
            raise self._fail(
                "stage_name", f"clashes with a service route prefix {sorted(RESERVED_STAGE_NAMES)}"
            )
        if self.throttle_rate_limit < 1:
            raise self._fail("throttle_rate_limit", "must be at least 1")
        if self.throttle_burst_limit < 1:
            raise self._fail("throttle_burst_limit", "must be at least 1")

    def _validate_domain(self) -> None:
        domain, arn = self.site_domain_name, self.site_certificate_arn
        if (domain is None) != (arn is None):
            name = "site_domain_name" if domain is None else "site_certificate_arn"
            raise self._fail(name, "siteDomainName and siteCertificateArn go together", "")
        if domain is not None and not _DOMAIN.match(domain):
            raise self._fail("site_domain_name", "not a lower-case DNS name")
        if arn is not None and not _ACM_ARN.match(arn):
            raise self._fail(
                "site_certificate_arn", "not an ACM certificate ARN in us-east-1 (CloudFront's)"
            )

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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    word = head + "".join(part.capitalize() for part in rest)
    return word.replace("Mib", "MiB")


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
        )
    },
}
