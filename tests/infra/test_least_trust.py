"""Each hop trusts only the hop before it: the VPC link -> NLB -> ALB -> tasks, and nothing else.

The service trusts X-Forwarded-* from the load balancers' own subnets, which hold nothing
else; the ALB admits the NLB's security group only; the NLB admits no one but the VPC link.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.components.alb_listeners import LISTENER_PORT
from infra.config import AppConfig, ConfigError
from service import contract
from service.contract import Env
from tests.infra.conftest import Synth, only, resources
from tests.infra.conftest import run_app as _run_app

LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"


def _environment(backend: Template) -> dict[str, Any]:
    _, task = only(backend, "AWS::ECS::TaskDefinition")
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def _load_balancer_subnets(network: Template) -> dict[str, str]:
    """Logical id -> range of each subnet in the VPC's second block (the load balancers')."""
    _, block = only(network, "AWS::EC2::VPCCidrBlock")
    cidr = ipaddress.IPv4Network(block["Properties"]["CidrBlock"])
    return {
        name: subnet["Properties"]["CidrBlock"]
        for name, subnet in resources(network, "AWS::EC2::Subnet").items()
        if ipaddress.IPv4Network(subnet["Properties"]["CidrBlock"]).subnet_of(cidr)
    }


def _network_refs(network: Template, value: Any) -> set[str]:
    """The network stack's logical ids a backend value reaches through Fn::GetStackOutput."""
    outputs = network.to_json()["Outputs"]
    found: set[str] = set()
    if isinstance(value, dict):
        if "Fn::GetStackOutput" in value:
            # Outputs of the other stacks (the edge's) are no network resource.
            output = outputs.get(value["Fn::GetStackOutput"]["OutputName"])
            if output is not None:
                target = output["Value"]
                found.add(target["Ref"] if "Ref" in target else target["Fn::GetAtt"][0])
        else:
            for item in value.values():
                found |= _network_refs(network, item)
    elif isinstance(value, list):
        for item in value:
            found |= _network_refs(network, item)
    return found


def _balancer(backend: Template, kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (name, body)
        for name, body in resources(backend, LOAD_BALANCER).items()
        if body["Properties"]["Type"] == kind
    ]
    return found


def _group_of(balancer: dict[str, Any]) -> str:
    (group,) = balancer["Properties"]["SecurityGroups"]
    return str(group["Fn::GetAtt"][0])


