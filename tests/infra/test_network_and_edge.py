"""Network stack and the frontend edge (bucket + CloudFront)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra import csp, limits
from infra.components.network import Network
from infra.config import LogSettings, NetworkSettings
from infra.nag import flatten_reference
from tests.infra.conftest import Synth, dumps, only, resources


def test_vpc_uses_configured_cidr(synth, network):
    _, vpc = only(network, "AWS::EC2::VPC")
    assert vpc["Properties"]["CidrBlock"] == synth.config.network.vpc_cidr


def _in_block(subnets: Any, cidr: str) -> list[dict[str, Any]]:
    # The VPC's first block: the load balancers' subnets are in a second one (their own tests).
    block = ipaddress.IPv4Network(cidr)
    return [
        s for s in subnets if ipaddress.IPv4Network(s["Properties"]["CidrBlock"]).subnet_of(block)
    ]


def test_vpc_has_public_and_private_subnets_in_two_azs(synth, network):
    subnets = _in_block(
        resources(network, "AWS::EC2::Subnet").values(), synth.config.network.vpc_cidr
    )
    public = [s for s in subnets if s["Properties"]["MapPublicIpOnLaunch"] is True]
    private = [s for s in subnets if s["Properties"]["MapPublicIpOnLaunch"] is False]
    assert len(public) == 2
    assert len(private) == 2
    # Fn::GetAZs at deploy time: no availability-zone lookup at synth.
    assert all("Fn::GetAZs" in dumps(s["Properties"]["AvailabilityZone"]) for s in subnets)


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.0.0.0/24"])
def test_private_subnets_have_the_size_the_task_ceiling_assumes(cidr):
    # app:maxCapacity is bounded by the addresses of the private subnets (infra/limits.py).
    stack = cdk.Stack(cdk.App(), "Net")
    Network(stack, "Network", settings=NetworkSettings(vpc_cidr=cidr), logs=LogSettings())
    subnets = _in_block(resources(Template.from_stack(stack), "AWS::EC2::Subnet").values(), cidr)
    private = [s for s in subnets if s["Properties"]["MapPublicIpOnLaunch"] is False]
    assert len(private) == limits.AZ_COUNT
    expected = limits.private_subnet_prefix(ipaddress.ip_network(cidr).prefixlen)
    for subnet in private:
        assert ipaddress.ip_network(subnet["Properties"]["CidrBlock"]).prefixlen == expected


def test_nat_gateway_count_is_configured(synth, network):
    network.resource_count_is("AWS::EC2::NatGateway", synth.config.network.nat_gateways)


def test_vpc_flow_logs_capture_all_traffic(network):
    vpc_id, _ = only(network, "AWS::EC2::VPC")
    _, flow_log = only(network, "AWS::EC2::FlowLog")
    props = flow_log["Properties"]
    assert props["ResourceId"] == {"Ref": vpc_id}
    assert props["ResourceType"] == "VPC"
    assert props["TrafficType"] == "ALL"
    assert props["LogDestinationType"] == "cloud-watch-logs"


def test_synth_needed_no_lookups(synth):
    manifest = json.loads((synth.outdir / "manifest.json").read_text())
    assert "missing" not in manifest


def _every_template(synth: Synth) -> list[tuple[Template, str]]:
    # Every template in the assembly, not only the stacks the app's code lists.
    return [
        (Template.from_json(json.loads(path.read_text())), path.name)
        for path in synth.template_files()
    ]


def test_every_bucket_is_private_encrypted_and_denies_insecure_transport(synth):
    # Per bucket, not per policy: a bucket created without enforce_ssl has no policy at all.
    checked = 0
    for template, stack_name in _every_template(synth):
        policies = resources(template, "AWS::S3::BucketPolicy").values()
        for name, bucket in resources(template, "AWS::S3::Bucket").items():
            where = f"{stack_name}:{name}"
            props = bucket["Properties"]
            assert props["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }, where
            (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"], where
            own = [p for p in policies if p["Properties"]["Bucket"] == {"Ref": name}]
            assert len(own) == 1, f"{where} has {len(own)} bucket policies"
            statements = own[0]["Properties"]["PolicyDocument"]["Statement"]
            assert any(
                s["Effect"] == "Deny"
                and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
                for s in statements
            ), where
            checked += 1
    assert checked >= 3


def _site_bucket(edge: Template) -> tuple[str, dict[str, Any]]:
    buckets = resources(edge, "AWS::S3::Bucket")
    site = [name for name, b in buckets.items() if "VersioningConfiguration" in b["Properties"]]
    assert len(site) == 1
    return site[0], buckets[site[0]]


def test_site_bucket_is_versioned_owner_enforced_and_logged(edge):
    _, bucket = _site_bucket(edge)
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "LoggingConfiguration" in props


def test_no_cloudfront_origin_access_identity(synth):
    for stack in synth.stacks.all():
        synth.template(stack).resource_count_is(
            "AWS::CloudFront::CloudFrontOriginAccessIdentity", 0
        )


def test_distribution_uses_origin_access_control(edge):
    oac_id, oac = only(edge, "AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    _, distribution = only(edge, "AWS::CloudFront::Distribution")
    (origin,) = distribution["Properties"]["DistributionConfig"]["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}


def test_site_bucket_policy_grants_only_cloudfront_for_this_distribution(edge):
    site_id, _ = _site_bucket(edge)
    distribution_id, _ = only(edge, "AWS::CloudFront::Distribution")
    policies = [
        p
        for p in resources(edge, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": site_id}
    ]
    assert len(policies) == 1
    allows = [
        s
        for s in policies[0]["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert allows
    for statement in allows:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        source_arn = statement["Condition"]["StringEquals"]["AWS:SourceArn"]
        assert distribution_id in dumps(source_arn)
        actions = statement["Action"]
        assert set(actions if isinstance(actions, list) else [actions]) <= {"s3:GetObject"}


def test_viewers_are_redirected_to_https(synth):
    # Every behavior of every distribution: one plain-http path is enough to leak a session.
    distributions = {}
    for template, _ in _every_template(synth):
        distributions.update(resources(template, "AWS::CloudFront::Distribution"))
    assert distributions
    for name, distribution in distributions.items():
        config = distribution["Properties"]["DistributionConfig"]
        behaviors = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
        for behavior in behaviors:
            assert behavior["ViewerProtocolPolicy"] == "redirect-to-https", (name, behavior)


def test_default_certificate_has_no_ineffective_tls_setting(edge):
    # Without a custom domain CloudFront's certificate is used; CDK would ignore a minimum
    # protocol version, so none is rendered (the custom-domain path sets TLSv1.2_2021).
    _, distribution = only(edge, "AWS::CloudFront::Distribution")
    assert "ViewerCertificate" not in distribution["Properties"]["DistributionConfig"]


def test_spa_fallback_serves_index_for_403_and_404(edge):
    _, distribution = only(edge, "AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    assert set(errors) == {403, 404}
    for error in errors.values():
        assert error["ResponseCode"] == 200
        assert error["ResponsePagePath"] == "/index.html"
    assert config["DefaultRootObject"] == "index.html"


def test_security_headers_policy_is_attached(edge):
    policy_id, policy = only(edge, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert "ContentSecurityPolicy" in headers
    _, distribution = only(edge, "AWS::CloudFront::Distribution")
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": policy_id}


def test_security_headers_csp_is_the_shared_policy_for_every_api_of_the_region(edge):
    # The edge deploys before the API, so the header can only name every REST API of the
    # Region; index.html narrows it (test_site_and_compliance). No 'unsafe-inline' anywhere.
    _, policy = only(edge, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    rendered = flatten_reference(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    sources = csp.execute_api_sources("<AWS::Region>", "<AWS::URLSuffix>")
    assert rendered == csp.header_policy(sources)
    assert "'unsafe-inline'" not in rendered
    assert headers["ContentSecurityPolicy"]["Override"] is True


def test_distribution_logs_access(edge):
    _, distribution = only(edge, "AWS::CloudFront::Distribution")
    assert "Logging" in distribution["Properties"]["DistributionConfig"]


def test_site_url_is_output(edge):
    outputs = edge.find_outputs("SiteUrl")
    assert len(outputs) == 1
    assert "DomainName" in dumps(outputs["SiteUrl"]["Value"])
