"""Policy over the whole assembly: cdk-nag, cfn-lint, and rules every template must keep.

These read every template of the session synth, including resources CDK adds on its own (the
BucketDeployment handler, the default security group's restriction), not only our constructs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from constructs import IConstruct

from tests.infra.conftest import Synth
from tests.infra.templates import cfn_lint_output, has_type, ref, templates_in

BUCKET = "AWS::S3::Bucket"
DISTRIBUTION = "AWS::CloudFront::Distribution"
METHOD = "AWS::ApiGateway::Method"
# Fixed names stop CloudFormation from replacing a resource and collide across deployments.
PHYSICAL_NAMES = {
    BUCKET: "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Name",
    "AWS::ElasticLoadBalancing::LoadBalancer": "LoadBalancerName",
    "AWS::IAM::Role": "RoleName",
}


@pytest.fixture(scope="module")
def templates(synth: Synth) -> dict[str, Template]:
    found = templates_in(synth.outdir)
    assert len(found) == len(synth.stacks.all())
    return found


def test_cdk_nag_finds_nothing_unacknowledged(synth):
    # The report is checked, not only whether synth failed: failing synth on a warning is the
    # plugin's choice (cdk-nag 3.0.2 does; a later version need not). aws-cdk-lib writes the
    # report on every synth with a validation plugin, so it must exist and list no
    # unacknowledged violation of any severity. Acknowledged findings are omitted by cdk-nag,
    # or listed apart by CDK under "suppressedViolations".
    report = synth.outdir / "validation-report.json"
    assert report.is_file(), sorted(p.name for p in synth.outdir.iterdir())
    parsed = json.loads(report.read_text())
    assert parsed["title"] == "Validation Report"
    violations = [
        f"{plugin['pluginName']}: {v['severity']} {v['ruleName']} at "
        + ", ".join(c["constructPath"] for c in v["violatingConstructs"])
        for plugin in parsed["pluginReports"]
        for v in plugin["violations"]
    ]
    assert violations == []
    assert all(plugin["conclusion"] == "success" for plugin in parsed["pluginReports"])
    assert synth.synth_error is None


def _acknowledgements(root: IConstruct) -> Iterator[tuple[IConstruct, dict[str, Any]]]:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                yield construct, entry.data


def test_every_acknowledgement_targets_a_resource_and_has_a_reason(synth):
    ours = [
        (construct, rule, reason)
        for construct, data in _acknowledgements(synth.app)
        for rule, reason in data.items()
        if "AwsSolutions-" in rule
    ]
    assert len(ours) >= 10
    for construct, rule, reason in ours:
        assert not isinstance(construct, cdk.Stack | cdk.App), (construct.node.path, rule)
        assert isinstance(reason, str), rule
        assert len(reason) >= 20, (construct.node.path, rule)


def test_cfn_lint_reports_nothing(synth):
    files = [str(p) for p in synth.template_files()]
    assert len(files) == len(synth.stacks.all())
    assert cfn_lint_output(files) is None


def test_no_resource_has_a_physical_name(templates):
    for name, template in templates.items():
        for type_, key in PHYSICAL_NAMES.items():
            named = template.find_resources(type_, {"Properties": {key: Match.any_value()}})
            assert named == {}, f"{name}: {sorted(named)} set {key}"


def test_every_bucket_blocks_public_access_and_is_encrypted(templates):
    checked = 0
    for template in templates.values():
        if not has_type(template, BUCKET):
            continue
        template.all_resources_properties(
            BUCKET,
            {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": Match.any_value()}}
                    ]
                },
            },
        )
        checked += len(template.find_resources(BUCKET))
    assert checked >= 3


def test_every_bucket_refuses_requests_without_tls(templates):
    # Per bucket, not per policy: a bucket created without enforce_ssl has no policy at all.
    deny = {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    for template in templates.values():
        for bucket in template.find_resources(BUCKET):
            template.resource_properties_count_is(
                "AWS::S3::BucketPolicy", {"Bucket": ref(bucket)}, 1
            )
            template.has_resource_properties(
                "AWS::S3::BucketPolicy",
                {
                    "Bucket": ref(bucket),
                    "PolicyDocument": {"Statement": Match.array_with([Match.object_like(deny)])},
                },
            )


def test_viewers_are_redirected_to_https_by_every_distribution(templates):
    # Every behavior of every distribution: one plain-http path is enough to leak a session.
    redirect = {"ViewerProtocolPolicy": "redirect-to-https"}
    other = Match.object_like({"ViewerProtocolPolicy": Match.not_("redirect-to-https")})
    with_distributions = [t for t in templates.values() if has_type(t, DISTRIBUTION)]
    assert with_distributions
    for template in with_distributions:
        template.all_resources_properties(
            DISTRIBUTION, {"DistributionConfig": {"DefaultCacheBehavior": redirect}}
        )
        template.resource_properties_count_is(
            DISTRIBUTION, {"DistributionConfig": {"CacheBehaviors": Match.array_with([other])}}, 0
        )


def test_no_load_balancer_faces_the_internet(templates):
    # The API Gateway is the only way in; the NLB and the ALB behind it stay inside the VPC.
    balancer = "AWS::ElasticLoadBalancingV2::LoadBalancer"
    with_balancers = [t for t in templates.values() if has_type(t, balancer)]
    assert with_balancers
    for template in with_balancers:
        template.all_resources_properties(balancer, {"Scheme": "internal"})


def test_no_template_has_a_cloudfront_origin_access_identity(templates):
    for template in templates.values():
        template.resource_count_is("AWS::CloudFront::CloudFrontOriginAccessIdentity", 0)


def test_no_template_has_an_options_method(templates):
    # The service answers preflights; a gateway OPTIONS method would answer them instead.
    for template in templates.values():
        template.resource_properties_count_is(METHOD, {"HttpMethod": "OPTIONS"}, 0)


def test_no_template_has_a_mock_integration(templates):
    for template in templates.values():
        template.resource_properties_count_is(METHOD, {"Integration": {"Type": "MOCK"}}, 0)
