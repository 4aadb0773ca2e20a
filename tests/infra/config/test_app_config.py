"""AppConfig (infra/config/app_config.py): read from CDK context; every error names the key and
the value in one line; the container environment it computes."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from infra.config import PREFIX, AppConfig, ConfigError, ServiceSettings, TaskSettings
from infra.config.app_config import groups, index_settings, settings_index
from infra.config.environment import ENVIRONMENTS
from infra.config.fields import Group, entries, setting
from service import contract
from service.contract import Env
from tests.infra.templates import cdk_json_context

SITE = "https://d111111abcdef8.cloudfront.net"
SWITCHES = {
    "diagnostics": Env.DIAGNOSTICS_ENABLED,
    "demo_routes": Env.DEMO_ROUTES_ENABLED,
    "api_docs": Env.API_DOCS_ENABLED,
}


def test_cdk_json_sets_only_values_that_differ_from_the_defaults():
    # Each default is defined once, on its field; cdk.json holds only deliberate changes.
    context = cdk_json_context()
    index = settings_index()
    for key, raw in context.items():
        # The environment blocks are checked in tests/infra/test_environments.py.
        if key.startswith(PREFIX) and key != ENVIRONMENTS:
            _, entry = index[key]
            assert entry.parse(key, raw) != entry.default, f"{key} repeats its default"
    AppConfig.from_context(context)


def test_cdk_feature_flags_do_not_trip_validation():
    context = cdk_json_context()
    assert any(key.startswith("@aws-cdk/") for key in context)
    AppConfig.from_context({**context, "aws:cdk:enable-path-metadata": True, "other": "x"})


def test_config_is_frozen():
    config = AppConfig()
    with pytest.raises(AttributeError):
        config.tasks.desired_count = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        config.tasks = TaskSettings()  # type: ignore[misc]


def test_command_line_strings_are_parsed():
    config = AppConfig.from_context(
        {
            "app:extraOrigins": "http://localhost:5173, https://admin.example.com",
            "app:allowCredentials": "true",
            "app:desiredCount": "3",
            "app:natGateways": "2",
        }
    )
    assert config.cors.extra_origins == ("http://localhost:5173", "https://admin.example.com")
    assert config.cors.allow_credentials is True
    assert config.tasks.desired_count == 3
    assert config.network.nat_gateways == 2


BAD = [
    ({"app:extraOrigins": "http://localhost:5173/"}, "app:extraOrigins", "trailing slash"),
    ({"app:extraOrigins": "https://example.com/app"}, "app:extraOrigins", "has a path"),
    ({"app:extraOrigins": "localhost:5173"}, "app:extraOrigins", "http:// or https://"),
    ({"app:extraOrigins": "null"}, "app:extraOrigins", "must never be trusted"),
    ({"app:extraOrigins": "https://Example.com"}, "app:extraOrigins", "lower-case"),
    (
        {"app:extraOrigins": "*", "app:allowCredentials": True},
        "app:extraOrigins",
        "credentials",
    ),
    (
        {"app:extraOrigins": "*", "app:allowCredentials": False},
        "app:extraOrigins",
        "cannot be combined",
    ),
    ({"app:extraOrigins": "https://a.com,https://a.com"}, "app:extraOrigins", "twice"),
    ({"app:extraOrigins": 5}, "app:extraOrigins", "a list or a comma-separated string"),
    ({"app:allowCredentials": "maybe"}, "app:allowCredentials", "not a boolean"),
    ({"app:vpcCidr": "10.0.0.0/33"}, "app:vpcCidr", "not an IPv4 CIDR"),
    ({"app:vpcCidr": "10.0.0.1/16"}, "app:vpcCidr", "host bits"),
    ({"app:vpcCidr": "8.8.0.0/16"}, "app:vpcCidr", "private"),
    ({"app:vpcCidr": "10.0.0.0/8"}, "app:vpcCidr", "/16 and /24"),
    ({"app:natGateways": 0}, "app:natGateways", "must be 1..2"),
    ({"app:desiredCount": 0}, "app:desiredCount", "at least 1"),
    ({"app:desiredCount": 5}, "app:desiredCount", "between minCapacity"),
    ({"app:minCapacity": 0}, "app:minCapacity", "at least 1"),
    ({"app:maxCapacity": 1}, "app:maxCapacity", ">= minCapacity"),
    ({"app:cpu": "abc"}, "app:cpu", "whole number"),
    ({"app:cpu": True}, "app:cpu", "whole number"),
    ({"app:cpu": 300}, "app:cpu", "not a Fargate size"),
    ({"app:memoryMiB": 4096}, "app:memoryMiB", "not valid with cpu=256"),
    ({"app:logRetentionDays": 10}, "app:logRetentionDays", "CloudWatch accepts only"),
    ({"app:stageName": "api"}, "app:stageName", "route prefix"),
    ({"app:stageName": "v-1"}, "app:stageName", "letters, digits"),
    ({"app:throttleRateLimit": 0}, "app:throttleRateLimit", "1..10000 requests/s"),
    ({"app:gracefulShutdownSeconds": 200}, "app:gracefulShutdownSeconds", "1..115"),
    ({"app:cpuTargetPercent": 95}, "app:cpuTargetPercent", "must be 10..90"),
    ({"app:siteDomainName": "www.example.com"}, "app:siteCertificateArn", "go together"),
    (
        {
            "app:siteDomainName": "www.example.com",
            "app:siteCertificateArn": "arn:aws:acm:eu-west-1:000000000000:certificate/"
            "12345678-1234-1234-1234-123456789012",
        },
        "app:siteCertificateArn",
        "us-east-1",
    ),
    # Cleartext origins only on the developer's own machine.
    ({"app:extraOrigins": "http://evil.example.com"}, "app:extraOrigins", "cleartext http"),
    ({"app:extraOrigins": "http://10.0.0.5:8080"}, "app:extraOrigins", "loopback hosts"),
    ({"app:extraOrigins": "http://localhost.evil.com"}, "app:extraOrigins", "cleartext http"),
    ({"app:extraOrigins": "https://a.com,http://b.com"}, "app:extraOrigins", "cleartext http"),
    # Upper bounds: AWS limits or stated product ceilings.
    ({"app:natGateways": 3}, "app:natGateways", "must be 1..2"),
    ({"app:maxCapacity": 101}, "app:maxCapacity", "at most 100 tasks"),
    ({"app:maxCapacity": 100000}, "app:maxCapacity", "at most 100 tasks"),
    ({"app:throttleRateLimit": 10001}, "app:throttleRateLimit", "1..10000 requests/s"),
    ({"app:throttleRateLimit": 100000000}, "app:throttleRateLimit", "1..10000 requests/s"),
    ({"app:throttleBurstLimit": 0}, "app:throttleBurstLimit", "1..5000"),
    ({"app:throttleBurstLimit": 5001}, "app:throttleBurstLimit", "1..5000"),
    ({"app:requestsPerTarget": 0}, "app:requestsPerTarget", "must be 1..3000"),
    ({"app:requestsPerTarget": 999999999999}, "app:requestsPerTarget", "must be 1..3000"),
    ({"app:logRetentionDays": 3654}, "app:logRetentionDays", "CloudWatch accepts only"),
    ({"app:gracefulShutdownSeconds": 0}, "app:gracefulShutdownSeconds", "1..115"),
    ({"app:deregistrationDelaySeconds": 3601}, "app:deregistrationDelaySeconds", "0..3600"),
    ({"app:deregistrationDelaySeconds": -1}, "app:deregistrationDelaySeconds", "0..3600"),
    ({"app:cpuTargetPercent": 9}, "app:cpuTargetPercent", "must be 10..90"),
    ({"app:maxBodyBytes": 1023}, "app:maxBodyBytes", "1024..10485760"),
    ({"app:maxBodyBytes": 10485761}, "app:maxBodyBytes", "1024..10485760"),
    ({"app:maxBodyBytes": "1MiB"}, "app:maxBodyBytes", "whole number"),
    ({"app:diagnostics": "maybe"}, "app:diagnostics", "not a boolean"),
    ({"app:demoRoutes": 1}, "app:demoRoutes", "true or false"),
    ({"app:apiDocs": "yes please"}, "app:apiDocs", "not a boolean"),
    # Relations between settings.
    (
        {"app:throttleRateLimit": 10000, "app:throttleBurstLimit": 1},
        "app:throttleBurstLimit",
        "must be >= 5000",
    ),
    (
        {"app:throttleRateLimit": 300, "app:throttleBurstLimit": 299},
        "app:throttleBurstLimit",
        "must be >= 300",
    ),
    (
        {"app:throttleRateLimit": 10, "app:requestsPerTarget": 301},
        "app:requestsPerTarget",
        "must be 1..300 (throttleRateLimit x 60 / minCapacity)",
    ),
    (
        {"app:vpcCidr": "10.0.0.0/24", "app:maxCapacity": 60},
        "app:maxCapacity",
        "at most 59 with vpcCidr=10.0.0.0/24",
    ),
    ({"app:containerPort": 8080}, "app:containerPort", "unknown setting"),
]


@pytest.mark.parametrize(("context", "key", "reason"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_value_names_key_value_and_reason(context, key, reason):
    with pytest.raises(ConfigError) as caught:
        AppConfig.from_context(context)
    message = str(caught.value)
    assert caught.value.key == key
    assert message.startswith(f"{key}=")
    assert reason in message
    assert "\n" not in message


GOOD = [
    {"app:extraOrigins": "http://localhost:5173,http://127.0.0.1:8080,http://127.9.9.9"},
    {"app:extraOrigins": ["http://[::1]:3000", "https://admin.example.com"]},
    {"app:maxCapacity": 100},
    {"app:vpcCidr": "10.0.0.0/24", "app:maxCapacity": 59},
    {"app:vpcCidr": "10.0.0.0/23", "app:maxCapacity": 100},
    # API Gateway's own account default: a bucket of 5,000 for 10,000 requests/s.
    {"app:throttleRateLimit": 10000, "app:throttleBurstLimit": 5000},
    {"app:throttleRateLimit": 300, "app:throttleBurstLimit": 300},
    {"app:requestsPerTarget": 3000},
    {"app:minCapacity": 1, "app:desiredCount": 1, "app:requestsPerTarget": 6000},
    {"app:maxBodyBytes": 1024},
    {"app:maxBodyBytes": "10485760"},
    {"app:gracefulShutdownSeconds": 115, "app:deregistrationDelaySeconds": 3600},
    {"app:diagnostics": "true", "app:demoRoutes": True, "app:apiDocs": "on"},
]


@pytest.mark.parametrize("context", GOOD, ids=[json.dumps(g) for g in GOOD])
def test_values_at_the_bounds_are_accepted(context):
    AppConfig.from_context(context)


def test_route_switches_default_to_closed_and_parse_from_strings():
    service = AppConfig().service
    assert (service.diagnostics, service.demo_routes, service.api_docs) == (False, False, False)
    service = AppConfig.from_context({"app:diagnostics": "true", "app:apiDocs": "false"}).service
    assert (service.diagnostics, service.demo_routes, service.api_docs) == (True, False, False)


LOOKALIKES = [
    # Without the prefix, CDK would keep the key and the setting would silently stay default.
    ("extraOrigins", "app:extraOrigins"),
    ("extraorigins", "app:extraOrigins"),
    ("ExtraOrigins", "app:extraOrigins"),
    ("desiredCount", "app:desiredCount"),
    # With the prefix but the wrong case.
    ("app:extraorigins", "app:extraOrigins"),
    ("app:desiredcount", "app:desiredCount"),
    ("APP:memorymib", "app:memoryMiB"),
]


@pytest.mark.parametrize(("key", "ours"), LOOKALIKES)
def test_a_key_that_is_ours_but_for_prefix_or_case_asks_did_you_mean(key, ours):
    with pytest.raises(ConfigError) as caught:
        AppConfig.from_context({**cdk_json_context(), key: "http://localhost:5173"})
    assert str(caught.value) == f"{key}: did you mean {ours}?"
    assert caught.value.key == key


def test_unprefixed_keys_unlike_ours_still_belong_to_cdk():
    AppConfig.from_context({"extraOriginsX": "1", "origins": "2", "stage": "3", "app": "4"})


def test_every_setting_has_a_key_a_doc_and_a_parser():
    index = settings_index()
    assert len(index) == sum(len(entries(kind)) for kind in groups().values())
    for key, (_, entry) in index.items():
        assert key == "app:" + entry.spec.key
        assert entry.spec.doc.endswith(".")


def test_a_key_declared_twice_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Replicas(Group):
        replicas: int = setting(default=2, key="replicas", doc="Copies.", bounds=(1, 5))

    with pytest.raises(TypeError, match="app:replicas is declared twice"):
        index_settings({"one": Replicas, "two": Replicas})


def test_app_config_defaults_are_each_groups_defaults():
    config = AppConfig()
    for name, kind in groups().items():
        assert getattr(config, name) == kind()


# ---- the container environment ------------------------------------------------------------


def _environment(config: AppConfig) -> dict[str, str]:
    return config.container_environment(allow_origins=[SITE], trusted_networks="10.0.0.0/16")


def test_the_default_environment_keeps_debug_demo_and_docs_routes_closed():
    environment = _environment(AppConfig())
    assert {environment[name] for name in SWITCHES.values()} == {"false"}


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_each_switch_opens_only_its_own_routes(switch):
    environment = _environment(AppConfig(service=ServiceSettings(**{switch: True})))
    expected = {name: "true" if field == switch else "false" for field, name in SWITCHES.items()}
    assert {name: environment[name] for name in SWITCHES.values()} == expected


def test_the_body_limit_reaches_the_environment():
    environment = _environment(AppConfig(service=ServiceSettings(max_body_bytes=4096)))
    assert environment[Env.MAX_BODY_BYTES] == "4096"
    assert _environment(AppConfig())[Env.MAX_BODY_BYTES] == str(contract.DEFAULT_MAX_BODY_BYTES)


def test_the_sites_origins_come_first_and_the_extra_origins_follow():
    config = AppConfig.from_context({"app:extraOrigins": "http://localhost:5173"})
    environment = _environment(config)
    assert environment[Env.ALLOW_ORIGINS] == f"{SITE},http://localhost:5173"


def test_forwarded_headers_are_trusted_from_the_given_network_only():
    environment = _environment(AppConfig())
    assert environment[Env.FORWARDED_ALLOW_IPS] == "10.0.0.0/16"
    with pytest.raises(ValueError, match="trusts forwarded headers from anyone"):
        AppConfig().container_environment(allow_origins=[SITE], trusted_networks="*")


def test_every_variable_name_comes_from_the_contract():
    names = {value for key, value in vars(Env).items() if not key.startswith("_")}
    environment = _environment(AppConfig())
    assert set(environment) <= names
    assert {
        Env.ALLOW_ORIGINS,
        Env.ALLOW_CREDENTIALS,
        Env.FORWARDED_ALLOW_IPS,
        Env.ROOT_PATH,
        Env.PORT,
        Env.GRACEFUL_SHUTDOWN_SECONDS,
    } <= set(environment)
