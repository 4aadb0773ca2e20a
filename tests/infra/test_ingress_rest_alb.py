"""`app:ingress=rest-alb`: REST API -> VPC link v2 -> the internal ALB, with no NLB."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.components.alb_listeners import LISTENER_PORT
from infra.components.api import Api
from infra.components.rest_alb_api import STAGE_RULE_PRIORITY, RestAlbApi
from infra.stage_path import stage_rewrite
from service import contract
from service.contract import Env
from tests.infra.conftest import Synth, cdk_json_context, resources, synthesize
from tests.infra.templates import cfn_lint_output, get_att, logical_id, ref

REST_ALB = {"app:ingress": "rest-alb", "app:stageName": "prod"}


@pytest.fixture(scope="module")
def alb_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("rest-alb"), {**cdk_json_context(), **REST_ALB})


@pytest.fixture(scope="module")
def backend(alb_synth: Synth) -> Template:
    return alb_synth.template(alb_synth.stacks.backend)


def _environment(backend: Template) -> dict[str, Any]:
    (task,) = resources(backend, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def test_synth_passes_cdk_nag(alb_synth):
    assert alb_synth.synth_error is None


def test_cfn_lint_finds_nothing(alb_synth):
    assert cfn_lint_output(alb_synth.template_files()) is None


def test_there_is_no_nlb_and_no_v1_vpc_link(backend):
    balancers = resources(backend, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert [b["Properties"].get("Type", "application") for b in balancers] == ["application"]
    assert resources(backend, "AWS::ApiGateway::VpcLink") == {}
    assert len(resources(backend, "AWS::ApiGatewayV2::VpcLink")) == 1


def test_both_methods_reach_the_alb_through_the_v2_link(alb_synth, backend):
    api = alb_synth.stacks.backend.api
    alb = logical_id(alb_synth.stacks.backend.container_service.load_balancer)
    methods = resources(backend, "AWS::ApiGateway::Method").values()
    assert len(methods) == 2
    for method in methods:
        integration = method["Properties"]["Integration"]
        assert integration["Type"] == "HTTP_PROXY"
        assert integration["ConnectionType"] == "VPC_LINK"
        assert integration["ConnectionId"] == ref(logical_id(api.vpc_link))
        assert integration["IntegrationTarget"] == ref(alb)
        assert (
            integration["RequestParameters"][
                f"integration.request.header.{contract.GATEWAY_REQUEST_ID_HEADER}"
            ]
            == "context.requestId"
        )


def test_the_alb_strips_the_stage_before_the_tasks(alb_synth, backend):
    service = alb_synth.stacks.backend.container_service
    (rule,) = resources(backend, "AWS::ElasticLoadBalancingV2::ListenerRule").values()
    props = rule["Properties"]
    assert props["ListenerArn"] == ref(logical_id(service.listener))
    assert props["Priority"] == STAGE_RULE_PRIORITY
    assert props["Conditions"][0]["PathPatternConfig"]["Values"] == ["/prod", "/prod/*"]
    regex, replace = stage_rewrite("prod")
    assert props["Transforms"] == [
        {
            "Type": "url-rewrite",
            "UrlRewriteConfig": {"Rewrites": [{"Regex": regex, "Replace": replace}]},
        }
    ]
    assert props["Actions"] == [
        {"Type": "forward", "TargetGroupArn": ref(logical_id(service.target_group))}
    ]


@pytest.mark.parametrize(
    ("sent", "seen"),
    [("/prod/api/items", "/api/items"), ("/prod", "/"), ("/prod/", "/"), ("/api/items", None)],
)
def test_the_rewrite_turns_a_staged_path_into_the_services_path(sent, seen):
    # The same regex and replacement, applied as the ALB applies them (an unmatched path is
    # left alone: the rule's condition does not match it either).
    regex, replace = stage_rewrite("prod")
    match = re.match(regex, sent)
    result = None if match is None else replace.replace("$1", match.group(1))
    assert result == seen


def test_the_alb_admits_only_the_vpc_link_on_its_listener_port(alb_synth, backend):
    service = alb_synth.stacks.backend.container_service
    alb_group = logical_id(service.alb_security_group)
    rules = [
        r["Properties"]
        for r in resources(backend, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == get_att(alb_group, "GroupId")
    ]
    link_group = logical_id(alb_synth.stacks.backend.api.security_group)
    assert [(r["SourceSecurityGroupId"], r["FromPort"]) for r in rules] == [
        (get_att(link_group, "GroupId"), LISTENER_PORT)
    ]


def test_the_service_trusts_the_load_balancer_subnets_under_the_stage_root_path(alb_synth, backend):
    env = _environment(backend)
    assert sorted(contract.parse_list(env[Env.FORWARDED_ALLOW_IPS])) == sorted(
        alb_synth.config.network.load_balancer_subnet_cidrs
    )
    assert env[Env.ROOT_PATH] == "/prod"


def test_the_rest_api_keeps_the_logical_ids_it_has_under_rest_nlb(alb_synth, synth):
    # Switching ingress keeps the REST API, its stage and its access logs (so its URL).
    def ids(of: Synth) -> set[str]:
        api = of.stacks.backend.api
        assert isinstance(api, Api | RestAlbApi)
        return {logical_id(api.rest_api), logical_id(api.access_log_group)}

    assert ids(alb_synth) == ids(synth)
    v1_link = logical_id(synth.stacks.backend.api.vpc_link)
    assert logical_id(alb_synth.stacks.backend.api.vpc_link) != v1_link


def test_the_dashboard_has_no_nlb_column(alb_synth):
    titles = [title for title, _ in alb_synth.stacks.backend.dashboard.hops]
    assert titles == ["1 CloudFront (site)", "2 API Gateway (REST API)", "3 ALB", "4 ECS tasks"]
