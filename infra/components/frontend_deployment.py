"""The site's files: the SPA, its index.html (CSP naming the API) and config.json (the API URL)."""

from __future__ import annotations

from pathlib import Path

import jsii
from aws_cdk import Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, IConstruct, IValidation

from infra import checkov, csp
from infra.components.frontend import ENTRY_FILE
from infra.nag import acknowledge, flatten_reference

# Files the SPA fetches on every load: they must never be served stale after a deploy.
RUNTIME_CONFIG_FILE = "config.json"
# The key the SPA reads from config.json (frontend/app.js: `config.apiUrl`).
RUNTIME_CONFIG_API_KEY = "apiUrl"


class FrontendDeployment(Construct):
    """Uploads the SPA, its index.html (CSP naming the API) and config.json, then invalidates.

    Args:
        bucket: the site bucket (FrontendEdge.bucket).
        distribution: the distribution to invalidate after the upload.
        source_dir: the SPA's files; its index.html holds the CSP placeholder.
        api_url: the API's base URL, written to config.json for the SPA.
        api_origin: the API's origin, which index.html's CSP allows to connect to.

    Attributes:
        assets: the upload of every file but index.html and config.json (cached briefly).
        entry: the upload of index.html and config.json (never cached), then invalidation.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        distribution: cloudfront.IDistribution,
        source_dir: Path,
        api_url: str,
        api_origin: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # A locally generated config.json (pointing at a dev API) must never ship.
        self.assets = s3deploy.BucketDeployment(
            self,
            "Assets",
            destination_bucket=bucket,
            sources=[
                s3deploy.Source.asset(str(source_dir), exclude=[RUNTIME_CONFIG_FILE, ENTRY_FILE])
            ],
            # Two deployments share the bucket: pruning would delete each other's files.
            prune=False,
            # No build step means no content hashes in file names: cache briefly.
            cache_control=[s3deploy.CacheControl.from_string("public, max-age=300")],
        )
        self.entry = s3deploy.BucketDeployment(
            self,
            "EntryAndConfig",
            destination_bucket=bucket,
            sources=[
                # The API's origin is a deploy-time value: BucketDeployment substitutes it.
                s3deploy.Source.data(
                    ENTRY_FILE,
                    csp.render_entry(
                        (source_dir / ENTRY_FILE).read_text(encoding="utf-8"),
                        api_origin,
                    ),
                ),
                s3deploy.Source.json_data(RUNTIME_CONFIG_FILE, {RUNTIME_CONFIG_API_KEY: api_url}),
            ],
            prune=False,
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=distribution,
            distribution_paths=["/*"],
        )
        # The entry point must not reference assets that are not uploaded yet.
        self.entry.node.add_dependency(self.assets)
        _suppress_bucket_deployment_handler(Stack.of(self), bucket)


def _suppress_bucket_deployment_handler(stack: Stack, bucket: s3.IBucket) -> None:
    # BucketDeployment shares one singleton Lambda per stack, created outside this construct's
    # scope, so its findings can only be addressed by its path in the stack.
    handler = next(
        child
        for child in stack.node.children
        if child.node.id.startswith("Custom::CDKBucketDeployment")
    )
    role = handler.node.find_child("ServiceRole")
    acknowledge(
        role,
        "AwsSolutions-IAM4",
        "CDK's BucketDeployment handler uses AWSLambdaBasicExecutionRole to write its own logs.",
        findings=[
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ],
    )
    policy = role.node.find_child("DefaultPolicy")
    acknowledge(
        policy,
        "AwsSolutions-IAM5",
        "CDK's own grants for BucketDeployment: s3 action groups on objects of the CDK asset "
        "bucket and of this app's site bucket, and cloudfront:Create/GetInvalidation, which "
        "CDK's BucketDeployment grants on '*' rather than on this distribution.",
        findings=[
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-"
            "<AWS::Region>/*",
            "Resource::*",
        ],
    )
    if bucket.encryption_key is not None:
        acknowledge(
            policy,
            "AwsSolutions-IAM5",
            "CDK's grant to read and write the SSE-KMS site bucket (app:kms): the kms action "
            "groups on that one key.",
            findings=["Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"],
        )
    policy.node.add_validation(_AcknowledgeSiteObjects(policy, bucket))
    checkov.skip(
        policy,
        "CKV_AWS_111",
        "CDK's own grants for BucketDeployment: cloudfront:CreateInvalidation on '*' (see the "
        "AwsSolutions-IAM5 acknowledgement); the rest are scoped to two buckets.",
    )
    function = handler.node.find_child("Resource")
    checkov.skip_deployment_function(function, "CDK's BucketDeployment handler")
    checkov.skip(
        function,
        "CKV_AWS_173",
        "CDK's BucketDeployment handler's environment holds no secrets, only what "
        "aws-cdk-lib sets; Lambda encrypts it at rest with its service key.",
    )
    # The handler has its own log group only under cdk.json's feature flags.
    log_group = handler.node.try_find_child("LogGroup")
    if log_group is not None:
        checkov.skip(
            log_group,
            "CKV_AWS_158",
            "CDK's BucketDeployment handler logs only which files it copied; a key for it would "
            "be a fourth $1/month under app:kms for no secret; CloudWatch's key encrypts it.",
        )

    acknowledge(
        handler.node.find_child("Resource"),
        "AwsSolutions-L1",
        "The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib, not by this "
        "app; it moves forward by upgrading aws-cdk-lib.",
    )


@jsii.implements(IValidation)
class _AcknowledgeSiteObjects:
    """Acknowledges IAM5 for `<site bucket ARN>/*` once the cross-stack reference exists.

    cdk-nag names the finding after the rendered reference (an output of the edge stack whose
    name CDK derives during synthesis), so it can only be named after references are resolved;
    construct validations run at exactly that point, before cdk-nag's policy validation.
    """

    def __init__(self, policy: IConstruct, bucket: s3.IBucket) -> None:
        self._policy = policy
        self._bucket = bucket

    def validate(self) -> list[str]:
        rendered = Stack.of(self._policy).resolve(self._bucket.arn_for_objects("*"))
        acknowledge(
            self._policy,
            "AwsSolutions-IAM5",
            "CDK's BucketDeployment must write and delete any object of the site bucket.",
            findings=[f"Resource::{flatten_reference(rendered)}"],
        )
        return []
