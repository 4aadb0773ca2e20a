"""Network on a bare stack: a two-AZ VPC, its subnets, NAT gateways and flow logs."""

from __future__ import annotations

import ipaddress

import pytest
from aws_cdk.assertions import Match, Template

from infra import limits
from infra.components.network import Network
from infra.config import LogSettings, NetworkSettings
from tests.infra.templates import bare_stack, ref

SETTINGS = NetworkSettings(vpc_cidr="10.20.0.0/16", nat_gateways=2)
LOGS = LogSettings(retention_days=90)


def _network(settings: NetworkSettings = SETTINGS) -> tuple[Network, Template]:
    stack = bare_stack()
    network = Network(stack, "Network", settings=settings, logs=LOGS)
    return network, Template.from_stack(stack)


@pytest.fixture(scope="module")
def built() -> tuple[Network, Template]:
    return _network()


@pytest.fixture(scope="module")
def template(built: tuple[Network, Template]) -> Template:
    return built[1]


def test_the_vpc_uses_the_configured_cidr(template):
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": SETTINGS.vpc_cidr})


def test_the_cidr_attribute_is_the_configured_range_as_a_plain_string(built):
    network, _ = built
    assert network.cidr == SETTINGS.vpc_cidr


def test_there_is_one_public_one_private_and_one_load_balancer_subnet_per_az(template):
    # The load balancers' subnets are in the VPC's second block (tests/infra/test_least_trust.py).
    template.resource_count_is("AWS::EC2::Subnet", 3 * limits.AZ_COUNT)
    template.resource_properties_count_is(
        "AWS::EC2::Subnet", {"MapPublicIpOnLaunch": True}, limits.AZ_COUNT
    )
    template.resource_properties_count_is(
        "AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False}, 2 * limits.AZ_COUNT
    )


def test_availability_zones_are_chosen_at_deploy_time_without_a_lookup(template):
    # Fn::GetAZs at deploy time: synth needs no credentials and no cdk.context.json.
    template.all_resources_properties(
        "AWS::EC2::Subnet",
        {"AvailabilityZone": {"Fn::Select": [Match.any_value(), {"Fn::GetAZs": ""}]}},
    )


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.0.0.0/24"])
def test_private_subnets_have_the_size_the_task_ceiling_assumes(cidr):
    # app:maxCapacity is bounded by the addresses of the private subnets (infra/limits.py).
    _, template = _network(NetworkSettings(vpc_cidr=cidr))
    block = ipaddress.ip_network(cidr)
    prefix = limits.private_subnet_prefix(block.prefixlen)
    # Only the VPC's first block (the load balancers' subnets are in a second one).
    first_two = r"\.".join(str(block.network_address).split(".")[:2])
    template.resource_properties_count_is(
        "AWS::EC2::Subnet",
        {
            "MapPublicIpOnLaunch": False,
            "CidrBlock": Match.string_like_regexp(f"^{first_two}\\..*/{prefix}$"),
        },
        limits.AZ_COUNT,
    )


def test_nat_gateway_count_is_the_configured_one(template):
    template.resource_count_is("AWS::EC2::NatGateway", SETTINGS.nat_gateways)


def test_one_nat_gateway_by_default():
    _, template = _network(NetworkSettings())
    template.resource_count_is("AWS::EC2::NatGateway", 1)


def test_flow_logs_capture_all_traffic_of_the_vpc_into_cloudwatch_logs(template):
    vpc = template.get_resource_id("AWS::EC2::VPC")
    group = template.get_resource_id("AWS::Logs::LogGroup")
    template.resource_count_is("AWS::EC2::FlowLog", 1)
    template.has_resource_properties(
        "AWS::EC2::FlowLog",
        {
            "ResourceId": ref(vpc),
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": ref(group),
        },
    )


def test_flow_logs_are_kept_for_the_configured_retention(template):
    template.all_resources_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": LOGS.retention_days}
    )
