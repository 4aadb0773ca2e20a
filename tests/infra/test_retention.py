"""Log retention (infra/retention.py): a validated number of days -> CloudWatch's enum."""

from __future__ import annotations

import pytest
from aws_cdk import aws_logs
from aws_cdk.assertions import Template

from infra.config.logs import RETENTION_PERIODS
from infra.retention import retention
from tests.infra.templates import bare_stack


@pytest.fixture(scope="module")
def template() -> Template:
    stack = bare_stack()
    for days in RETENTION_PERIODS:
        aws_logs.LogGroup(stack, f"Days{days}", retention=retention(days))
    return Template.from_stack(stack)


@pytest.mark.parametrize("days", sorted(RETENTION_PERIODS))
def test_each_retention_period_is_the_cloudwatch_enum_of_that_many_days(template, days):
    # One table (days -> CDK's member name); the synthesized template proves each pairing.
    group = template.get_resource_id(
        "AWS::Logs::LogGroup", {"Properties": {"RetentionInDays": days}}
    )
    assert group.startswith(f"Days{days}")
