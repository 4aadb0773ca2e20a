"""Who is told when something breaks, and the thresholds an operator tunes to their traffic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from infra.config.fields import Group, setting

# A practical address check (RFC 5321's length limit, one @, a dotted domain): SNS sends a
# confirmation mail to it, so a typo would only show up as alarms nobody receives.
_EMAIL: Final = re.compile(
    r"^(?=.{3,254}$)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
# API Gateway answers every request within 29 s (its integration timeout): a higher p99
# threshold could never be crossed.
GATEWAY_TIMEOUT_MS: Final = 29_000


def _email(address: str | None) -> None:
    if address is not None and not _EMAIL.match(address):
        raise ValueError("not an email address, e.g. ops@example.com")


@dataclass(frozen=True, kw_only=True)
class AlarmSettings(Group):
    """The alarm topic's email subscriber and the thresholds of the alarms that page."""

    email: str | None = setting(
        default=None,
        key="alarmEmail",
        doc="An address subscribed to the alarm topic (AWS sends it a confirmation mail "
        "first). Without it the alarms still fire, roll deployments back and show on the "
        "dashboard; subscribe other endpoints to the topic yourself.",
        allowed="an email address",
        check=_email,
    )
    error_rate_percent: int = setting(
        default=5,
        key="alarmErrorRatePercent",
        doc="Share of requests answered with a 5xx (at the API stage, at the ALB's targets, "
        "at CloudFront) above which an alarm fires; the ALB one also rolls a deployment back.",
        bounds=(1, 50),
        unit=" %",
    )
    latency_p99_ms: int = setting(
        default=2000,
        key="alarmLatencyP99Ms",
        doc="The API's p99 latency (API Gateway's `Latency`: from receiving a request to "
        "answering it) above which an alarm fires.",
        bounds=(100, GATEWAY_TIMEOUT_MS),
        unit=" ms",
        why="API Gateway answers every request within 29 s",
    )
    cpu_percent: int = setting(
        default=90,
        key="alarmCpuPercent",
        doc="The tasks' average CPU utilisation at or above which an alarm fires (sustained "
        "for 15 minutes: autoscaling has run out of room).",
        bounds=(50, 100),
        unit=" %",
        why="above `cpuTargetPercent`, which autoscaling holds",
    )
    memory_percent: int = setting(
        default=90,
        key="alarmMemoryPercent",
        doc="The tasks' average memory utilisation at or above which an alarm fires "
        "(sustained for 15 minutes; a task at 100 % is killed).",
        bounds=(50, 100),
        unit=" %",
    )
