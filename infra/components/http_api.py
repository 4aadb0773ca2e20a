"""HTTP API -> VPC link -> the internal ALB: the `http-api` ingress, without an NLB.

API Gateway's HTTP APIs cost less per request than REST APIs ($1.00 vs $3.50 per million) and
reach an ALB directly through a VPC link. What they do not have, and why it matters here:

- **CORS stays off at the gateway.** An HTTP API with a CORS configuration answers preflights
  itself and overwrites the Access-Control-* headers of the integration's responses, so the
  service's own CORS (credentials, exact origins, Vary) would be replaced by the gateway's:
  the second user story again. The construct never sets `cors_preflight`.
- **No gateway responses.** A REST API can add CORS headers to the errors it generates itself;
  an HTTP API cannot. Its own errors (429 when throttled, 503/504 when the integration fails or
  times out after 30 s, 413 for a body over 10 MB) reach the browser without CORS headers and
  show as CORS errors. Every route goes to the service (`$default`), so there is no gateway 404.
- **No AWS WAF and no X-Ray**: HTTP APIs support neither (config refuses `waf` with this
  ingress).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import jsii
from aws_cdk import RemovalPolicy, Stack, aws_logs
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import checkov
from infra.components.alb_vpc_link import add_alb_vpc_link
from infra.config import ApiSettings, LogSettings
from infra.nag import acknowledge
from infra.retention import retention
from service import contract

_FIELD = apigw.AccessLogField
# As the REST API's (infra/components/api.py), limited to what HTTP APIs log: every value is a
# $context variable whose text cannot hold a quote, so each line stays valid JSON.
ACCESS_LOG_FIELDS: Final[dict[str, str]] = {
    "requestId": _FIELD.context_request_id(),
    "extendedRequestId": _FIELD.context_extended_request_id(),
    "ip": _FIELD.context_identity_source_ip(),
    "requestTime": _FIELD.context_request_time(),
    "requestTimeEpoch": _FIELD.context_request_time_epoch(),
    "httpMethod": _FIELD.context_http_method(),
    "routeKey": "$context.routeKey",
    "protocol": _FIELD.context_protocol(),
    "status": _FIELD.context_status(),
    "responseLength": _FIELD.context_response_length(),
    "responseLatency": _FIELD.context_response_latency(),
    "integrationStatus": _FIELD.context_integration_status(),
    "integrationLatency": _FIELD.context_integration_latency(),
}


@dataclass(frozen=True)
class AlbBackend:
    """The internal ALB, reached through a VPC link (v2) in the load balancers' subnets."""

    vpc: ec2.IVpc
    subnets: Sequence[ec2.ISubnet]
    listener: elbv2.ApplicationListener
    port: int


@dataclass(frozen=True)
class FunctionBackend:
    """The service's Lambda function (compute=lambda)."""

    function: lambda_.IFunction


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLog:
    # The stage's access-log settings are a jsii interface with no concrete class to build.
    def __init__(
        self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat
    ) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class HttpApiIngress(Construct):
    """An HTTP API whose `$default` route and stage send every request to the ALB.

    Args:
        settings: the stage's throttling (see ApiSettings; its stage name is a REST API's:
            an HTTP API's `$default` stage has no segment in the URL).
        logs: how long the access logs are kept.
        backend: where every route goes: the internal ALB (AlbBackend: a VPC link in the
            load balancers' subnets, the ALB admitting only the link's group) or the service's
            Lambda function (FunctionBackend).
        encryption_key: a customer managed key for the access logs (app:kms). Default: None
            (CloudWatch Logs' own key).

    Attributes:
        http_api: the HTTP API; stage: its `$default` stage.
        vpc_link: the VPC link (v2) to the ALB; security_group: the link's group (None for a
            function).
        access_log_group: the stage's access logs, one JSON object per request.
        origin: ``https://<api id>.execute-api.<region>.<suffix>``, a deploy-time value.
        url: the API's URL (the origin: the `$default` stage adds no path).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ApiSettings,
        logs: LogSettings,
        backend: AlbBackend | FunctionBackend,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group: ec2.SecurityGroup | None = None
        self.vpc_link: apigwv2.VpcLink | None = None
        integration: apigwv2.HttpRouteIntegration
        if isinstance(backend, FunctionBackend):
            # The function reads the gateway's request id from the event (payload 2.0).
            integration = integrations.HttpLambdaIntegration("Function", backend.function)
        else:
            link = add_alb_vpc_link(
                self,
                "VpcLink",
                who="HTTP API",
                vpc=backend.vpc,
                subnets=backend.subnets,
                alb_listener=backend.listener,
                alb_port=backend.port,
            )
            self.security_group, self.vpc_link = link.security_group, link.vpc_link
            integration = integrations.HttpAlbIntegration(
                "Alb",
                backend.listener,
                vpc_link=link.vpc_link,
                # The gateway's request id, as the REST API hands it on; `overwrite` replaces
                # any header of that name a client sent.
                parameter_mapping=apigwv2.ParameterMapping().overwrite_header(
                    contract.GATEWAY_REQUEST_ID_HEADER,
                    apigwv2.MappingValue.context_variable("requestId"),
                ),
            )
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            # As the REST API: API Gateway's console and metrics show this name.
            api_name=f"{Stack.of(self).stack_name}-{construct_id}",
            description="Proxy to the service; CORS is answered by the service itself",
            default_integration=integration,
            create_default_stage=False,
            # Never cors_preflight: see the module's docstring.
        )
        self.access_log_group = aws_logs.LogGroup(
            self,
            "AccessLogs",
            retention=retention(logs.retention_days),
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=encryption_key,
        )
        if encryption_key is None:
            checkov.skip(self.access_log_group, "CKV_AWS_158", checkov.LOGS_WITHOUT_CUSTOMER_KEY)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=settings.throttle_rate_limit,
                burst_limit=settings.throttle_burst_limit,
            ),
            access_log_settings=_AccessLog(
                apigwv2.LogGroupLogDestination(self.access_log_group),
                apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))),
            ),
        )
        self.origin = self.http_api.api_endpoint
        self.url = self.origin
        self._acknowledge()

    def _acknowledge(self) -> None:
        for route in self.http_api.node.find_all():
            if isinstance(route, apigwv2.CfnRoute):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    "The example API is public by design; authentication, when added, belongs "
                    "to the service so that CORS and auth errors stay consistent.",
                )
