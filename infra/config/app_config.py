"""The app's one configuration object: one settings group per concern, read from CDK context."""

from __future__ import annotations

import functools
import ipaddress
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from infra import limits
from infra.config import environment
from infra.config.alarms import AlarmSettings
from infra.config.api import ApiSettings
from infra.config.cors import CorsSettings
from infra.config.environment import ENV_NAME, ENVIRONMENTS, EnvironmentSettings
from infra.config.fields import PREFIX, ConfigError, Entry, Group, entries
from infra.config.function import FunctionSettings
from infra.config.logs import LogSettings
from infra.config.network import NetworkSettings
from infra.config.security import SecuritySettings
from infra.config.service import ServiceSettings
from infra.config.site import SiteSettings
from infra.config.tasks import TaskSettings
from infra.config.topology import Ingress, TopologySettings
from infra.config.waf import RATE_WINDOW_SECONDS, WafSettings
from service import contract


@dataclass(frozen=True, kw_only=True)
class AppConfig:
    """Everything an operator may change: one group per concern, each a construct's settings.

    Every setting is one field of its group (made with `infra.config.fields.setting`: key,
    default, documentation, bounds); the README's table is generated from them
    (`python -m infra.config.table`). Context keys are flat, `app:<key>`.
    """

    environment: EnvironmentSettings = field(default_factory=EnvironmentSettings)
    topology: TopologySettings = field(default_factory=TopologySettings)
    cors: CorsSettings = field(default_factory=CorsSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    tasks: TaskSettings = field(default_factory=TaskSettings)
    function: FunctionSettings = field(default_factory=FunctionSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    logs: LogSettings = field(default_factory=LogSettings)
    waf: WafSettings = field(default_factory=WafSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)

    def __post_init__(self) -> None:
        # Relations between groups; each group has checked its own fields already.
        tasks = self.tasks
        fits = limits.max_tasks_for_vpc(ipaddress.ip_network(self.network.vpc_cidr).prefixlen)
        if tasks.max_capacity > fits:
            raise tasks.invalid(
                "max_capacity",
                f"must be at most {fits} with vpcCidr={self.network.vpc_cidr}: a deployment "
                "runs old and new tasks side by side and their addresses must fit the private "
                "subnets",
            )
        # All tasks together see at most the stage's rate; at the floor each sees its share.
        reachable = self.api.throttle_rate_limit * 60 // tasks.min_capacity
        if not 1 <= tasks.requests_per_target <= reachable:
            raise tasks.invalid(
                "requests_per_target",
                f"must be 1..{reachable} (throttleRateLimit x 60 / minCapacity): a higher "
                "target is never reached, the gateway throttles first",
            )
        # One address can never send more than the whole stage lets through.
        stage_capacity = self.api.throttle_rate_limit * RATE_WINDOW_SECONDS
        if self.waf.enabled and self.waf.rate_limit > stage_capacity:
            raise self.waf.invalid(
                "rate_limit",
                f"must be at most {stage_capacity} with waf=true (throttleRateLimit x "
                f"{RATE_WINDOW_SECONDS}): a higher per-address limit is never reached, the "
                "stage throttles first",
            )
        # AWS WAF protects REST API stages, ALBs and CloudFront, not HTTP APIs.
        ingress = self.topology.chosen_ingress
        if self.waf.enabled and ingress is Ingress.HTTP_API:
            raise self.waf.invalid(
                "enabled",
                "cannot protect ingress=http-api: AWS WAF does not attach to HTTP APIs; choose "
                "ingress=rest-nlb or public-alb, or leave waf off",
            )
        if self.waf.enabled and ingress is Ingress.SAME_ORIGIN:
            raise self.waf.invalid(
                "enabled",
                "has nothing to attach to with ingress=same-origin: the API is behind the "
                "site's CloudFront distribution; use app:cloudFrontWaf=true (in us-east-1)",
            )
        # Autoscaling holds the CPU at its target; an alarm at or below it would always fire.
        if self.alarms.cpu_percent <= tasks.cpu_target_percent:
            raise self.alarms.invalid(
                "cpu_percent",
                f"must be above cpuTargetPercent={tasks.cpu_target_percent}, the utilisation "
                "autoscaling keeps the tasks at",
            )

    @classmethod
    def from_context(cls, context: Mapping[str, Any], *, region: str | None = None) -> AppConfig:
        """Build the config from the app's whole context mapping; raise ConfigError if bad.

        `region` is the Region the app deploys to, if known at synth (app.py reads it from the
        environment); only settings that depend on the Region (`cloudFrontWaf`) consult it.

        Keys outside our prefix belong to CDK and are ignored, unless one is ours but for the
        prefix or its case (a newcomer's `-c extraOrigins=...` would otherwise be dropped).
        An unknown key inside the prefix is an error: a typo would silently keep the default.
        Every environment block is checked the same way, key by key, whichever is chosen; the
        chosen one (`app:envName`) applies under the top-level keys (see infra.config.environment).
        """
        index = settings_index()
        folded = _folded([*index, ENVIRONMENTS])
        _refuse_lookalikes(context, folded)
        for env, block in environment.blocks(context.get(ENVIRONMENTS)).items():
            try:
                for key in sorted(block):
                    _parse(key, block[key], index, folded)
            except ConfigError as exc:
                raise environment.in_block(env, exc) from None
        env_name = None
        if ENV_NAME in context:
            _, name, value = _parse(ENV_NAME, context[ENV_NAME], index, folded)
            env_name = EnvironmentSettings(**{name: value}).name
        selection = environment.select(context, env_name)
        chosen: dict[str, dict[str, Any]] = {name: {} for name in groups()}
        try:
            for key in sorted(selection.settings):
                group, name, value = _parse(key, selection.settings[key], index, folded)
                chosen[group][name] = value
            built: dict[str, Any] = {name: kind(**chosen[name]) for name, kind in groups().items()}
            config = cls(**built)
        except ConfigError as exc:
            raise selection.blame(exc) from None
        config.waf.require_region(region)
        return config

    @property
    def root_path(self) -> str:
        """The path in front of every route in public URLs: the REST stage, which the gateway
        strips before the service sees the request, or nothing for the other ingresses."""
        return self.api.root_path if self.topology.chosen_ingress.has_stage_prefix else ""

    def function_environment(self, *, allow_origins: Iterable[str]) -> dict[str, str]:
        """The Lambda function's environment: the container's without the server's settings."""
        origins = [*allow_origins, *self.cors.extra_origins]
        return contract.function_environment(
            allow_origins=origins,
            allow_credentials=self.cors.allow_credentials and bool(origins),
            max_body_bytes=self.service.max_body_bytes,
            diagnostics=self.service.diagnostics,
            demo_routes=self.service.demo_routes,
            api_docs=self.service.api_docs,
        )

    def container_environment(
        self, *, allow_origins: Iterable[str], trusted_networks: str
    ) -> dict[str, str]:
        """The service container's environment (the contract's names) for this config.

        `allow_origins` are the site's own origins; this config's extra origins follow them.
        """
        origins = [*allow_origins, *self.cors.extra_origins]
        return contract.container_environment(
            allow_origins=origins,
            # With no cross-origin caller at all (same-origin and no extra origins), credentials
            # have nobody to be allowed for, and the service refuses them without an origin.
            allow_credentials=self.cors.allow_credentials and bool(origins),
            # Only the load balancers inside the VPC may set X-Forwarded-*; never "*".
            forwarded_allow_ips=contract.validate_networks(trusted_networks),
            root_path=self.root_path,
            graceful_shutdown_seconds=self.tasks.graceful_shutdown_seconds,
            max_body_bytes=self.service.max_body_bytes,
            # Closed unless the operator opens them (app:diagnostics, demoRoutes, apiDocs).
            diagnostics=self.service.diagnostics,
            demo_routes=self.service.demo_routes,
            api_docs=self.service.api_docs,
        )


@functools.cache
def groups() -> dict[str, type[Group]]:
    """AppConfig's attribute -> settings group class, in declaration order."""
    hints = typing.get_type_hints(AppConfig)
    return {item.name: hints[item.name] for item in fields(AppConfig)}


@functools.cache
def settings_index() -> dict[str, tuple[str, Entry]]:
    """Context key (with prefix) -> (group attribute, field) for every setting of AppConfig."""
    return index_settings(groups())


def index_settings(by_name: Mapping[str, type[Group]]) -> dict[str, tuple[str, Entry]]:
    """Context key (with prefix) -> (group attribute, field); TypeError for a key used twice."""
    index: dict[str, tuple[str, Entry]] = {}
    for group, kind in by_name.items():
        for entry in entries(kind):
            key = entry.spec.context_key
            if key in index:
                raise TypeError(f"{key} is declared twice ({index[key][1].name}, {entry.name})")
            index[key] = (group, entry)
    return index


def _folded(keys: Iterable[str]) -> dict[str, str]:
    """Each of our keys, and each without its prefix, case-folded -> the key."""
    folded: dict[str, str] = {}
    for key in keys:
        folded[key.casefold()] = key
        folded[key.removeprefix(PREFIX).casefold()] = key
    return folded


def _refuse_lookalikes(context: Mapping[str, Any], folded: Mapping[str, str]) -> None:
    for key in sorted(context):
        ours = folded.get(key.casefold())
        if ours is not None and key != ours:
            raise ConfigError(key, f"did you mean {ours}?")


def _parse(
    key: str, raw: Any, index: Mapping[str, tuple[str, Entry]], folded: Mapping[str, str]
) -> tuple[str, str, Any]:
    """(group attribute, field name, value) of one of our keys; ConfigError as at top level."""
    found = index.get(key)
    if found is None:
        ours = folded.get(key.casefold())
        if ours is not None and ours in index:
            raise ConfigError(key, f"did you mean {ours}?")
        known = ", ".join(sorted(index))
        raise ConfigError(key, f"unknown setting; known: {known}", value=raw)
    group, entry = found
    value = entry.parse(key, raw)
    violation = entry.spec.violation(value)
    if violation is not None:
        reason, shown = violation
        raise ConfigError(key, reason, value=shown)
    return group, entry.name, value
