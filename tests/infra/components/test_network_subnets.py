"""The load balancers' own subnets: a second block of the VPC, one subnet per AZ, no way out."""

from __future__ import annotations

import ipaddress
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra import limits
from infra.components.network import Network
from infra.config import LogSettings, NetworkSettings
from tests.infra.conftest import dumps, only, resources


def _network(**settings: Any) -> tuple[Network, Template]:
    stack = cdk.Stack(cdk.App(), "Net")
    network = Network(stack, "Network", settings=NetworkSettings(**settings), logs=LogSettings())
    return network, Template.from_stack(stack)


@pytest.fixture(scope="module")
def built() -> tuple[Network, Template]:
    return _network()


def _load_balancer_subnets(template: Template) -> dict[str, dict[str, Any]]:
    _, block = only(template, "AWS::EC2::VPCCidrBlock")
    cidr = ipaddress.IPv4Network(block["Properties"]["CidrBlock"])
    return {
        name: subnet
        for name, subnet in resources(template, "AWS::EC2::Subnet").items()
        if ipaddress.IPv4Network(subnet["Properties"]["CidrBlock"]).subnet_of(cidr)
    }


def test_the_vpc_gets_a_second_block_with_the_configured_range_as_a_literal(built):
    _, template = built
    block_id, block = only(template, "AWS::EC2::VPCCidrBlock")
    vpc_id, _ = only(template, "AWS::EC2::VPC")
    assert block["Properties"] == {
        "CidrBlock": NetworkSettings().load_balancer_cidr,
        "VpcId": {"Ref": vpc_id},
    }
    assert block_id.startswith("NetworkLoadBalancerBlock")


def test_one_load_balancer_subnet_per_az_halving_the_block(built):
    network, template = built
    subnets = _load_balancer_subnets(template)
    assert len(subnets) == limits.AZ_COUNT
    # Literal strings at synth, not tokens: the service's trusted networks are built from them.
    cidrs = sorted(s["Properties"]["CidrBlock"] for s in subnets.values())
    assert all(isinstance(c, str) for c in cidrs)
    assert tuple(cidrs) == network.load_balancer_cidrs == ("10.255.255.0/26", "10.255.255.64/26")
    zones = [dumps(s["Properties"]["AvailabilityZone"]) for s in subnets.values()]
    assert len(set(zones)) == limits.AZ_COUNT
    assert all("Fn::GetAZs" in zone for zone in zones)


def test_load_balancer_subnets_are_at_least_what_an_alb_needs(built):
    _, template = built
    for subnet in _load_balancer_subnets(template).values():
        prefix = ipaddress.ip_network(subnet["Properties"]["CidrBlock"]).prefixlen
        assert prefix <= limits.ALB_MIN_SUBNET_PREFIX


def test_load_balancer_subnets_are_created_after_the_block_is_added(built):
    _, template = built
    block_id, _ = only(template, "AWS::EC2::VPCCidrBlock")
    for name, subnet in _load_balancer_subnets(template).items():
        assert block_id in subnet.get("DependsOn", []), name


def test_load_balancer_subnets_have_no_route_out_and_no_public_addresses(built):
    _, template = built
    subnets = _load_balancer_subnets(template)
    associations = resources(template, "AWS::EC2::SubnetRouteTableAssociation").values()
    tables = {
        a["Properties"]["RouteTableId"]["Ref"]
        for a in associations
        if a["Properties"]["SubnetId"]["Ref"] in subnets
    }
    assert len(tables) == limits.AZ_COUNT
    routes = resources(template, "AWS::EC2::Route").values()
    assert [r for r in routes if r["Properties"]["RouteTableId"]["Ref"] in tables] == []
    for subnet in subnets.values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_the_vpc_s_own_subnets_keep_their_ranges(built):
    # A subnet's range cannot change in place: the tasks' subnets must stay as they were.
    _, template = built
    own = {
        s["Properties"]["CidrBlock"]
        for name, s in resources(template, "AWS::EC2::Subnet").items()
        if name.startswith("NetworkVpc")
    }
    assert own == {"10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"}


def test_a_configured_block_is_halved_into_the_subnets():
    network, template = _network(vpc_cidr="172.16.0.0/16", load_balancer_cidr="100.64.0.0/24")
    assert network.load_balancer_cidrs == ("100.64.0.0/25", "100.64.0.128/25")
    cidrs = {s["Properties"]["CidrBlock"] for s in _load_balancer_subnets(template).values()}
    assert cidrs == set(network.load_balancer_cidrs)
