"""The VPC: its address range, the load balancers' own range and the NAT gateways."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import Enum
from typing import Final

from infra import limits
from infra.config.fields import Group, setting
from service import contract

# AWS adds a second block to a VPC only from the first block's RFC 1918 range or from the
# shared address space (RFC 6598), and never one that overlaps it.
RFC_1918: Final = tuple(
    ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
SHARED_ADDRESS_SPACE: Final = ipaddress.IPv4Network("100.64.0.0/10")


def _ipv4(cidr: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IPv4 CIDR with host bits zero ({exc})") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError("must be an IPv4 CIDR")
    return network


def _rfc_1918(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network | None:
    return next((block for block in RFC_1918 if network.subnet_of(block)), None)


def _vpc_cidr(cidr: str) -> None:
    network = _ipv4(cidr)
    if not 16 <= network.prefixlen <= 24:
        raise ValueError("must be an IPv4 CIDR between /16 and /24")
    if _rfc_1918(network) is None:
        raise ValueError("must be a private (RFC 1918) range")


def _load_balancer_cidr(cidr: str) -> None:
    network = _ipv4(cidr)
    low, high = limits.LOAD_BALANCER_BLOCK_PREFIXES
    if not low <= network.prefixlen <= high:
        raise ValueError(
            f"must be an IPv4 CIDR between /{low} and /{high}: each AZ gets half, and an ALB's "
            f"subnet must be /{limits.ALB_MIN_SUBNET_PREFIX} or larger"
        )
    if _rfc_1918(network) is None and not network.subnet_of(SHARED_ADDRESS_SPACE):
        raise ValueError(f"must be a private (RFC 1918) range or from {SHARED_ADDRESS_SPACE}")
    contract.validate_networks(cidr)


class TaskEgress(Enum):
    """How the tasks reach AWS's public endpoints (image pulls, logs)."""

    NAT = "nat"
    PUBLIC_IP = "public-ip"


@dataclass(frozen=True, kw_only=True)
class NetworkSettings(Group):
    """A VPC over two AZs: public subnets (NAT), private subnets (tasks), and the load
    balancers' own subnets in a second block, the only addresses the service trusts."""

    nat_gateways: int = setting(
        default=1,
        key="natGateways",
        doc="NAT gateways for the private subnets' egress (image pulls, logs). One is cheaper; "
        "its AZ is then a single point of failure for the tasks' egress.",
        bounds=(1, limits.AZ_COUNT),
        why="one per AZ at most; tasks need one",
    )
    task_egress: TaskEgress = setting(
        default=TaskEgress.NAT,
        key="taskEgress",
        doc="How the tasks reach ECR and CloudWatch Logs: `nat` (private subnets behind NAT "
        "gateways) or `public-ip` (public subnets, one public IPv4 address per task, no NAT "
        "gateway: about $29 a month less with two tasks; each task's security group still "
        "admits only the ALB, and its egress only HTTPS). `public-ip` refuses `natGateways` "
        "other than 1.",
    )
    vpc_cidr: str = setting(
        default="10.0.0.0/16",
        key="vpcCidr",
        doc="The VPC's address range: its public and private subnets (the tasks).",
        allowed="a private (RFC 1918) IPv4 CIDR, /16 to /24",
        check=_vpc_cidr,
    )
    load_balancer_cidr: str = setting(
        default="10.255.255.0/25",
        key="loadBalancerCidr",
        doc="A second address block of the VPC, halved into one subnet per AZ that holds the "
        "internal ALB and NLB and nothing else: the only network the service trusts for "
        "X-Forwarded-* headers (`FORWARDED_ALLOW_IPS`). The subnets have no route out.",
        allowed="an IPv4 CIDR, /20 to /26, from `vpcCidr`'s RFC 1918 range (10/8, 172.16/12 "
        "or 192.168/16) or from 100.64.0.0/10, not overlapping `vpcCidr`",
        check=_load_balancer_cidr,
    )

    @property
    def load_balancer_subnet_cidrs(self) -> tuple[str, ...]:
        """The load balancers' subnets, one per AZ in the VPC's order: halves of the block."""
        block = ipaddress.IPv4Network(self.load_balancer_cidr)
        halves = block.subnets(prefixlen_diff=(limits.AZ_COUNT - 1).bit_length())
        return tuple(str(subnet) for subnet in list(halves)[: limits.AZ_COUNT])

    @property
    def public_task_ips(self) -> bool:
        return self.task_egress is TaskEgress.PUBLIC_IP

    def relations(self) -> None:
        if self.public_task_ips and self.nat_gateways != 1:
            raise self.invalid(
                "nat_gateways", "applies only with taskEgress=nat (public-ip has no NAT gateway)"
            )
        vpc = _ipv4(self.vpc_cidr)
        block = _ipv4(self.load_balancer_cidr)
        if block.overlaps(vpc):
            raise self.invalid("load_balancer_cidr", f"overlaps vpcCidr={self.vpc_cidr}")
        family = _rfc_1918(block)
        if family is not None and family != _rfc_1918(vpc):
            raise self.invalid(
                "load_balancer_cidr",
                f"must come from {_rfc_1918(vpc)} like vpcCidr={self.vpc_cidr}, or from "
                f"{SHARED_ADDRESS_SPACE}: AWS adds no second block from another RFC 1918 range",
            )
