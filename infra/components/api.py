from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_elasticloadbalancingv2_targets as targets
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import checkov
from infra.components.rest_api import GATEWAY_REQUEST_ID_MAPPING, PROXY_PATH_MAPPING, add_rest_api
from infra.config import ApiSettings, LogSettings
from infra.nag import acknowledge
from service import contract

NLB_PORT = 80


class Api(Construct):
    """REST API -> VPC link -> internal NLB -> the ALB. A pure proxy: the service owns CORS.

    Args:
        settings: the stage's name and throttling (see ApiSettings).
        logs: how long the access logs are kept.
        vpc: the VPC the NLB lives in.
        load_balancer_subnets: the NLB's subnets, which hold only load balancers.
        alb_listener: the internal ALB's listener the NLB forwards to; its security group is
            made to admit the NLB's group, and nothing else is added to it.
        alb_port: that listener's port.
        site_origin: the site's origin, the only one the gateway's own errors allow.
        allow_credentials: whether those errors allow credentials, as the service does.
        waf_attached: whether a WAF web ACL protects the stage (see infra/components/waf.py);
            only without one is cdk-nag's APIG3 finding acknowledged. Default False.
        encryption_key: a customer managed key for the access logs (app:kms). Default: None
            (CloudWatch Logs' own key).

    Attributes:
        rest_api: the REST API; stage: its deployment stage.
        load_balancer: the internal NLB; security_group: its group.
        target_group: the NLB's ALB-type target group; listener: its TCP listener.
        vpc_link: the VPC link to the NLB.
        access_log_group: the stage's access logs, one JSON object per request
            (ACCESS_LOG_FIELDS).
        proxy_resource: the ``{proxy+}`` resource.
        origin: ``https://<api id>.execute-api.<region>.<suffix>``, a deploy-time value.
        url: the stage's URL, without a trailing slash.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ApiSettings,
        logs: LogSettings,
        vpc: ec2.IVpc,
        load_balancer_subnets: Sequence[ec2.ISubnet],
        alb_listener: elbv2.ApplicationListener,
        alb_port: int,
        site_origin: str,
        allow_credentials: bool,
        waf_attached: bool = False,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "NlbSecurityGroup",
            vpc=vpc,
            # Immutable (a change replaces the group): the words predate the rules below.
            description="Internal NLB: the VPC link (from inside the VPC) to the ALB only",
            allow_all_outbound=False,
        )
        # No inbound rule: the VPC link is PrivateLink traffic, which is not checked against
        # them (AWS's set-up for a VPC link turns that check off: the gateway's addresses are
        # not the VPC's), and nothing else in the VPC may connect to the NLB.
        #
        # New ids for the NLB and its target group: moving an NLB to other subnets in place is
        # refused while a VPC link (an endpoint association) uses it, and a target group
        # serves one load balancer, so CloudFormation replaces both, and the VPC link with them.
        self.load_balancer = elbv2.NetworkLoadBalancer(
            self,
            "IsolatedNlb",
            vpc=vpc,
            security_groups=[self.security_group],
            enforce_security_group_inbound_rules_on_private_link_traffic=False,
            internet_facing=False,
            vpc_subnets=ec2.SubnetSelection(subnets=list(load_balancer_subnets)),
            cross_zone_enabled=True,
        )
        self.target_group = elbv2.NetworkTargetGroup(
            self,
            "IsolatedNlbAlbTarget",
            vpc=vpc,
            # An ALB-type target group must use the ALB listener's port.
            port=alb_port,
            protocol=elbv2.Protocol.TCP,
            target_type=elbv2.TargetType.ALB,
            targets=[targets.AlbListenerTarget(alb_listener)],
            health_check=elbv2.HealthCheck(
                protocol=elbv2.Protocol.HTTP,
                path=contract.HEALTH_PATH,
                interval=Duration.seconds(10),
                healthy_threshold_count=2,
                unhealthy_threshold_count=2,
            ),
        )
        # Forwarding and health checks, the NLB's group to the ALB's and back: the ALB admits
        # the NLB's own interfaces (AWS: a target may reference an NLB's security group) and
        # nothing else, whichever subnets the NLB is in.
        alb_listener.connections.allow_from(
            self.security_group, ec2.Port.tcp(alb_port), "From the NLB only"
        )
        self.listener = self.load_balancer.add_listener(
            "Tcp",
            port=NLB_PORT,
            protocol=elbv2.Protocol.TCP,
            default_target_groups=[self.target_group],
        )
        self.vpc_link = apigw.VpcLink(self, "VpcLink", targets=[self.load_balancer])

        base = f"http://{self.load_balancer.load_balancer_dns_name}"
        parts = add_rest_api(
            self,
            construct_id,
            settings=settings,
            logs=logs,
            site_origin=site_origin,
            allow_credentials=allow_credentials,
            integration_for=lambda path, proxy: self._integration(base + path, proxy=proxy),
            waf_attached=waf_attached,
            encryption_key=encryption_key,
        )
        self.access_log_group = parts.access_log_group
        self.rest_api = parts.rest_api
        self.proxy_resource = parts.proxy_resource
        self.stage = parts.stage
        self.origin = parts.origin
        self.url = parts.url
        nlb_logs = (
            "NLB access logs are written only for TLS listeners; this NLB has one TCP "
            "listener. Requests are logged by API Gateway and the ALB instead."
        )
        acknowledge(self.load_balancer, "AwsSolutions-ELB2", nlb_logs)
        checkov.skip(self.load_balancer, "CKV_AWS_91", nlb_logs)

    def _integration(self, uri: str, *, proxy: bool) -> apigw.Integration:
        return apigw.Integration(
            type=apigw.IntegrationType.HTTP_PROXY,
            integration_http_method="ANY",
            uri=uri,
            options=apigw.IntegrationOptions(
                connection_type=apigw.ConnectionType.VPC_LINK,
                vpc_link=self.vpc_link,
                request_parameters={
                    **GATEWAY_REQUEST_ID_MAPPING,
                    **(PROXY_PATH_MAPPING if proxy else {}),
                },
            ),
        )
