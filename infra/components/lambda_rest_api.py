"""REST API -> Lambda proxy integration: the `rest` ingress of `app:compute=lambda`.

The same REST API as the container's (infra/components/rest_api.py): stage, throttling, X-Ray,
JSON access log, gateway responses with CORS for the site, root ANY + `{proxy+}` ANY and no
OPTIONS/MOCK method; only the integration differs.
"""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.components.rest_api import add_rest_api
from infra.config import ApiSettings, LogSettings


class LambdaRestApi(Construct):
    """A REST API whose two methods invoke the service's function (Lambda proxy).

    Args:
        settings: the stage's name and throttling (see ApiSettings).
        logs: how long the access logs are kept.
        function: the service's function.
        site_origin: the site's origin, the only one the gateway's own errors allow.
        allow_credentials: whether those errors allow credentials, as the service does.
        waf_attached: whether a WAF web ACL protects the stage. Default False.
        encryption_key: a customer managed key for the access logs (app:kms). Default: None.

    Attributes:
        rest_api, stage, access_log_group, proxy_resource, origin, url: as `Api`'s.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ApiSettings,
        logs: LogSettings,
        function: lambda_.IFunction,
        site_origin: str,
        allow_credentials: bool,
        waf_attached: bool = False,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        parts = add_rest_api(
            self,
            construct_id,
            settings=settings,
            logs=logs,
            site_origin=site_origin,
            allow_credentials=allow_credentials,
            # Proxy: the whole request is the event, the function's answer is the response.
            integration_for=lambda _path, _proxy: apigw.LambdaIntegration(function, proxy=True),
            waf_attached=waf_attached,
            encryption_key=encryption_key,
        )
        self.rest_api = parts.rest_api
        self.stage = parts.stage
        self.access_log_group = parts.access_log_group
        self.proxy_resource = parts.proxy_resource
        self.origin = parts.origin
        self.url = parts.url
