"""The custom-domain variant: the only way CloudFront can enforce TLS 1.2 for viewers."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synth, cdk_json_context, only, resources, synthesize

DOMAIN = "app.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/12345678-1234-1234-1234-000000000000"


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {
        **cdk_json_context(),
        "app:siteDomainName": DOMAIN,
        "app:siteCertificateArn": CERTIFICATE,
    }
    return synthesize(tmp_path_factory.mktemp("custom-domain"), context)


def test_custom_domain_enforces_tls_1_2_for_viewers(custom: Synth) -> None:
    _, distribution = only(custom.template(custom.stacks.edge), "AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERTIFICATE
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"


def test_custom_domain_is_the_site_url_and_an_allowed_origin(custom: Synth) -> None:
    edge = custom.raw(custom.stacks.edge)
    assert edge["Outputs"]["SiteUrl"]["Value"] == f"https://{DOMAIN}"
    backend = custom.template(custom.stacks.backend)
    (task,) = resources(backend, "AWS::ECS::TaskDefinition").values()
    environment = {
        item["Name"]: item["Value"]
        for item in task["Properties"]["ContainerDefinitions"][0]["Environment"]
    }
    origins = json.dumps(environment["CORS_ALLOW_ORIGINS"])
    assert f"https://{DOMAIN}" in origins
    assert "DomainName" in origins  # the *.cloudfront.net origin stays allowed too


def test_custom_domain_gateway_errors_name_the_custom_origin(custom: Synth) -> None:
    backend = custom.template(custom.stacks.backend)
    responses = resources(backend, "AWS::ApiGateway::GatewayResponse")
    assert len(responses) == 2
    for response in responses.values():
        allow = response["Properties"]["ResponseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ]
        assert allow == f"'https://{DOMAIN}'"


def test_custom_domain_passes_cdk_nag(custom: Synth) -> None:
    assert custom.synth_error is None
