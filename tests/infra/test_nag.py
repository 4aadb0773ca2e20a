"""Acknowledging cdk-nag findings (infra/nag.py): one resource at a time, always with a reason."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from infra.nag import acknowledge, flatten_reference

REASON = "a long enough reason for the test"


def _acknowledged(construct: cdk.Resource, *ids: str) -> dict[str, str]:
    """Finding id -> reason of the acknowledgements on `construct`, for each of `ids`.

    CDK keys an acknowledgement by the finding's id behind a prefix of its own.
    """
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    recorded: dict[str, str] = {}
    for entry in construct.node.metadata:
        if entry.type == key:
            recorded.update(entry.data)
    assert len(recorded) == len(ids), recorded
    return {i: reason for i in ids for k, reason in recorded.items() if k.endswith(i)}


def test_acknowledge_refuses_a_whole_stack():
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ValueError, match="not on the stack"):
        acknowledge(stack, "AwsSolutions-S1", REASON)


def test_acknowledge_refuses_a_reason_too_short_to_be_one():
    bucket = s3.Bucket(cdk.Stack(cdk.App(), "S"), "B")
    with pytest.raises(ValueError, match="give a real reason"):
        acknowledge(bucket, "AwsSolutions-S1", "because")


def test_acknowledge_records_the_rule_and_reason_on_the_resource():
    bucket = s3.Bucket(cdk.Stack(cdk.App(), "S"), "B")
    acknowledge(bucket, "AwsSolutions-S1", REASON)
    assert _acknowledged(bucket, "AwsSolutions-S1") == {"AwsSolutions-S1": REASON}


def test_acknowledge_with_findings_names_each_finding_alone():
    bucket = s3.Bucket(cdk.Stack(cdk.App(), "S"), "B")
    acknowledge(bucket, "AwsSolutions-IAM5", REASON, findings=["Action::s3:*", "Resource::*"])
    ids = ("AwsSolutions-IAM5[Action::s3:*]", "AwsSolutions-IAM5[Resource::*]")
    assert _acknowledged(bucket, *ids) == dict.fromkeys(ids, REASON)


@pytest.mark.parametrize(
    ("node", "flat"),
    [
        ({"Fn::Join": ["", [{"Fn::ImportValue": "Edge:Out"}, "/*"]]}, "Edge:Out/*"),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, "<Bucket.Arn>"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::x"}, "arn:<AWS::Partition>:s3:::x"),
        ({"Ref": "AWS::Region"}, "<AWS::Region>"),
        ({"Fn::GetStackOutput": {"StackName": "E"}}, '{"Fn::GetStackOutput":{"StackName":"E"}}'),
    ],
)
def test_flatten_reference_matches_cdk_nag_finding_names(node, flat):
    assert flatten_reference(node) == flat
