from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.limits import AZ_COUNT
from infra.retention import retention


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    cidr: str
    nat_gateways: int
    log_retention_days: int


class Network(Construct):
    """A two-AZ VPC: public subnets (NAT), private subnets with egress (tasks, load balancers)."""

    def __init__(self, scope: Construct, construct_id: str, *, props: NetworkProps) -> None:
        super().__init__(scope, construct_id)
        self.cidr = props.cidr
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention(props.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(props.cidr),
            # With an environment-agnostic stack this renders Fn::GetAZs: no lookup at synth.
            # The config's task ceiling assumes this layout (infra/limits.py).
            max_azs=AZ_COUNT,
            nat_gateways=props.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
                ),
            ],
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
