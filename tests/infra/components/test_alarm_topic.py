"""AlarmTopic on a bare Stack: an encrypted topic CloudWatch alarms can publish to."""

from __future__ import annotations

from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from constructs import Construct

from infra.components.alarm_topic import CLOUDWATCH, AlarmTopic
from infra.config import AlarmSettings
from tests.infra.conftest import only, resources

ADDRESS = "ops@example.com"


def _build(settings: AlarmSettings) -> tuple[cdk.Stack, AlarmTopic, Template]:
    stack = cdk.Stack(cdk.App(), "Topic")
    topic = AlarmTopic(stack, "AlarmTopic", settings=settings)
    return stack, topic, Template.from_stack(stack)


@pytest.fixture(scope="module")
def built() -> tuple[cdk.Stack, AlarmTopic, Template]:
    return _build(AlarmSettings())


def _logical_id(stack: cdk.Stack, construct: Construct) -> str:
    return stack.get_logical_id(cast(cdk.CfnElement, construct.node.default_child))


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_the_topic_is_encrypted_with_its_own_rotated_key(built):
    stack, topic, template = built
    key_id = _logical_id(stack, topic.key)
    _, resource = only(template, "AWS::SNS::Topic")
    assert resource["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    _, key = only(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True


def test_the_key_policy_lets_cloudwatch_encrypt_for_the_topic(built):
    _, _, template = built
    _, key = only(template, "AWS::KMS::Key")
    granted = [
        s
        for s in _statements(key["Properties"]["KeyPolicy"])
        if s["Effect"] == "Allow" and s["Principal"] == {"Service": CLOUDWATCH}
    ]
    assert len(granted) == 1
    assert set(_as_list(granted[0]["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_the_topic_policy_lets_only_this_accounts_alarms_publish(built):
    stack, topic, template = built
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    topic_ref = {"Ref": _logical_id(stack, topic.topic)}
    allowed = [
        s
        for s in _statements(policy["Properties"]["PolicyDocument"])
        if s["Effect"] == "Allow" and s["Principal"] == {"Service": CLOUDWATCH}
    ]
    assert len(allowed) == 1
    statement = allowed[0]
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == topic_ref
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    source = stack.resolve(statement["Condition"]["ArnLike"]["aws:SourceArn"])
    assert (
        stack.resolve(
            stack.format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name="*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        )
        == source
    )


def test_publishing_without_tls_is_denied(built):
    _, _, template = built
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    denied = [
        s for s in _statements(policy["Properties"]["PolicyDocument"]) if s["Effect"] == "Deny"
    ]
    assert [s["Condition"] for s in denied] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_an_alarm_email_subscribes_that_address_to_the_topic():
    stack, topic, template = _build(AlarmSettings(email=ADDRESS))
    _, subscription = only(template, "AWS::SNS::Subscription")
    assert subscription["Properties"] == {
        "Protocol": "email",
        "Endpoint": ADDRESS,
        "TopicArn": {"Ref": _logical_id(stack, topic.topic)},
    }
    assert topic.subscription is not None


def test_without_an_alarm_email_nothing_subscribes(built):
    _, topic, template = built
    assert resources(template, "AWS::SNS::Subscription") == {}
    assert topic.subscription is None
