"""The REST API's stage: its name (the URL's first segment) and its throttling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from infra import limits
from infra.config.fields import Group, setting

# A stage name equal to one of the service's first path segments makes URLs like /api/api/...
# ambiguous for people and for the SPA's path joining; reject them.
RESERVED_STAGE_NAMES: Final = frozenset({"api", "healthz", "docs", "redoc", "openapi.json"})
_STAGE_NAME: Final = re.compile(r"^[A-Za-z0-9_]{1,128}$")


def _stage_name(name: str) -> None:
    if not _STAGE_NAME.match(name):
        raise ValueError("use 1-128 letters, digits or underscores")
    if name.lower() in RESERVED_STAGE_NAMES:
        raise ValueError(f"clashes with a service route prefix {sorted(RESERVED_STAGE_NAMES)}")


@dataclass(frozen=True, kw_only=True)
class ApiSettings(Group):
    """The API Gateway stage browsers call: its name and how much traffic it lets through."""

    stage_name: str = setting(
        default="v1",
        key="stageName",
        doc="The API Gateway stage, the first path segment of the API's URL; the gateway "
        "strips it, and the service is told it as its root path.",
        allowed="1-128 letters, digits, `_`; not a service route prefix such as `api`",
        check=_stage_name,
    )
    throttle_rate_limit: int = setting(
        default=100,
        key="throttleRateLimit",
        doc="The stage's steady-state requests per second.",
        bounds=(1, limits.ACCOUNT_RATE_LIMIT),
        unit=" requests/s",
        why="API Gateway's default quota for the whole account and Region",
    )
    throttle_burst_limit: int = setting(
        default=200,
        key="throttleBurstLimit",
        doc="The stage's burst (token bucket size); at least `throttleRateLimit` or 5,000, "
        "whichever is smaller, since a smaller bucket refuses requests that arrive together "
        "although the rate is not exceeded (AWS's own account default is 10,000/5,000).",
        bounds=(1, limits.ACCOUNT_BURST_LIMIT),
        why="API Gateway's default burst for the whole account and Region",
    )

    @property
    def root_path(self) -> str:
        """The path the public sees in front of every route: the stage the gateway strips."""
        return f"/{self.stage_name}"

    def relations(self) -> None:
        rate, burst = self.throttle_rate_limit, self.throttle_burst_limit
        floor = min(rate, limits.ACCOUNT_BURST_LIMIT)
        if burst < floor:
            raise self.invalid(
                "throttle_burst_limit",
                f"must be >= {floor} (throttleRateLimit={rate}, at most "
                f"{limits.ACCOUNT_BURST_LIMIT}): a smaller bucket refuses requests that arrive "
                "together although the rate is not exceeded",
            )
