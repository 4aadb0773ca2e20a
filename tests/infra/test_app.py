"""app.py: the one place that reads CDK context; a bad setting stops synth with one line."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

import app
from tests.infra.conftest import cdk_json_context, new_app, run_app


@pytest.mark.parametrize(
    ("context", "line"),
    [
        (
            {"app:extraOrigins": "https://example.com/path"},
            "error: app:extraOrigins=https://example.com/path: origin 'https://example.com/path' "
            "has a path",
        ),
        ({"app:desiredCount": "ten"}, "error: app:desiredCount=ten: must be a whole number"),
        ({"app:bogus": "1"}, "error: app:bogus=1: unknown setting"),
        (
            {"extraOrigins": "http://localhost:5173"},
            "error: extraOrigins: did you mean app:extraOrigins?",
        ),
        ({"app:extraorigins": "x"}, "error: app:extraorigins: did you mean app:extraOrigins?"),
        (
            {"app:extraOrigins": "http://evil.example.com"},
            "error: app:extraOrigins=http://evil.example.com: origin 'http://evil.example.com' "
            "is cleartext http; http:// is accepted only for loopback hosts",
        ),
        (
            {"app:throttleRateLimit": "10000", "app:throttleBurstLimit": "1"},
            "error: app:throttleBurstLimit=1: must be >= 5000",
        ),
    ],
)
def test_app_py_fails_with_one_line_and_exit_code_1(tmp_path, context, line):
    result = run_app(context, tmp_path)
    assert result.returncode == 1
    errors = [row for row in result.stderr.splitlines() if row.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(line)
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


@pytest.mark.parametrize(
    ("value", "runs"), [(None, False), ("false", False), ("true", True), ("TRUE", True)]
)
def test_app_py_runs_cdks_builtin_validation_only_when_asked(monkeypatch, value, runs):
    if value is None:
        monkeypatch.delenv("CDK_VALIDATION", raising=False)
    else:
        monkeypatch.setenv("CDK_VALIDATION", value)
    assert app.builtin_validation() is runs


def test_the_tests_synth_keeps_cdks_builtin_validation_as_a_gate(tmp_path):
    stack = cdk.Stack(new_app(tmp_path, cdk_json_context()), "Probe")
    cdk.CfnResource(stack, "Bucket", type="AWS::S3::Bucket", properties={"NotAProperty": 5})
    with pytest.raises(RuntimeError, match="NotAProperty"):
        stack.node.root.synth()  # type: ignore[attr-defined]
