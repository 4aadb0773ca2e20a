"""`app:taskEgress=public-ip`: tasks in the public subnets with their own IPv4, no NAT gateway."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.config import AppConfig, ConfigError
from infra.pricing.estimate import estimate
from tests.infra.conftest import Synth, cdk_json_context, resources, synthesize
from tests.infra.templates import cfn_lint_output, get_att, logical_id

PUBLIC_IP = {"app:ingress": "http-api", "app:taskEgress": "public-ip"}


@pytest.fixture(scope="module")
def egress_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("public-ip"), {**cdk_json_context(), **PUBLIC_IP})


@pytest.fixture(scope="module")
def network(egress_synth: Synth) -> Template:
    return egress_synth.template(egress_synth.network_stack)


@pytest.fixture(scope="module")
def backend(egress_synth: Synth) -> Template:
    return egress_synth.template(egress_synth.stacks.backend)


def _service(backend: Template) -> dict[str, Any]:
    (service,) = resources(backend, "AWS::ECS::Service").values()
    return dict(service["Properties"])


def test_synth_passes_cdk_nag_and_cfn_lint(egress_synth):
    assert egress_synth.synth_error is None
    assert cfn_lint_output(egress_synth.template_files()) is None


def test_there_is_no_nat_gateway_and_no_elastic_ip(network):
    assert resources(network, "AWS::EC2::NatGateway") == {}
    assert resources(network, "AWS::EC2::EIP") == {}


def test_only_the_public_and_load_balancer_routes_lead_out(egress_synth, network):
    vpc = egress_synth.stacks.network.network.vpc
    private_tables = {ref["Ref"] for ref in (
        {"Ref": logical_id(subnet.node.find_child("RouteTable"))} for subnet in vpc.isolated_subnets
    )}  # fmt: skip
    routes = resources(network, "AWS::EC2::Route").values()
    assert not [r for r in routes if r["Properties"]["RouteTableId"]["Ref"] in private_tables]
    assert len(vpc.isolated_subnets) == 2
    assert vpc.private_subnets == []


def test_the_tasks_run_in_the_public_subnets_with_a_public_ip(egress_synth, backend):
    vpc = egress_synth.stacks.network.network.vpc
    config = _service(backend)["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert config["AssignPublicIp"] == "ENABLED"
    public = [logical_id(subnet) for subnet in vpc.public_subnets]
    assert len(config["Subnets"]) == len(public)
    for subnet, reference in zip(public, config["Subnets"], strict=True):
        assert subnet in str(reference)


def test_the_tasks_still_admit_only_the_alb_and_send_only_https(egress_synth, backend):
    service = egress_synth.stacks.backend.container_service
    task_group = logical_id(service.task_security_group)
    ingress = [
        r["Properties"]["SourceSecurityGroupId"]
        for r in resources(backend, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == get_att(task_group, "GroupId")
    ]
    assert ingress == [get_att(logical_id(service.alb_security_group), "GroupId")]
    group = resources(backend, "AWS::EC2::SecurityGroup")[task_group]["Properties"]
    assert group.get("SecurityGroupIngress", []) == []
    assert [(e["CidrIp"], e["FromPort"]) for e in group["SecurityGroupEgress"]] == [
        ("0.0.0.0/0", 443)
    ]


def test_the_task_addresses_replace_the_nat_gateway_in_the_idle_month(egress_synth):
    templates = {s.stack_name: egress_synth.raw(s) for s in egress_synth.stacks.all()}
    items = [line.item for line in estimate(templates).idle]
    assert "public IPv4 addresses of the tasks (2)" in items
    assert not any(item.startswith("NAT gateway") for item in items)


def test_public_ip_with_more_nat_gateways_is_one_line():
    with pytest.raises(ConfigError, match=r"^app:natGateways=2: applies only with taskEgress=nat"):
        AppConfig.from_context({"app:taskEgress": "public-ip", "app:natGateways": 2})


def test_an_unknown_egress_is_one_line():
    with pytest.raises(ConfigError, match=r"^app:taskEgress=vpn: must be one of nat, public-ip"):
        AppConfig.from_context({"app:taskEgress": "vpn"})
