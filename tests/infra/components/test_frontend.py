"""FrontendEdge on a bare stack: a private site bucket behind CloudFront with OAC and headers."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Aws
from aws_cdk.assertions import Match, Template

from infra import csp
from infra.components.frontend import ENTRY_FILE, FrontendEdge
from infra.config import LogSettings, SiteSettings
from tests.infra.templates import bare_stack, get_att, ref

DISTRIBUTION = "AWS::CloudFront::Distribution"
BUCKET = "AWS::S3::Bucket"
DOMAIN = "app.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/12345678-1234-1234-1234-000000000000"


def _edge(settings: SiteSettings) -> tuple[cdk.Stack, FrontendEdge, Template]:
    stack = bare_stack()
    edge = FrontendEdge(stack, "Frontend", settings=settings, logs=LogSettings(retention_days=60))
    return stack, edge, Template.from_stack(stack)


@pytest.fixture(scope="module")
def default() -> tuple[cdk.Stack, FrontendEdge, Template]:
    return _edge(SiteSettings())


@pytest.fixture(scope="module")
def template(default: tuple[cdk.Stack, FrontendEdge, Template]) -> Template:
    return default[2]


@pytest.fixture(scope="module")
def custom() -> tuple[cdk.Stack, FrontendEdge, Template]:
    return _edge(SiteSettings(domain_name=DOMAIN, certificate_arn=CERTIFICATE))


def _site_bucket(template: Template) -> str:
    # The site bucket is the versioned one; the other bucket receives access logs.
    return template.get_resource_id(
        BUCKET, {"Properties": {"VersioningConfiguration": Match.any_value()}}
    )


def _distribution_config(**config: object) -> dict[str, object]:
    return {"DistributionConfig": config}


def test_the_site_bucket_is_versioned_private_and_owner_enforced(template):
    template.resource_count_is(BUCKET, 2)
    template.has_resource_properties(
        BUCKET,
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
        },
    )


def test_the_site_bucket_logs_requests_into_the_access_log_bucket(default):
    _, edge, template = default
    logs = cdk.Stack.of(edge).get_logical_id(edge.access_logs.bucket.node.default_child)
    template.has_resource_properties(
        BUCKET,
        {
            "VersioningConfiguration": Match.any_value(),
            "LoggingConfiguration": {"DestinationBucketName": ref(logs), "LogFilePrefix": "s3/"},
        },
    )


def test_the_site_bucket_is_kept_when_the_stack_is_deleted(template):
    template.has_resource(
        BUCKET,
        {"Properties": {"VersioningConfiguration": Match.any_value()}, "DeletionPolicy": "Retain"},
    )


def test_the_distribution_reads_the_bucket_through_origin_access_control(template):
    oac = template.get_resource_id("AWS::CloudFront::OriginAccessControl")
    template.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {"OriginAccessControlConfig": {"SigningBehavior": "always", "SigningProtocol": "sigv4"}},
    )
    template.has_resource_properties(
        DISTRIBUTION,
        _distribution_config(
            Origins=[Match.object_like({"OriginAccessControlId": get_att(oac, "Id")})]
        ),
    )


def test_there_is_no_legacy_origin_access_identity(template):
    template.resource_count_is("AWS::CloudFront::CloudFrontOriginAccessIdentity", 0)


def test_the_bucket_policy_allows_only_this_distribution_to_read_objects(template):
    site = _site_bucket(template)
    distribution = template.get_resource_id(DISTRIBUTION)
    source_arn = {
        "Fn::Join": [
            "",
            [
                "arn:",
                ref("AWS::Partition"),
                ":cloudfront::",
                ref("AWS::AccountId"),
                ":distribution/",
                ref(distribution),
            ],
        ]
    }
    only_cloudfront = Match.object_equals(
        {
            "Action": "s3:GetObject",
            "Condition": {"StringEquals": {"AWS:SourceArn": source_arn}},
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [get_att(site, "Arn"), "/*"]]},
        }
    )
    deny_cleartext = Match.object_like(
        {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    )
    # The whole statement list: TLS only, then CloudFront's read; nothing else is granted.
    template.resource_properties_count_is(
        "AWS::S3::BucketPolicy",
        {"Bucket": ref(site), "PolicyDocument": {"Statement": [deny_cleartext, only_cloudfront]}},
        1,
    )


def test_viewers_are_redirected_to_https_on_every_behavior(template):
    template.all_resources_properties(
        DISTRIBUTION,
        _distribution_config(DefaultCacheBehavior={"ViewerProtocolPolicy": "redirect-to-https"}),
    )
    other = Match.object_like({"ViewerProtocolPolicy": Match.not_("redirect-to-https")})
    template.resource_properties_count_is(
        DISTRIBUTION, _distribution_config(CacheBehaviors=Match.array_with([other])), 0
    )


def test_the_default_certificate_gets_no_ineffective_tls_setting(template):
    # CloudFront's own certificate is fixed at TLSv1; CDK would ignore a minimum protocol.
    template.has_resource_properties(
        DISTRIBUTION, _distribution_config(ViewerCertificate=Match.absent(), Aliases=Match.absent())
    )


def test_a_custom_domain_enforces_tls_1_2_for_viewers(custom):
    _, _, template = custom
    template.has_resource_properties(
        DISTRIBUTION,
        _distribution_config(
            Aliases=[DOMAIN],
            ViewerCertificate={
                "AcmCertificateArn": CERTIFICATE,
                "MinimumProtocolVersion": "TLSv1.2_2021",
                "SslSupportMethod": "sni-only",
            },
        ),
    )


def test_client_side_routes_get_the_app_shell_for_403_and_404(template):
    fallback = [
        {"ErrorCode": status, "ResponseCode": 200, "ResponsePagePath": f"/{ENTRY_FILE}"}
        for status in (403, 404)
    ]
    template.has_resource_properties(
        DISTRIBUTION,
        _distribution_config(
            CustomErrorResponses=[Match.object_like(item) for item in fallback],
            DefaultRootObject=ENTRY_FILE,
        ),
    )


def test_the_security_headers_policy_is_attached_to_the_default_behavior(template):
    policy = template.get_resource_id("AWS::CloudFront::ResponseHeadersPolicy")
    template.has_resource_properties(
        DISTRIBUTION,
        _distribution_config(DefaultCacheBehavior={"ResponseHeadersPolicyId": ref(policy)}),
    )


def test_security_headers_set_hsts_for_a_year_nosniff_deny_framing_and_a_referrer_policy(
    template,
):
    template.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "SecurityHeadersConfig": {
                    "StrictTransportSecurity": {
                        "AccessControlMaxAgeSec": 365 * 24 * 3600,
                        "IncludeSubdomains": True,
                        "Override": True,
                    },
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"FrameOption": "DENY", "Override": True},
                    "ReferrerPolicy": {
                        "ReferrerPolicy": "strict-origin-when-cross-origin",
                        "Override": True,
                    },
                }
            }
        },
    )


def test_the_csp_header_is_the_shared_policy_for_every_api_of_the_region(default):
    # The edge deploys before the API, so the header can only name every REST API of the
    # Region; index.html narrows it (test_frontend_deployment). Defined once in infra/csp.py.
    stack, _, template = default
    policy = stack.resolve(csp.header_policy(csp.execute_api_sources(Aws.REGION, Aws.URL_SUFFIX)))
    template.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {"ContentSecurityPolicy": policy, "Override": True}
                }
            }
        },
    )


def test_the_distribution_writes_access_logs_to_the_access_log_bucket(default):
    _, edge, template = default
    logs = cdk.Stack.of(edge).get_logical_id(edge.access_logs.bucket.node.default_child)
    template.has_resource_properties(
        DISTRIBUTION,
        _distribution_config(
            Logging={"Bucket": get_att(logs, "RegionalDomainName"), "Prefix": "cloudfront/"}
        ),
    )


def test_access_logs_expire_after_the_log_retention(template):
    template.has_resource_properties(
        BUCKET, {"LifecycleConfiguration": {"Rules": [Match.object_like({"ExpirationInDays": 60})]}}
    )


def test_without_a_custom_domain_the_site_origin_is_the_distributions_domain(default):
    stack, edge, template = default
    distribution = template.get_resource_id(DISTRIBUTION)
    expected = {"Fn::Join": ["", ["https://", get_att(distribution, "DomainName")]]}
    assert stack.resolve(edge.site_origin) == expected
    assert edge.browser_origins == (edge.site_origin,)


def test_with_a_custom_domain_browsers_may_come_from_it_and_from_cloudfront(custom):
    stack, edge, template = custom
    distribution = template.get_resource_id(DISTRIBUTION)
    cloudfront = {"Fn::Join": ["", ["https://", get_att(distribution, "DomainName")]]}
    assert edge.site_origin == f"https://{DOMAIN}"
    assert [stack.resolve(origin) for origin in edge.browser_origins] == [
        f"https://{DOMAIN}",
        cloudfront,
    ]
