"""The custom-domain variant: the only way CloudFront can enforce TLS 1.2 for viewers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks

from infra.config import AppConfig
from infra.stacks import Stacks, build
from tests.infra.conftest import cdk_json_context, only, resources

DOMAIN = "app.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/12345678-1234-1234-1234-000000000000"


@dataclass
class Synthesized:
    stacks: Stacks
    templates: dict[str, dict[str, Any]]
    error: str | None


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("custom-domain")
    context = {
        **cdk_json_context(),
        "app:siteDomainName": DOMAIN,
        "app:siteCertificateArn": CERTIFICATE,
    }
    app = cdk.App(outdir=str(outdir), context=context)
    stacks = build(app, AppConfig.from_context(context))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    error: str | None = None
    try:
        app.synth()
    except RuntimeError as exc:
        error = str(exc)
    templates = {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in outdir.glob("*.template.json")
    }
    return Synthesized(stacks=stacks, templates=templates, error=error)


def template(custom: Synthesized, stack: cdk.Stack) -> cdk.assertions.Template:
    return cdk.assertions.Template.from_json(custom.templates[stack.artifact_id])


def test_custom_domain_enforces_tls_1_2_for_viewers(custom: Synthesized) -> None:
    _, distribution = only(template(custom, custom.stacks.edge), "AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERTIFICATE
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"


def test_custom_domain_is_the_site_url_and_an_allowed_origin(custom: Synthesized) -> None:
    edge = custom.templates[custom.stacks.edge.artifact_id]
    assert edge["Outputs"]["SiteUrl"]["Value"] == f"https://{DOMAIN}"
    backend = template(custom, custom.stacks.backend)
    (task,) = resources(backend, "AWS::ECS::TaskDefinition").values()
    environment = {
        item["Name"]: item["Value"]
        for item in task["Properties"]["ContainerDefinitions"][0]["Environment"]
    }
    origins = json.dumps(environment["CORS_ALLOW_ORIGINS"])
    assert f"https://{DOMAIN}" in origins
    assert "DomainName" in origins  # the *.cloudfront.net origin stays allowed too


def test_custom_domain_gateway_errors_name_the_custom_origin(custom: Synthesized) -> None:
    backend = template(custom, custom.stacks.backend)
    responses = resources(backend, "AWS::ApiGateway::GatewayResponse")
    assert len(responses) == 2
    for response in responses.values():
        allow = response["Properties"]["ResponseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ]
        assert allow == f"'https://{DOMAIN}'"


def test_custom_domain_passes_cdk_nag(custom: Synthesized) -> None:
    assert custom.error is None
