"""app:kms: a rotated customer key per stack encrypts its log groups and the site bucket."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests.infra.conftest import ROOT, Synth, cdk_json_context, resources, run_app, synthesize


@pytest.fixture(scope="module")
def kms_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("kms"), {**cdk_json_context(), "app:kms": True})


def _templates(synth: Synth) -> dict[str, Template]:
    return {stack.stack_name: synth.template(stack) for stack in synth.stacks.all()}


def _data_keys(template: Template) -> dict[str, Any]:
    # The alarm topic has a key of its own with or without app:kms (CloudWatch must be able to
    # publish to it); the keys counted here are the ones app:kms adds.
    return {
        name: key
        for name, key in resources(template, "AWS::KMS::Key").items()
        if "alarm topic" not in key["Properties"].get("Description", "")
    }


def test_each_stack_with_logs_or_the_site_bucket_has_one_rotated_key(kms_synth):
    keys = {name: _data_keys(t) for name, t in _templates(kms_synth).items()}
    assert {name: len(found) for name, found in keys.items()} == {
        "CorsSafeNetwork": 1,
        "CorsSafeEdge": 1,
        "CorsSafeBackend": 1,
        "CorsSafeSite": 0,
    }
    for found in keys.values():
        for key in found.values():
            assert key["Properties"]["EnableKeyRotation"] is True


def test_every_log_group_of_the_app_is_encrypted_with_its_stacks_key(kms_synth):
    checked = 0
    for name, template in _templates(kms_synth).items():
        if name == "CorsSafeSite":
            continue  # only CDK's BucketDeployment handler logs there (a skip says why)
        (key_id,) = _data_keys(template)
        for group in resources(template, "AWS::Logs::LogGroup").values():
            assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
            checked += 1
    assert checked == 3


def test_cloudwatch_logs_may_use_the_key_only_for_this_accounts_log_groups(kms_synth):
    for name, template in _templates(kms_synth).items():
        for key in _data_keys(template).values():
            statements = key["Properties"]["KeyPolicy"]["Statement"]
            (logs,) = [s for s in statements if s.get("Sid") == "CloudWatchLogsOfThisAccount"]
            assert logs["Principal"]["Service"] == {
                "Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
            }, name
            context = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
            assert context == {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":logs:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        ":log-group:*",
                    ],
                ]
            }


def test_site_bucket_uses_the_edge_key_with_bucket_keys_and_access_logs_stay_sse_s3(kms_synth):
    edge = kms_synth.template(kms_synth.stacks.edge)
    (key_id,) = _data_keys(edge)
    by_algorithm: dict[str, list[dict[str, Any]]] = {}
    for bucket in resources(edge, "AWS::S3::Bucket").values():
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        default = rule["ServerSideEncryptionByDefault"]
        by_algorithm.setdefault(default["SSEAlgorithm"], []).append(rule)
    (site_rule,) = by_algorithm["aws:kms"]
    assert site_rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {
        "Fn::GetAtt": [key_id, "Arn"]
    }
    assert site_rule["BucketKeyEnabled"] is True
    # CloudFront standard logs and ALB access logs can be written only to SSE-S3 buckets.
    assert len(by_algorithm["AES256"]) == 1
    backend = kms_synth.template(kms_synth.stacks.backend)
    for bucket in resources(backend, "AWS::S3::Bucket").values():
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_the_site_key_outlives_the_stack_like_the_bucket_it_encrypts(kms_synth):
    (edge_key,) = resources(kms_synth.template(kms_synth.stacks.edge), "AWS::KMS::Key").values()
    assert edge_key["DeletionPolicy"] == "Retain"
    (network_key,) = resources(
        kms_synth.template(kms_synth.stacks.network), "AWS::KMS::Key"
    ).values()
    assert network_key["DeletionPolicy"] == "Delete"


def test_by_default_no_key_exists_and_no_log_group_names_one(synth):
    for stack in synth.stacks.all():
        template = synth.template(stack)
        assert _data_keys(template) == {}
        for group in resources(template, "AWS::Logs::LogGroup").values():
            assert "KmsKeyId" not in group["Properties"]


def test_kms_synth_passes_cdk_nag(kms_synth):
    assert kms_synth.synth_error is None


def test_kms_synth_passes_cfn_lint(kms_synth):
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(ROOT / ".cfnlintrc.yaml"),
            "--",
            *map(str, kms_synth.template_files()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_kms_value_that_is_not_a_boolean_stops_synth_with_one_line(tmp_path):
    result = run_app({"app:kms": "maybe"}, tmp_path)
    assert result.returncode == 1
    errors = [row for row in result.stderr.splitlines() if row.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: app:kms=maybe:")
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))
