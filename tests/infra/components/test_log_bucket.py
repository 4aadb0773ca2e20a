"""LogBucket on a bare stack: a private, encrypted, TLS-only bucket that expires its logs."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from infra.components.log_bucket import LogBucket
from tests.infra.templates import bare_stack, ref

BUCKET = "AWS::S3::Bucket"


def _log_bucket(*, acls_for_cloudfront: bool = False) -> Template:
    stack = bare_stack()
    LogBucket(stack, "Logs", retention_days=14, acls_for_cloudfront=acls_for_cloudfront)
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def template() -> Template:
    return _log_bucket()


def test_the_bucket_blocks_every_kind_of_public_access(template):
    template.resource_count_is(BUCKET, 1)
    template.has_resource_properties(
        BUCKET,
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
        },
    )


def test_the_bucket_is_encrypted_with_s3_managed_keys_which_elb_logs_need(template):
    template.has_resource_properties(
        BUCKET,
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            }
        },
    )


def test_the_bucket_refuses_requests_without_tls(template):
    bucket = template.get_resource_id(BUCKET)
    deny = {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": ref(bucket),
            "PolicyDocument": {"Statement": Match.array_with([Match.object_like(deny)])},
        },
    )


def test_log_objects_expire_after_the_retention(template):
    template.has_resource_properties(
        BUCKET,
        {"LifecycleConfiguration": {"Rules": [{"ExpirationInDays": 14, "Status": "Enabled"}]}},
    )


def test_logs_are_kept_when_the_stack_is_deleted(template):
    template.has_resource(BUCKET, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_acls_are_disabled_unless_cloudfront_must_write(template):
    template.has_resource_properties(
        BUCKET, {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}
    )


def test_cloudfront_logging_enables_the_acls_its_standard_logs_are_written_with():
    _log_bucket(acls_for_cloudfront=True).has_resource_properties(
        BUCKET, {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}}
    )


def test_the_bucket_has_no_physical_name(template):
    template.resource_properties_count_is(BUCKET, {"BucketName": Match.any_value()}, 0)
