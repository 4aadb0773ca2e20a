from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack, Tags, aws_logs
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import checkov
from infra.config import LogSettings, NetworkSettings
from infra.limits import AZ_COUNT
from infra.retention import retention


class Network(Construct):
    """A two-AZ VPC: public subnets (NAT), private subnets with egress (tasks), and the load
    balancers' own subnets, without a route out, in a second address block.

    The load balancers' subnets hold nothing else, so their ranges name exactly the proxies in
    front of the service: the only addresses it trusts for X-Forwarded-*. They live in a block
    of their own because the VPC's first block is wholly divided between the other subnets,
    and a subnet's range cannot change (re-dividing it would replace every subnet, which
    CloudFormation cannot do while the old ones exist).

    Args:
        settings: the address ranges and the NAT gateways (see NetworkSettings).
        logs: the flow logs' retention.
        encryption_key: a customer managed key for the flow logs (app:kms). Default: None
            (CloudWatch Logs' own key).
        public_load_balancers: route the load balancers' subnets to the internet gateway, for
            an internet-facing ALB (`ingress=public-alb`); they still hold nothing else. Default
            False: no route out.

    Attributes:
        vpc: the VPC.
        cidr: its first block (a plain string, known at synth).
        load_balancer_block: the VPC's second block, the load balancers' (`loadBalancerCidr`).
        load_balancer_subnets: its subnets, one per AZ, in the VPC's AZ order.
        load_balancer_cidrs: their ranges, plain strings known at synth.
        flow_log_group: where the VPC's flow logs (all traffic, every subnet) go.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: NetworkSettings,
        logs: LogSettings,
        encryption_key: kms.IKey | None = None,
        public_load_balancers: bool = False,
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
            # With public task IPs (app:taskEgress) the tasks live in the public subnets and no
            # NAT gateway exists; the private subnets then have no route out at all.
            nat_gateways=0 if settings.public_task_ips else settings.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(
                    name="Private",
                    subnet_type=(
                        ec2.SubnetType.PRIVATE_ISOLATED
                        if settings.public_task_ips
                        else ec2.SubnetType.PRIVATE_WITH_EGRESS
                    ),
                ),
            ],
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        self.load_balancer_block = ec2.CfnVPCCidrBlock(
            self,
            "LoadBalancerBlock",
            vpc_id=self.vpc.vpc_id,
            cidr_block=settings.load_balancer_cidr,
        )
        self.load_balancer_cidrs = settings.load_balancer_subnet_cidrs
        self.load_balancer_subnets: list[ec2.ISubnet] = []
        for index, (zone, cidr) in enumerate(
            zip(self.vpc.availability_zones, self.load_balancer_cidrs, strict=True), start=1
        ):
            # An internal ALB and NLB need no route out (their access logs are written by the
            # ELB service itself): the route table keeps only the VPC's local routes.
            subnet = ec2.PrivateSubnet(
                self,
                f"LoadBalancerSubnet{index}",
                vpc_id=self.vpc.vpc_id,
                availability_zone=zone,
                cidr_block=cidr,
                map_public_ip_on_launch=False,
            )
            subnet.node.add_dependency(self.load_balancer_block)
            if public_load_balancers and self.vpc.internet_gateway_id is not None:
                # An internet-facing ALB answers browsers through the internet gateway.
                subnet.add_default_internet_route(
                    self.vpc.internet_gateway_id, self.vpc.internet_connectivity_established
                )
            Tags.of(subnet).add("Name", subnet.node.path)
            self.load_balancer_subnets.append(subnet)
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
