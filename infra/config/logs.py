"""How long logs are kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from infra.config.fields import Group, setting

# CloudWatch Logs' retention periods (days) and the name of each in CDK's RetentionDays: the
# one table of them (infra/retention.py maps a period to CDK's enum by this name).
RETENTION_PERIODS: Final[dict[int, str]] = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


def _retention(days: int) -> None:
    if days not in RETENTION_PERIODS:
        raise ValueError(f"CloudWatch accepts only {list(RETENTION_PERIODS)}")


@dataclass(frozen=True, kw_only=True)
class LogSettings(Group):
    """Retention of every log group and expiry of the access-log buckets."""

    retention_days: int = setting(
        default=30,
        key="logRetentionDays",
        doc="Days every log group keeps its events (flow logs, the app, API access logs) and "
        "the access-log buckets keep their objects.",
        allowed=f"one of CloudWatch's periods: {', '.join(map(str, RETENTION_PERIODS))}",
        check=_retention,
    )
