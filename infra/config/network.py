"""The VPC: its address range and its NAT gateways."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from infra import limits
from infra.config.fields import Group, setting
from service import contract


def _vpc_cidr(cidr: str) -> None:
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IPv4 CIDR with host bits zero ({exc})") from None
    if network.version != 4 or not 16 <= network.prefixlen <= 24:
        raise ValueError("must be an IPv4 CIDR between /16 and /24")
    if not network.is_private:
        raise ValueError("must be a private (RFC 1918) range")
    contract.validate_networks(cidr)


@dataclass(frozen=True, kw_only=True)
class NetworkSettings(Group):
    """A VPC over two AZs with public subnets (NAT) and private subnets (everything else)."""

    nat_gateways: int = setting(
        default=1,
        key="natGateways",
        doc="NAT gateways for the private subnets' egress (image pulls, logs). One is cheaper; "
        "its AZ is then a single point of failure for the tasks' egress.",
        bounds=(1, limits.AZ_COUNT),
        why="one per AZ at most; tasks need one",
    )
    vpc_cidr: str = setting(
        default="10.0.0.0/16",
        key="vpcCidr",
        doc="The VPC's address range; also the only network the service trusts for "
        "X-Forwarded-* headers.",
        allowed="a private (RFC 1918) IPv4 CIDR, /16 to /24",
        check=_vpc_cidr,
    )
