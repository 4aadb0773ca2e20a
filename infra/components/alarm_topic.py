"""The one SNS topic every alarm notifies, encrypted with a key CloudWatch may use."""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import AlarmSettings

CLOUDWATCH = "cloudwatch.amazonaws.com"


class AlarmTopic(Construct):
    """An SNS topic encrypted with its own customer managed key, published to by alarms only.

    The AWS managed key (`alias/aws/sns`) cannot serve: its policy cannot be changed, and
    CloudWatch needs `kms:GenerateDataKey*` and `kms:Decrypt` on the topic's key to publish
    (AWS: "Enable compatibility between event sources from AWS services and encrypted topics";
    without them an alarm changes state and its notification is dropped silently).

    Args:
        settings: the address to subscribe, if any (see AlarmSettings).

    Attributes:
        key: the topic's KMS key (rotated yearly); topic: the topic.
        subscription: the email subscription, or None without `alarmEmail`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, settings: AlarmSettings) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the alarm topic; CloudWatch alarms publish with it",
            enable_key_rotation=True,
            # Alarm notifications are not kept anywhere: nothing to decrypt after a destroy.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # As AWS documents it, without conditions: the topic policy below is what limits the
        # publishers to this account's alarms, and no other topic uses this key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            # The sender name of alarm emails: the stack name says which environment it is.
            display_name=f"{Stack.of(self).stack_name} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        # enforce_ssl writes a topic policy, which replaces SNS's default one (that let the
        # account's own services publish): CloudWatch needs its own statement, limited to
        # alarms of this account and Region (confused-deputy protection).
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": _alarm_arns(self)},
                },
            )
        )
        self.subscription = (
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.email))
            if settings.email
            else None
        )


def _alarm_arns(scope: Construct) -> str:
    return Stack.of(scope).format_arn(
        service="cloudwatch",
        resource="alarm",
        resource_name="*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
