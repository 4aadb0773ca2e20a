"""A VPC link (v2) to the internal ALB: its own security group, the only one the ALB admits.

Both the HTTP API and the REST API without an NLB reach the ALB this way; the link's interfaces
live in the load balancers' subnets, the addresses the service trusts for X-Forwarded-*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct


@dataclass(frozen=True)
class AlbVpcLink:
    security_group: ec2.SecurityGroup
    vpc_link: apigwv2.VpcLink


def add_alb_vpc_link(
    scope: Construct,
    link_id: str,
    *,
    who: str,
    vpc: ec2.IVpc,
    subnets: Sequence[ec2.ISubnet],
    alb_listener: elbv2.ApplicationListener,
    alb_port: int,
) -> AlbVpcLink:
    """The link `link_id` (and "LinkSecurityGroup") inside `scope`, for `who` (e.g. "HTTP API")."""
    security_group = ec2.SecurityGroup(
        scope,
        "LinkSecurityGroup",
        vpc=vpc,
        description=f"{who} VPC link: to the internal ALB only",
        allow_all_outbound=False,
    )
    vpc_link = apigwv2.VpcLink(
        scope,
        link_id,
        vpc=vpc,
        subnets=ec2.SubnetSelection(subnets=list(subnets)),
        security_groups=[security_group],
    )
    # The link's interfaces to the ALB's listener, and the ALB admits them and nothing else.
    alb_listener.connections.allow_from(
        security_group, ec2.Port.tcp(alb_port), f"From the {who}'s VPC link only"
    )
    return AlbVpcLink(security_group=security_group, vpc_link=vpc_link)
