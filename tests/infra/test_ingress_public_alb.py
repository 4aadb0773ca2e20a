"""`app:ingress=public-alb`: an internet-facing ALB terminating TLS, no API Gateway, no NLB."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.components.alb_listeners import HTTPS_PORT, LISTENER_PORT
from infra.components.frontend_deployment import RUNTIME_CONFIG_FILE
from service import contract
from service.contract import Env
from tests.infra.conftest import Synth, cdk_json_context, resources, run_app, synthesize
from tests.infra.templates import cfn_lint_output, get_att, logical_id, ref

DOMAIN = "api.example.com"
CERTIFICATE = "arn:aws:acm:eu-west-1:000000000000:certificate/12345678-1234-1234-1234-000000000000"
PUBLIC_ALB = {
    "app:ingress": "public-alb",
    "app:apiDomainName": DOMAIN,
    "app:apiCertificateArn": CERTIFICATE,
    "app:waf": True,
}
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"


@pytest.fixture(scope="module")
def public_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("public-alb"), {**cdk_json_context(), **PUBLIC_ALB})


@pytest.fixture(scope="module")
def backend(public_synth: Synth) -> Template:
    return public_synth.template(public_synth.stacks.backend)


def _environment(backend: Template) -> dict[str, Any]:
    (task,) = resources(backend, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def test_synth_passes_cdk_nag(public_synth):
    assert public_synth.synth_error is None


def test_cfn_lint_finds_nothing(public_synth):
    assert cfn_lint_output(public_synth.template_files()) is None


def test_there_is_no_api_gateway_and_no_nlb(public_synth):
    for stack in public_synth.stacks.all():
        types = {body["Type"] for body in public_synth.raw(stack)["Resources"].values()}
        assert not {t for t in types if t.startswith("AWS::ApiGateway")}, stack.stack_name
    (alb,) = resources(public_synth.template(public_synth.stacks.backend), LOAD_BALANCER).values()
    assert alb["Properties"].get("Type", "application") == "application"


def test_the_alb_is_internet_facing_in_the_load_balancer_subnets(public_synth, backend):
    network = public_synth.stacks.network.network
    (alb,) = resources(backend, LOAD_BALANCER).values()
    assert alb["Properties"]["Scheme"] == "internet-facing"
    subnets = alb["Properties"]["Subnets"]
    assert len(subnets) == len(network.load_balancer_subnets)
    for subnet, imported in zip(network.load_balancer_subnets, subnets, strict=True):
        assert logical_id(subnet) in json.dumps(imported)


def test_the_load_balancer_subnets_route_to_the_internet_gateway(public_synth):
    network = public_synth.stacks.network.network
    template = public_synth.template(public_synth.stacks.network)
    routes = resources(template, "AWS::EC2::Route")
    for subnet in network.load_balancer_subnets:
        table = ref(logical_id(subnet.node.find_child("RouteTable")))
        (route,) = [r for r in routes.values() if r["Properties"]["RouteTableId"] == table]
        assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
        assert route["Properties"]["GatewayId"] == ref(
            logical_id(network.vpc.node.find_child("IGW"))
        )


def test_tls_ends_at_the_alb_with_the_certificate_and_a_tls_1_2_plus_policy(backend):
    backend.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": HTTPS_PORT,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": CERTIFICATE}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
    )


def test_port_80_only_redirects_to_https(backend):
    (http,) = [
        listener["Properties"]
        for listener in resources(backend, "AWS::ElasticLoadBalancingV2::Listener").values()
        if listener["Properties"]["Port"] == LISTENER_PORT
    ]
    assert http["DefaultActions"] == [
        {
            "Type": "redirect",
            "RedirectConfig": {
                "Protocol": "HTTPS",
                "Port": str(HTTPS_PORT),
                "StatusCode": "HTTP_301",
            },
        }
    ]


def test_the_tasks_admit_only_the_alb(public_synth, backend):
    service = public_synth.stacks.backend.container_service
    task_group = logical_id(service.task_security_group)
    rules = [
        r["Properties"]
        for r in resources(backend, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == get_att(task_group, "GroupId")
    ]
    assert [r["SourceSecurityGroupId"] for r in rules] == [
        get_att(logical_id(service.alb_security_group), "GroupId")
    ]


def test_the_service_trusts_the_load_balancer_subnets_and_has_no_root_path(public_synth, backend):
    env = _environment(backend)
    assert "*" not in env[Env.FORWARDED_ALLOW_IPS]
    assert sorted(contract.parse_list(env[Env.FORWARDED_ALLOW_IPS])) == sorted(
        public_synth.config.network.load_balancer_subnet_cidrs
    )
    assert Env.ROOT_PATH not in env


def test_outputs_name_the_https_url_and_the_albs_dns_name(public_synth, backend):
    outputs = backend.find_outputs("*")
    assert outputs["ApiUrl"]["Value"] == f"https://{DOMAIN}"
    alb = logical_id(public_synth.stacks.backend.container_service.load_balancer)
    assert outputs["ApiLoadBalancerDns"]["Value"] == get_att(alb, "DNSName")


def test_config_json_and_the_csp_name_the_public_domain(public_synth):
    # Known at synth: config.json is written as it is, with no deploy-time marker.
    staged = public_synth.staged_files(public_synth.stacks.site)
    (key,) = [key for key, names in staged.items() if RUNTIME_CONFIG_FILE in names]
    text = public_synth.staged_text(public_synth.stacks.site, key, RUNTIME_CONFIG_FILE)
    assert json.loads(text) == {"apiUrl": f"https://{DOMAIN}"}
    edge = public_synth.template(public_synth.stacks.edge)
    edge.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {
                        "ContentSecurityPolicy": Match.string_like_regexp(
                            f"connect-src 'self' https://{DOMAIN}"
                        )
                    }
                }
            }
        },
    )


def test_the_web_acl_protects_the_alb(public_synth, backend):
    alb = logical_id(public_synth.stacks.backend.container_service.load_balancer)
    (association,) = resources(backend, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["ResourceArn"] == ref(alb)


def test_the_entry_alarms_watch_the_alb_and_none_watches_api_gateway(backend):
    namespaces = set()
    for alarm in resources(backend, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        namespaces.add(props.get("Namespace"))
        for metric in props.get("Metrics", []):
            namespaces.add(metric.get("MetricStat", {}).get("Metric", {}).get("Namespace"))
    assert "AWS/ApiGateway" not in namespaces
    assert "AWS/ApplicationELB" in namespaces


def test_the_dashboard_goes_from_cloudfront_to_the_alb(public_synth):
    titles = [title for title, _ in public_synth.stacks.backend.dashboard.hops]
    assert titles == ["1 CloudFront (site)", "2 ALB", "3 ECS tasks"]


def test_stacks_still_deploy_network_edge_backend_site(public_synth):
    stacks = public_synth.stacks
    assert set(stacks.backend.dependencies) == {stacks.network, stacks.edge}
    assert stacks.backend in stacks.site.dependencies


def test_public_alb_without_a_certificate_stops_synth_naming_the_keys(tmp_path):
    context = {k: v for k, v in PUBLIC_ALB.items() if k != "app:apiCertificateArn"}
    result = run_app(context, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: app:apiCertificateArn=: ingress=public-alb needs apiDomainName and "
        "apiCertificateArn: the ALB terminates TLS with that certificate"
    ]
