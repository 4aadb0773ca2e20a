"""The whole app with a custom domain: the only way CloudFront can enforce TLS 1.2 for viewers."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Capture, Match, Template

from service.contract import Env
from tests.infra.conftest import Synth, cdk_json_context, synthesize
from tests.infra.templates import assert_output, every_task_definition_sets, get_att, stack_output

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


@pytest.fixture(scope="module")
def custom_edge(custom: Synth) -> Template:
    return custom.template(custom.stacks.edge)


@pytest.fixture(scope="module")
def custom_backend(custom: Synth) -> Template:
    return custom.template(custom.stacks.backend)


def test_the_custom_domain_and_its_certificate_reach_the_distribution(custom_edge):
    custom_edge.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": {
                "Aliases": [DOMAIN],
                "ViewerCertificate": Match.object_like(
                    {"AcmCertificateArn": CERTIFICATE, "MinimumProtocolVersion": "TLSv1.2_2021"}
                ),
            }
        },
    )


def test_the_custom_domain_is_the_site_url(custom_edge):
    custom_edge.has_output("SiteUrl", {"Value": f"https://{DOMAIN}"})


def test_the_service_allows_the_custom_domain_and_the_cloudfront_origin(
    custom, custom_edge, custom_backend
):
    output = Capture()
    origins = {
        "Fn::Join": [
            "",
            [f"https://{DOMAIN},https://", stack_output(custom.stacks.edge.stack_name, output)],
        ]
    }
    every_task_definition_sets(custom_backend, {Env.ALLOW_ORIGINS: origins})
    distribution = custom_edge.get_resource_id("AWS::CloudFront::Distribution")
    assert_output(custom_edge, output, get_att(distribution, "DomainName"))


def test_gateway_errors_name_the_custom_origin(custom_backend):
    custom_backend.resource_count_is("AWS::ApiGateway::GatewayResponse", 2)
    custom_backend.all_resources_properties(
        "AWS::ApiGateway::GatewayResponse",
        {
            "ResponseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": f"'https://{DOMAIN}'"
            }
        },
    )


def test_the_custom_domain_variant_passes_cdk_nag(custom):
    assert custom.synth_error is None
