from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, Stack, aws_logs
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_elasticloadbalancingv2_targets as targets
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import checkov
from infra.config import ApiSettings, LogSettings
from infra.nag import acknowledge
from infra.retention import retention
from service import contract

NLB_PORT = 80
_FIELD = apigw.AccessLogField
# One JSON object per request. Every value is a quoted $context variable whose text cannot hold
# a quote (ids, numbers, enums, an IP, a resource template), so each line stays valid JSON
# whatever the client sends; API Gateway writes "-" for a value a request does not have.
ACCESS_LOG_FIELDS: Final[dict[str, str]] = {
    "requestId": _FIELD.context_request_id(),
    "extendedRequestId": _FIELD.context_extended_request_id(),
    "xrayTraceId": _FIELD.context_xray_trace_id(),
    "ip": _FIELD.context_identity_source_ip(),
    "requestTime": _FIELD.context_request_time(),
    "requestTimeEpoch": _FIELD.context_request_time_epoch(),
    "httpMethod": _FIELD.context_http_method(),
    "resourcePath": _FIELD.context_resource_path(),
    "protocol": _FIELD.context_protocol(),
    "status": _FIELD.context_status(),
    "responseLength": _FIELD.context_response_length(),
    "responseLatency": _FIELD.context_response_latency(),
    "integrationStatus": _FIELD.context_integration_status(),
    "integrationLatency": _FIELD.context_integration_latency(),
    "errorType": _FIELD.context_error_response_type(),
}
# The gateway's request id, handed to the service on every request (the service logs it).
GATEWAY_REQUEST_ID_MAPPING: Final = {
    f"integration.request.header.{contract.GATEWAY_REQUEST_ID_HEADER}": "context.requestId"
}


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

        self.access_log_group = aws_logs.LogGroup(
            self,
            "AccessLogs",
            retention=retention(logs.retention_days),
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=encryption_key,
        )
        if encryption_key is None:
            checkov.skip(self.access_log_group, "CKV_AWS_158", checkov.LOGS_WITHOUT_CUSTOMER_KEY)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            # API Gateway's metrics are keyed by this name: one per stack, so environments
            # sharing an account never mix their figures (the default is the construct id).
            rest_api_name=f"{Stack.of(self).stack_name}-{construct_id}",
            description="Proxy to the service; CORS is answered by the service itself",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Logging requires the account-level CloudWatch role (one per account and region).
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=settings.stage_name,
                throttling_rate_limit=settings.throttle_rate_limit,
                throttling_burst_limit=settings.throttle_burst_limit,
                metrics_enabled=True,
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.custom(
                    json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))
                ),
            ),
        )
        base = f"http://{self.load_balancer.load_balancer_dns_name}"
        root_integration = self._integration(f"{base}/", proxy=False)
        proxy_integration = self._integration(f"{base}/{{proxy}}", proxy=True)
        self.rest_api.root.add_method("ANY", root_integration)
        self.proxy_resource = self.rest_api.root.add_resource("{proxy+}")
        self.proxy_resource.add_method(
            "ANY",
            proxy_integration,
            request_parameters={"method.request.path.proxy": True},
        )
        self._add_cors_to_gateway_errors(site_origin, allow_credentials)

        self.stage = self.rest_api.deployment_stage
        # What browsers send as the API's origin and what the site's CSP names (connect-src).
        self.origin = Fn.join(
            "",
            ["https://", self.rest_api.rest_api_id, f".execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"],
        )
        # Without the trailing slash RestApi.url has: the service joins paths onto it.
        self.url = Fn.join("", [self.origin, f"/{settings.stage_name}"])
        self._suppress(waf_attached=waf_attached)

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
                    **(
                        {"integration.request.path.proxy": "method.request.path.proxy"}
                        if proxy
                        else {}
                    ),
                },
            ),
        )

    def _add_cors_to_gateway_errors(self, site_origin: str, allow_credentials: bool) -> None:
        # Throttling, missing routes and integration timeouts are answered by the gateway and
        # never reach the service, so the browser would report them as CORS failures. The
        # origin is fixed to the site's own: echoing the request's Origin would allow anyone.
        headers = {
            "Access-Control-Allow-Origin": f"'{site_origin}'",
            "Vary": "'Origin'",
        }
        if allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "'true'"
        for name, response_type in (
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX),
        ):
            self.rest_api.add_gateway_response(name, type=response_type, response_headers=headers)

    def _suppress(self, *, waf_attached: bool) -> None:
        api = self.rest_api
        acknowledge(
            api,
            "AwsSolutions-APIG2",
            "A transparent proxy: the FastAPI service validates every request body and "
            "parameter against its own models.",
        )
        if not waf_attached:
            acknowledge(
                api.deployment_stage,
                "AwsSolutions-APIG3",
                "WAF is a cost and threat-model decision left to the operator (app:waf, "
                "README); stage throttling limits abuse meanwhile.",
            )
        for method in api.methods:
            acknowledge(
                method,
                "AwsSolutions-APIG4",
                "The example API is public by design; authentication, when added, belongs to "
                "the service so that CORS and auth errors stay consistent.",
            )
            acknowledge(
                method,
                "AwsSolutions-COG4",
                "No Cognito user pool in this product; see the APIG4 acknowledgement.",
            )
        role = api.node.try_find_child("CloudWatchRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4",
                "API Gateway's account-level CloudWatch role needs AWS's managed "
                "AmazonAPIGatewayPushToCloudWatchLogs policy.",
                findings=[
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonAPIGatewayPushToCloudWatchLogs"
                ],
            )
        nlb_logs = (
            "NLB access logs are written only for TLS listeners; this NLB has one TCP "
            "listener. Requests are logged by API Gateway and the ALB instead."
        )
        acknowledge(self.load_balancer, "AwsSolutions-ELB2", nlb_logs)
        checkov.skip(self.load_balancer, "CKV_AWS_91", nlb_logs)
        checkov.skip(
            api.deployment_stage,
            "CKV_AWS_120",
            "Responses are dynamic and vary by Origin (CORS); a stage cache would add cost "
            "(from $0.02/hour) and risk serving one caller's answer to another.",
        )
        for method in api.methods:
            checkov.skip(
                method,
                "CKV_AWS_59",
                "The example API is public by design: browsers call it without credentials; "
                "authentication, when added, belongs to the service (see AwsSolutions-APIG4).",
            )
