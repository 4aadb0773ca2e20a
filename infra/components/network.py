from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack, aws_logs
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import checkov
from infra.config import LogSettings, NetworkSettings
from infra.limits import AZ_COUNT
from infra.retention import retention


class Network(Construct):
    """A two-AZ VPC: public subnets (NAT), private subnets with egress (tasks, load balancers).

    Args:
        settings: the address range and the NAT gateways (see NetworkSettings).
        logs: the flow logs' retention.
        encryption_key: a customer managed key for the flow logs (app:kms). Default: None
            (CloudWatch Logs' own key).

    Attributes:
        vpc: the VPC.
        cidr: its address range (a plain string, known at synth).
        flow_log_group: where its flow logs (all traffic) go.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: NetworkSettings,
        logs: LogSettings,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cidr = settings.vpc_cidr
        self.flow_log_group = aws_logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention(logs.retention_days),
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=encryption_key,
        )
        if encryption_key is None:
            checkov.skip(self.flow_log_group, "CKV_AWS_158", checkov.LOGS_WITHOUT_CUSTOMER_KEY)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(settings.vpc_cidr),
            # With an environment-agnostic stack this renders Fn::GetAZs: no lookup at synth.
            # The config's task ceiling assumes this layout (infra/limits.py).
            max_azs=AZ_COUNT,
            nat_gateways=settings.nat_gateways,
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
        # CDK removes the default security group's rules with a custom resource whose provider
        # is a stack-level singleton, so it can only be found by its path in the stack.
        provider = Stack.of(self).node.try_find_child(
            "Custom::VpcRestrictDefaultSGCustomResourceProvider"
        )
        if provider is not None:
            checkov.skip_deployment_function(
                provider.node.find_child("Handler"),
                "CDK's handler that removes the default security group's rules",
            )
