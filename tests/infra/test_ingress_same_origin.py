"""`app:ingress=same-origin`: the API under `/api/*` of the site's own CloudFront distribution."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.components.alb_listeners import LISTENER_PORT
from infra.components.frontend import API_PATH_PATTERN, ENTRY_FILE
from infra.components.frontend_deployment import RUNTIME_CONFIG_FILE
from infra.ingress import CLOUDFRONT_PREFIX_LIST
from service import contract
from service.contract import Env
from service.settings import Settings
from tests.infra.conftest import Synth, cdk_json_context, resources, run_app, synthesize
from tests.infra.templates import cfn_lint_output, get_att, logical_id

SAME_ORIGIN = {"app:ingress": "same-origin", "app:extraOrigins": "https://admin.example.com"}
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


@pytest.fixture(scope="module")
def same_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("same-origin"), {**cdk_json_context(), **SAME_ORIGIN})


@pytest.fixture(scope="module")
def backend(same_synth: Synth) -> Template:
    return same_synth.template(same_synth.stacks.backend)


@pytest.fixture(scope="module")
def edge(same_synth: Synth) -> Template:
    return same_synth.template(same_synth.stacks.edge)


def _distribution(edge: Template) -> dict[str, Any]:
    (distribution,) = resources(edge, "AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def _environment(backend: Template) -> dict[str, Any]:
    (task,) = resources(backend, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def test_synth_passes_cdk_nag(same_synth):
    assert same_synth.synth_error is None


def test_cfn_lint_finds_nothing(same_synth):
    assert cfn_lint_output(same_synth.template_files()) is None


def test_there_is_no_api_gateway_no_nlb_and_no_vpc_link(same_synth):
    for stack in same_synth.stacks.all():
        types = {body["Type"] for body in same_synth.raw(stack)["Resources"].values()}
        assert not {t for t in types if t.startswith("AWS::ApiGateway")}, stack.stack_name
    (alb,) = resources(
        same_synth.template(same_synth.stacks.backend), "AWS::ElasticLoadBalancingV2::LoadBalancer"
    ).values()
    assert alb["Properties"]["Scheme"] == "internal"
    assert alb["Properties"].get("Type", "application") == "application"


def test_the_api_path_goes_to_the_alb_through_a_vpc_origin_uncached(same_synth, edge):
    alb = logical_id(same_synth.stacks.backend.container_service.load_balancer)
    (vpc_origin,) = resources(edge, "AWS::CloudFront::VpcOrigin").values()
    endpoint = vpc_origin["Properties"]["VpcOriginEndpointConfig"]
    assert alb in json.dumps(endpoint["Arn"])
    assert (endpoint["HTTPPort"], endpoint["OriginProtocolPolicy"]) == (LISTENER_PORT, "http-only")
    (behavior,) = _distribution(edge)["CacheBehaviors"]
    assert behavior["PathPattern"] == API_PATH_PATTERN
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert set(behavior["AllowedMethods"]) == {
        "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"
    }  # fmt: skip
    # A redirect to https would turn a POST into a GET.
    assert behavior["ViewerProtocolPolicy"] == "https-only"


def test_the_spa_fallback_no_longer_rewrites_the_apis_errors(edge):
    # Distribution-wide error responses would turn the API's own 403/404 into index.html.
    config = _distribution(edge)
    assert "CustomErrorResponses" not in config
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    (function,) = resources(edge, "AWS::CloudFront::Function").values()
    assert f"'/{ENTRY_FILE}'" in function["Properties"]["FunctionCode"]


def test_the_alb_admits_only_cloudfronts_origin_facing_prefix_list(same_synth, backend):
    service = same_synth.stacks.backend.container_service
    group = logical_id(service.alb_security_group)
    rules = [
        r["Properties"]
        for r in resources(backend, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == get_att(group, "GroupId")
    ]
    assert len(rules) == 1
    (lookup_id,) = [
        name
        for name, body in resources(backend, "Custom::AWS").items()
        if CLOUDFRONT_PREFIX_LIST in json.dumps(body["Properties"])
    ]
    assert rules[0]["SourcePrefixListId"] == get_att(lookup_id, "PrefixLists.0.PrefixListId")
    assert (rules[0]["FromPort"], rules[0]["ToPort"]) == (LISTENER_PORT, LISTENER_PORT)
    inline = resources(backend, "AWS::EC2::SecurityGroup")[group]["Properties"]
    assert inline.get("SecurityGroupIngress", []) == []


def test_the_service_trusts_the_load_balancer_subnets_and_allows_only_the_extra_origins(
    same_synth, backend
):
    env = _environment(backend)
    assert sorted(contract.parse_list(env[Env.FORWARDED_ALLOW_IPS])) == sorted(
        same_synth.config.network.load_balancer_subnet_cidrs
    )
    assert Env.ROOT_PATH not in env
    # The site itself is same-origin; other origins still get the service's CORS.
    assert contract.parse_list(env[Env.ALLOW_ORIGINS]) == ["https://admin.example.com"]


def test_config_json_points_the_site_at_its_own_origin(same_synth, edge):
    site = same_synth.template(same_synth.stacks.site)
    (deployment,) = [
        body
        for body in resources(site, "Custom::CDKBucketDeployment").values()
        if body["Properties"].get("SourceMarkers")
    ]
    staged = same_synth.staged_files(same_synth.stacks.site)
    markers = {
        next(iter(staged[key])): marker
        for key, marker in zip(
            deployment["Properties"]["SourceObjectKeys"],
            deployment["Properties"]["SourceMarkers"],
            strict=True,
        )
    }
    (value,) = markers[RUNTIME_CONFIG_FILE].values()
    distribution = logical_id(same_synth.stacks.edge.edge.distribution)
    assert distribution in json.dumps(value)
    assert (
        edge.find_outputs("ApiUrl")["ApiUrl"]["Value"]
        == edge.find_outputs("SiteUrl")["SiteUrl"]["Value"]
    )


def test_the_backend_deploys_before_the_edge(same_synth):
    stacks = same_synth.stacks
    assert stacks.backend in stacks.edge.dependencies
    assert stacks.edge not in stacks.backend.dependencies
    assert {stacks.backend, stacks.edge} <= set(stacks.site.dependencies)


def test_the_alarms_and_dashboard_live_with_the_distribution(same_synth, edge, backend):
    assert resources(backend, "AWS::CloudWatch::Dashboard") == {}
    assert len(resources(edge, "AWS::CloudWatch::Dashboard")) == 1
    observability = same_synth.stacks.edge.observability
    assert observability is not None
    titles = [title for title, _ in observability.dashboard.hops]
    assert titles == ["1 CloudFront (site)", "2 ALB", "3 ECS tasks"]


def test_waf_with_same_origin_stops_synth_pointing_at_cloudfront_waf(tmp_path):
    result = run_app({**SAME_ORIGIN, "app:waf": "true"}, tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: app:waf=true: has nothing to attach to with ingress=same-origin")
    assert "app:cloudFrontWaf=true" in line


def test_the_prefix_list_lookup_logs_like_every_other_backend_log(same_synth, backend):
    # CDK would give the custom resource's provider a log group kept for two years.
    days = same_synth.config.logs.retention_days
    groups = resources(backend, "AWS::Logs::LogGroup").values()
    assert [g["Properties"]["RetentionInDays"] for g in groups] == [days] * len(groups)


def test_without_extra_origins_the_service_accepts_its_environment(tmp_path_factory):
    # No origin is listed at all: credentials must be off, or the service refuses to start.
    synth = synthesize(
        tmp_path_factory.mktemp("same-origin-alone"),
        {**cdk_json_context(), "app:ingress": "same-origin"},
    )
    env = _environment(synth.template(synth.stacks.backend))
    assert env[Env.ALLOW_ORIGINS] == ""
    assert env[Env.ALLOW_CREDENTIALS] == "false"
    settings = Settings.model_validate({k: v for k, v in env.items() if isinstance(v, str)})
    assert settings.allow_origins == []