def _rules(backend: Template, group_id: str, kind: str) -> list[dict[str, Any]]:
    """Inline and separate rules of one security group (kind: Ingress or Egress)."""
    group = resources(backend, "AWS::EC2::SecurityGroup")[group_id]
    inline = list(group["Properties"].get(f"SecurityGroup{kind}", []))
    separate = [
        r["Properties"]
        for r in resources(backend, f"AWS::EC2::SecurityGroup{kind}").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    return inline + separate


def test_service_trusts_exactly_the_load_balancer_subnets(network, backend):
    trusted = _environment(backend)[Env.FORWARDED_ALLOW_IPS]
    contract.validate_networks(trusted)
    assert "*" not in trusted
    assert sorted(contract.parse_list(trusted)) == sorted(_load_balancer_subnets(network).values())


def test_no_trusted_network_reaches_into_the_vpc_s_own_subnets(synth, backend):
    # The tasks and anything else an operator adds live in the VPC's first block.
    vpc = ipaddress.ip_network(synth.config.network.vpc_cidr)
    for item in contract.parse_list(_environment(backend)[Env.FORWARDED_ALLOW_IPS]):
        assert not ipaddress.ip_network(item).overlaps(vpc), item


@pytest.mark.parametrize("kind", ["application", "network"])
def test_each_load_balancer_lives_in_the_load_balancer_subnets_only(network, backend, kind):
    _, balancer = _balancer(backend, kind)
    subnets = _network_refs(network, balancer["Properties"]["Subnets"])
    assert subnets == set(_load_balancer_subnets(network))


def test_nothing_but_the_load_balancers_uses_the_load_balancer_subnets(network, backend):
    ours = set(_load_balancer_subnets(network))
    users: dict[str, str] = {}
    for name, body in backend.to_json()["Resources"].items():
        if _network_refs(network, body.get("Properties", {})) & ours:
            users[name] = body["Type"]
    assert set(users.values()) == {LOAD_BALANCER}
    assert len(users) == 2


def test_alb_admits_only_the_nlb_security_group_on_its_listener_port(backend):
    _, alb = _balancer(backend, "application")
    _, nlb = _balancer(backend, "network")
    (rule,) = _rules(backend, _group_of(alb), "Ingress")
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": [_group_of(nlb), "GroupId"]}
    assert rule["IpProtocol"] == "tcp"
    assert rule["FromPort"] == rule["ToPort"] == LISTENER_PORT
    assert "CidrIp" not in rule


def test_nlb_admits_nothing_but_the_vpc_link(backend):
    # PrivateLink traffic (the VPC link) is not checked against inbound rules; everything
    # else is, and there are none, so nothing in the VPC can connect to the NLB itself.
    _, nlb = _balancer(backend, "network")
    assert nlb["Properties"]["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] == "off"
    assert _rules(backend, _group_of(nlb), "Ingress") == []


def test_nlb_may_connect_only_to_the_alb_listener(backend):
    _, alb = _balancer(backend, "application")
    _, nlb = _balancer(backend, "network")
    (rule,) = _rules(backend, _group_of(nlb), "Egress")
    assert rule["DestinationSecurityGroupId"] == {"Fn::GetAtt": [_group_of(alb), "GroupId"]}
    assert rule["FromPort"] == rule["ToPort"] == LISTENER_PORT


# What an existing deployment keeps (updated in place) when it moves to this layout.
KEPT = {
    "network": [
        "NetworkVpc7FB7348F",
        "NetworkVpcPublicSubnet1Subnet36933139",
        "NetworkVpcPublicSubnet2SubnetC427CCE0",
        "NetworkVpcPrivateSubnet1Subnet6DD86AE6",
        "NetworkVpcPrivateSubnet2Subnet1BDBE877",
        "NetworkVpcPublicSubnet1NATGateway64781A21",
        "NetworkVpcAllFlowLog06869AE6",
    ],
    "backend": [
        "ServiceAlbC1AFD770",
        "ServiceAlbSecurityGroupF13490BA",
        "ServiceAlbHttpC16BB9FC",
        "ServiceAlbHttpTasksGroup3FB8A72F",
        "ServiceTaskSecurityGroup8B142934",
        "Service9571FDD8",
        "ApiNlbSecurityGroupBED490EB",
        "ApiVpcLink4F321C68",
        "ApiRestApiE35FEAFE",
        "ApiRestApiDeploymentStagev157F58EAC",
    ],
}


@pytest.mark.parametrize("stack", ["network", "backend"])
def test_existing_resources_keep_their_logical_ids(synth: Synth, stack):
    template = synth.raw(getattr(synth.stacks, stack))
    missing = [name for name in KEPT[stack] if name not in template["Resources"]]
    assert missing == []


def test_the_nlb_and_its_target_group_get_new_logical_ids(synth: Synth):
    # AWS refuses to move an NLB that a VPC link uses to other subnets, and a target group
    # serves one load balancer: both are replaced (and the VPC link, whose target changes).
    resources_ = synth.raw(synth.stacks.backend)["Resources"]
    assert "ApiNlb66230D7D" not in resources_
    assert "ApiAlbTargetF20CE23D" not in resources_


BAD = [
    ({"app:loadBalancerCidr": "10.255.255.1/25"}, "app:loadBalancerCidr=10.255.255.1/25: not an"),
    ({"app:loadBalancerCidr": "10.255.255.0/27"}, "must be an IPv4 CIDR between /20 and /26"),
    ({"app:loadBalancerCidr": "10.0.0.0/16"}, "must be an IPv4 CIDR between /20 and /26"),
    ({"app:loadBalancerCidr": "8.8.8.0/24"}, "must be a private (RFC 1918) range or from"),
    ({"app:loadBalancerCidr": "10.0.128.0/24"}, "overlaps vpcCidr=10.0.0.0/16"),
    (
        {"app:vpcCidr": "192.168.0.0/20"},
        "app:loadBalancerCidr=10.255.255.0/25: must come from 192.168.0.0/16 like vpcCidr",
    ),
    ({"app:loadBalancerCidr": "fd00::/64"}, "must be an IPv4 CIDR"),
]


@pytest.mark.parametrize(("context", "reason"), BAD, ids=[b[1] for b in BAD])
def test_a_bad_load_balancer_range_is_one_line(context, reason):
    with pytest.raises(ConfigError) as caught:
        AppConfig.from_context(context)
    assert caught.value.key == "app:loadBalancerCidr"
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "context",
    [
        {"app:vpcCidr": "172.16.0.0/16", "app:loadBalancerCidr": "172.17.0.0/26"},
        {"app:vpcCidr": "192.168.0.0/24", "app:loadBalancerCidr": "100.64.0.0/20"},
    ],
)
def test_a_load_balancer_range_beside_the_vpc_s_is_accepted(context):
    AppConfig.from_context(context)


def test_app_py_stops_on_an_overlapping_load_balancer_range(tmp_path):
    result = _run_app({"app:loadBalancerCidr": "10.0.0.0/25"}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: app:loadBalancerCidr=10.0.0.0/25: overlaps vpcCidr=10.0.0.0/16"
    )
    assert "Traceback" not in result.stderr
