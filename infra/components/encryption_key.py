"""A customer managed KMS key for a stack's logs (and, in the edge stack, the site bucket)."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import AppConfig


class EncryptionKey(Construct):
    """A symmetric key, rotated yearly, that CloudWatch Logs may use for this account's log groups.

    Only built with `app:kms=true` (each key costs $1/month). The account's root keeps the
    key's default administration; CloudWatch Logs of this Region may use it only for log groups
    of this account (the encryption context condition AWS documents for encrypted log groups).

    Args:
        description: what the key encrypts, shown in the KMS console.
        retain: keep the key when the stack is deleted, because what it encrypts outlives the
            stack (a retained bucket). Default: False (deleted after KMS's 30-day waiting
            period).

    Attributes:
        key: the key.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, description: str, retain: bool = False
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=description,
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )


def stack_key(
    stack: Stack, config: AppConfig, description: str, *, retain: bool = False
) -> kms.IKey | None:
    """The stack's own customer managed key with app:kms, else None (AWS's service keys).

    One per stack: a key shared across stacks would tie their deployments together.
    """
    if not config.security.kms:
        return None
    return EncryptionKey(stack, "EncryptionKey", description=description, retain=retain).key
