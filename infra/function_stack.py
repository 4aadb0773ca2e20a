"""The backend of `app:compute=lambda`: the service as one function behind an API.

No VPC, NAT gateway, load balancer or ECS resource at all: the Edge deploys first (the function
needs the site's origin for CORS), then this stack, then the Site (it needs the API's URL).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import lambda_bundle
from infra.components import metrics
from infra.components.alarm_topic import AlarmTopic
from infra.components.alarms import Alarms
from infra.components.dashboard import RequestPathDashboard
from infra.components.encryption_key import stack_key
from infra.components.frontend import FrontendEdge
from infra.components.http_api import FunctionBackend, HttpApiIngress
from infra.components.lambda_rest_api import LambdaRestApi
from infra.components.service_function import ServiceFunction
from infra.components.waf import WebAcl
from infra.config import AppConfig, Ingress
from infra.ingress import add_firewall


class FunctionBackendStack(Stack):
    """compute=lambda: the service as one function behind the REST API or the HTTP API; no
    VPC, NAT gateway, load balancer or ECS resource at all."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, edge: FrontendEdge
    ) -> None:
        ingress = config.topology.chosen_ingress
        super().__init__(
            scope,
            construct_id,
            description=f"Lambda function (Mangum), {ingress.value} API, alarms",
        )
        key = stack_key(self, config, "Function logs and API access logs")
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", settings=config.alarms)
        self.service_function = ServiceFunction(
            self,
            "Service",
            settings=config.function,
            logs=config.logs,
            code_directory=lambda_bundle.bundle(config.function.lambda_architecture.value),
            environment=config.function_environment(allow_origins=edge.browser_origins),
            encryption_key=key,
        )
        function = self.service_function.function
        self.api: LambdaRestApi | HttpApiIngress
        self.firewall: WebAcl | None = None
        if ingress is Ingress.HTTP_API:
            self.api = HttpApiIngress(
                self,
                "HttpApi",
                settings=config.api,
                logs=config.logs,
                backend=FunctionBackend(function=function),
                encryption_key=key,
            )
            gateway = metrics.http_api_metrics(self.api.http_api)
        else:
            self.api = LambdaRestApi(
                self,
                "Api",
                settings=config.api,
                logs=config.logs,
                function=function,
                site_origin=edge.site_origin,
                allow_credentials=config.cors.allow_credentials,
                waf_attached=config.waf.enabled,
                encryption_key=key,
            )
            gateway = metrics.rest_stage_metrics(self.api.stage)
            self.firewall = add_firewall(self, config, edge, {"ApiStage": self.api.stage.stage_arn})
        self.api_url_output = CfnOutput(self, "ApiUrl", value=self.api.url)
        self.alarms = Alarms(
            self,
            "Alarms",
            settings=config.alarms,
            topic=self.alarm_topic.topic,
            gateway=gateway,
            distribution=edge.distribution,
            function=function,
        )
        self.dashboard = RequestPathDashboard(
            self,
            "Dashboard",
            distribution=edge.distribution,
            gateway=gateway,
            function=function,
            alarms=list(self.alarms.alarms),
        )
