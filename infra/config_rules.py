"""The rules every setting and every relation between settings must follow.

`validate` raises `ConfigError` for the first violation, naming the key, the value and the
reason in one line. Standard library only (plus the shared contract and limits).
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from infra import limits
from service import contract

if TYPE_CHECKING:
    from infra.config import AppConfig

# Our keys live under this prefix so that CDK's own keys in cdk.json (feature flags such as
# "@aws-cdk/...", "aws:cdk:..." written by the CLI) can never collide with or trip validation.
PREFIX: Final = "app:"

# Valid Fargate CPU units -> allowed memory (MiB) for the x86/ARM on-demand task sizes.
FARGATE_MEMORY: Final[dict[int, tuple[int, ...]]] = {
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

# Cleartext origins are accepted only for the developer's own machine: anything else on http://
# can be impersonated by whoever sits on the network path, and would get credentialed CORS.
LOOPBACK_NAMES: Final = frozenset({"localhost"})


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


def camel(name: str) -> str:
    head, *rest = name.split("_")
    word = head + "".join(part.capitalize() for part in rest)
    return word.replace("Mib", "MiB")


def context_key(name: str) -> str:
    """The context key (with prefix) of a config field."""
    return PREFIX + camel(name)


def _is_loopback_origin(origin: str) -> bool:
    host = urlsplit(origin).hostname or ""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate(config: AppConfig) -> None:
    """Raise ConfigError for the first bad setting or relation between settings."""
    _check_origins(config)
    _check_network(config)
    _check_task(config)
    _check_api(config)
    # After the network and API checks: its relations use their (then valid) settings.
    _check_capacity(config)
    _check_domain(config)


def _fail(config: AppConfig, name: str, reason: str, value: Any = None) -> ConfigError:
    shown = getattr(config, name) if value is None else value
    return ConfigError(context_key(name), shown, reason)


def _check_origins(config: AppConfig) -> None:
    for origin in config.extra_origins:
        try:
            contract.validate_origin(origin)
        except ValueError as exc:
            raise _fail(config, "extra_origins", str(exc), origin) from None
        if origin.startswith("http://") and not _is_loopback_origin(origin):
            raise _fail(
                config,
                "extra_origins",
                f"origin {origin!r} is cleartext http; http:// is accepted only for "
                "loopback hosts (localhost, 127.0.0.0/8, [::1]), use https://",
                origin,
            )
    try:
        contract.validate_cors_policy(
            # The site's own origin is always allowed, so "no origin" cannot happen here.
            origins=[*config.extra_origins, "https://site.invalid"],
            allow_credentials=config.allow_credentials,
            origin_regex=None,
        )
    except ValueError as exc:
        raise _fail(config, "extra_origins", str(exc)) from None
    if "*" in config.extra_origins:
        raise _fail(
            config,
            "extra_origins",
            "'*' cannot be combined with the site's own origin, which is always allowed; "
            "list origins explicitly",
        )
    if len(set(config.extra_origins)) != len(config.extra_origins):
        raise _fail(config, "extra_origins", "lists an origin twice")


def _check_network(config: AppConfig) -> None:
    if not 1 <= config.nat_gateways <= limits.AZ_COUNT:
        raise _fail(
            config,
            "nat_gateways",
            f"must be 1..{limits.AZ_COUNT} (one per AZ at most; tasks need one)",
        )
    try:
        network = ipaddress.ip_network(config.vpc_cidr, strict=True)
    except ValueError as exc:
        raise _fail(config, "vpc_cidr", f"not an IPv4 CIDR with host bits zero ({exc})") from None
    if network.version != 4 or not 16 <= network.prefixlen <= 24:
        raise _fail(config, "vpc_cidr", "must be an IPv4 CIDR between /16 and /24")
    if not network.is_private:
        raise _fail(config, "vpc_cidr", "must be a private (RFC 1918) range")
    contract.validate_networks(config.vpc_cidr)


def _check_capacity(config: AppConfig) -> None:
    if config.min_capacity < 1:
        raise _fail(config, "min_capacity", "must be at least 1")
    if config.max_capacity < config.min_capacity:
        raise _fail(config, "max_capacity", f"must be >= minCapacity ({config.min_capacity})")
    if config.max_capacity > limits.MAX_TASKS:
        raise _fail(
            config,
            "max_capacity",
            f"must be at most {limits.MAX_TASKS} tasks (more needs a Fargate quota "
            "increase and a design review)",
        )
    fits = limits.max_tasks_for_vpc(ipaddress.ip_network(config.vpc_cidr).prefixlen)
    if config.max_capacity > fits:
        raise _fail(
            config,
            "max_capacity",
            f"must be at most {fits} with vpcCidr={config.vpc_cidr}: a deployment runs old "
            "and new tasks side by side and their addresses must fit the private subnets",
        )
    if config.desired_count < 1:
        raise _fail(config, "desired_count", "must be at least 1")
    if not config.min_capacity <= config.desired_count <= config.max_capacity:
        raise _fail(
            config,
            "desired_count",
            f"must be between minCapacity ({config.min_capacity}) and maxCapacity "
            f"({config.max_capacity})",
        )
    if not 10 <= config.cpu_target_percent <= 90:
        raise _fail(config, "cpu_target_percent", "must be between 10 and 90")
    # All tasks together see at most the stage's rate; at the floor each sees its share.
    reachable = config.throttle_rate_limit * 60 // config.min_capacity
    if not 1 <= config.requests_per_target <= reachable:
        raise _fail(
            config,
            "requests_per_target",
            f"must be 1..{reachable} (throttleRateLimit x 60 / minCapacity): a higher "
            "target is never reached, the gateway throttles first",
        )


def _check_task(config: AppConfig) -> None:
    if config.cpu not in FARGATE_MEMORY:
        raise _fail(config, "cpu", f"not a Fargate size; use one of {sorted(FARGATE_MEMORY)}")
    if config.memory_mib not in FARGATE_MEMORY[config.cpu]:
        allowed = FARGATE_MEMORY[config.cpu]
        raise _fail(
            config,
            "memory_mib",
            f"not valid with cpu={config.cpu}; use {allowed[0]}..{allowed[-1]}",
        )
    if config.log_retention_days not in LOG_RETENTION_DAYS:
        raise _fail(
            config, "log_retention_days", f"CloudWatch accepts only {list(LOG_RETENTION_DAYS)}"
        )
    limit = limits.MAX_STOP_TIMEOUT_SECONDS - STOP_TIMEOUT_MARGIN_SECONDS
    if not 1 <= config.graceful_shutdown_seconds <= limit:
        raise _fail(
            config,
            "graceful_shutdown_seconds",
            f"must be 1..{limit} (Fargate's stop timeout is at most "
            f"{limits.MAX_STOP_TIMEOUT_SECONDS} s)",
        )
    if not 0 <= config.deregistration_delay_seconds <= limits.MAX_DEREGISTRATION_DELAY_SECONDS:
        raise _fail(
            config,
            "deregistration_delay_seconds",
            f"must be 0..{limits.MAX_DEREGISTRATION_DELAY_SECONDS} (ELB's range)",
        )
    if not limits.MIN_BODY_BYTES <= config.max_body_bytes <= contract.MAX_BODY_BYTES_LIMIT:
        raise _fail(
            config,
            "max_body_bytes",
            f"must be {limits.MIN_BODY_BYTES}..{contract.MAX_BODY_BYTES_LIMIT} bytes "
            "(API Gateway forwards at most 10 MiB)",
        )


def _check_api(config: AppConfig) -> None:
    if not _STAGE_NAME.match(config.stage_name):
        raise _fail(config, "stage_name", "use 1-128 letters, digits or underscores")
    if config.stage_name.lower() in RESERVED_STAGE_NAMES:
        raise _fail(
            config,
            "stage_name",
            f"clashes with a service route prefix {sorted(RESERVED_STAGE_NAMES)}",
        )
    rate, burst = config.throttle_rate_limit, config.throttle_burst_limit
    if not 1 <= rate <= limits.ACCOUNT_RATE_LIMIT:
        raise _fail(
            config,
            "throttle_rate_limit",
            f"must be 1..{limits.ACCOUNT_RATE_LIMIT} requests/s (API Gateway's default "
            "quota for the whole account and Region)",
        )
    if not 1 <= burst <= limits.ACCOUNT_BURST_LIMIT:
        raise _fail(
            config,
            "throttle_burst_limit",
            f"must be 1..{limits.ACCOUNT_BURST_LIMIT} (API Gateway's default burst for the "
            "whole account and Region)",
        )
    floor = min(rate, limits.ACCOUNT_BURST_LIMIT)
    if burst < floor:
        raise _fail(
            config,
            "throttle_burst_limit",
            f"must be >= {floor} (throttleRateLimit={rate}, at most "
            f"{limits.ACCOUNT_BURST_LIMIT}): a smaller bucket refuses requests that arrive "
            "together although the rate is not exceeded",
        )


def _check_domain(config: AppConfig) -> None:
    domain, arn = config.site_domain_name, config.site_certificate_arn
    if (domain is None) != (arn is None):
        name = "site_domain_name" if domain is None else "site_certificate_arn"
        raise _fail(config, name, "siteDomainName and siteCertificateArn go together", "")
    if domain is not None and not _DOMAIN.match(domain):
        raise _fail(config, "site_domain_name", "not a lower-case DNS name")
    if arn is not None and not _ACM_ARN.match(arn):
        raise _fail(
            config, "site_certificate_arn", "not an ACM certificate ARN in us-east-1 (CloudFront's)"
        )
