"""Map a validated number of days to CloudWatch Logs' retention enum."""

from __future__ import annotations

from aws_cdk import aws_logs as logs

from infra.config.logs import RETENTION_PERIODS


def retention(days: int) -> logs.RetentionDays:
    return logs.RetentionDays[RETENTION_PERIODS[days]]
