"""The REST API both REST ingresses share: stage, access log, gateway responses, proxy methods.

What differs between `rest-nlb` and `rest-alb` is only how the integration reaches the load
balancer (a VPC link v1 to an NLB, or a v2 link straight to the ALB); everything the browser
and the operator see is built here once, inside the caller's construct, so the resources keep
the logical ids they have always had under `Api`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aws_cdk import Aws, Fn, RemovalPolicy, Stack, aws_logs
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import checkov
from infra.config import ApiSettings, LogSettings
from infra.nag import acknowledge
from infra.retention import retention
from service import contract

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
PROXY_PATH_MAPPING: Final = {"integration.request.path.proxy": "method.request.path.proxy"}

# (path after the load balancer's base URI, whether it carries {proxy}) -> the integration.
IntegrationFor = Callable[[str, bool], apigw.Integration]


@dataclass(frozen=True)
class RestApiParts:
    rest_api: apigw.RestApi
    stage: apigw.Stage
    access_log_group: aws_logs.LogGroup
    proxy_resource: apigw.Resource
    methods: tuple[apigw.Method, ...]
    origin: str
    url: str


def add_rest_api(
    scope: Construct,
    construct_id: str,
    *,
    settings: ApiSettings,
    logs: LogSettings,
    site_origin: str,
    allow_credentials: bool,
    integration_for: IntegrationFor,
    waf_attached: bool,
    encryption_key: kms.IKey | None,
) -> RestApiParts:
    """The REST API inside `scope` (whose id `construct_id` names the API in metrics)."""
    access_log_group = aws_logs.LogGroup(
        scope,
        "AccessLogs",
        retention=retention(logs.retention_days),
        removal_policy=RemovalPolicy.DESTROY,
        encryption_key=encryption_key,
    )
    if encryption_key is None:
        checkov.skip(access_log_group, "CKV_AWS_158", checkov.LOGS_WITHOUT_CUSTOMER_KEY)
    rest_api = apigw.RestApi(
        scope,
        "RestApi",
        # API Gateway's metrics are keyed by this name: one per stack, so environments
        # sharing an account never mix their figures (the default is the construct id).
        rest_api_name=f"{Stack.of(scope).stack_name}-{construct_id}",
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
            access_log_destination=apigw.LogGroupLogDestination(access_log_group),
            access_log_format=apigw.AccessLogFormat.custom(
                json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))
            ),
        ),
    )
    root_method = rest_api.root.add_method("ANY", integration_for("/", False))
    proxy_resource = rest_api.root.add_resource("{proxy+}")
    proxy_method = proxy_resource.add_method(
        "ANY",
        integration_for("/{proxy}", True),
        request_parameters={"method.request.path.proxy": True},
    )
    _add_cors_to_gateway_errors(rest_api, site_origin, allow_credentials)
    # What browsers send as the API's origin and what the site's CSP names (connect-src).
    origin = Fn.join(
        "", ["https://", rest_api.rest_api_id, f".execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"]
    )
    _suppress(rest_api, waf_attached=waf_attached)
    return RestApiParts(
        rest_api=rest_api,
        stage=rest_api.deployment_stage,
        access_log_group=access_log_group,
        proxy_resource=proxy_resource,
        methods=(root_method, proxy_method),
        origin=origin,
        # Without the trailing slash RestApi.url has: the service joins paths onto it.
        url=Fn.join("", [origin, f"/{settings.stage_name}"]),
    )


def _add_cors_to_gateway_errors(
    rest_api: apigw.RestApi, site_origin: str, allow_credentials: bool
) -> None:
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
        rest_api.add_gateway_response(name, type=response_type, response_headers=headers)


def _suppress(api: apigw.RestApi, *, waf_attached: bool) -> None:
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
        checkov.skip(
            method,
            "CKV_AWS_59",
            "The example API is public by design: browsers call it without credentials; "
            "authentication, when added, belongs to the service (see AwsSolutions-APIG4).",
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
    checkov.skip(
        api.deployment_stage,
        "CKV_AWS_120",
        "Responses are dynamic and vary by Origin (CORS); a stage cache would add cost "
        "(from $0.02/hour) and risk serving one caller's answer to another.",
    )
