from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.region_info import FactName
from constructs import Construct

from infra import checkov
from infra.nag import acknowledge


class LogBucket(Construct):
    """A private, SSE-S3 encrypted bucket that receives access logs and expires them.

    Args:
        retention_days: days each log object is kept, then expired.
        acls_for_cloudfront: enable ACLs, which CloudFront's standard logs are written
            with (ALB access logs and S3 server access logs need none). Default: False.

    Attributes:
        bucket: the bucket; give it to the service that writes the logs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int,
        acls_for_cloudfront: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            # ELB access logs support only SSE-S3.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=(
                s3.ObjectOwnership.BUCKET_OWNER_PREFERRED
                if acls_for_cloudfront
                else s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
            ),
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(retention_days))],
            # Logs are evidence: keep them when the stack goes away.
            removal_policy=RemovalPolicy.RETAIN,
        )
        no_access_logs = (
            "This is the access-log destination; logging it into itself would loop and another "
            "bucket would only move the question."
        )
        acknowledge(self.bucket, "AwsSolutions-S1", no_access_logs)
        checkov.skip(self.bucket, "CKV_AWS_18", no_access_logs)
        checkov.skip(
            self.bucket,
            "CKV_AWS_21",
            "Access logs are written once by AWS's log delivery and expire by lifecycle; "
            "versioning would keep every expired log for a second period and protect nothing "
            "that is ever overwritten.",
        )


def log_alb_access(alb: elbv2.ApplicationLoadBalancer, bucket: s3.Bucket, *, prefix: str) -> None:
    """ALB access logs for an environment-agnostic stack.

    `log_access_logs` needs a concrete region to pick the ELB account; here the account comes
    from CDK's region table as a CloudFormation mapping resolved at deploy time.
    """
    stack = Stack.of(alb)
    elb_account = stack.regional_fact(FactName.ELBV2_ACCOUNT)
    alb.set_attribute("access_logs.s3.enabled", "true")
    alb.set_attribute("access_logs.s3.bucket", bucket.bucket_name)
    alb.set_attribute("access_logs.s3.prefix", prefix)
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            principals=[iam.AccountPrincipal(elb_account)],
            resources=[bucket.arn_for_objects(f"{prefix}/AWSLogs/{stack.account}/*")],
        )
    )
    policy = bucket.policy
    if policy is not None:
        # The ALB checks write access when the attribute is set.
        alb.node.add_dependency(policy)
