"""The web application firewall (AWS WAF): off by default, since it costs money every month.

Standard library only, like every settings group: the component imports the constants below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from infra.config.fields import Group, setting

# A rate-based rule counts each client address's requests over a sliding window; five minutes
# is WAF's classic window (it also offers 60, 120 and 600 s), and the unit `wafRateLimit` is in.
RATE_WINDOW_SECONDS: Final = 300
# The CloudFormation resource schema of AWS::WAFv2::WebACL (RateBasedStatement.Limit): 10 to
# 2,000,000,000 requests per window. The minimum was 100 until AWS lowered it to 10 in 2024.
MIN_RATE_LIMIT: Final = 10
MAX_RATE_LIMIT: Final = 2_000_000_000
# A CloudFront web ACL (scope CLOUDFRONT) can only be created in this Region.
CLOUDFRONT_REGION: Final = "us-east-1"


@dataclass(frozen=True, kw_only=True)
class WafSettings(Group):
    """Whether a WAF web ACL protects the API (and the site), and its per-address rate limit."""

    enabled: bool = setting(
        default=False,
        key="waf",
        doc="Attach a regional AWS WAF web ACL to the API stage: AWS's managed common, "
        "known-bad-inputs and IP-reputation rule groups plus a per-address rate limit; every "
        "block is a JSON 403 with CORS headers for the site's origin, so the page can say "
        "blocked. With it, the common rule set refuses request bodies over 8 KB whatever "
        "`maxBodyBytes` says. About $11/month plus $0.60 per million requests.",
    )
    rate_limit: int = setting(
        default=1000,
        key="wafRateLimit",
        doc="Requests one client address may send in 5 minutes before the web ACLs block it, "
        "until its rate falls below the limit again (CORS preflights are counted apart, "
        "against the same limit). The stage throttle is shared by all clients; this limit is "
        "per address.",
        bounds=(MIN_RATE_LIMIT, MAX_RATE_LIMIT),
        unit=" requests per 5 minutes",
        why="AWS WAF's range for a rate-based rule; with `waf`, at most `throttleRateLimit` "
        "x 300, the stage's whole capacity in that time",
    )
    cloudfront: bool = setting(
        default=False,
        key="cloudFrontWaf",
        doc="Attach a CLOUDFRONT-scope web ACL (the same managed rule groups and rate limit) to "
        "the site's distribution. CloudFront web ACLs exist only in us-east-1, so synth stops "
        "unless the app deploys there (`CDK_DEFAULT_REGION` or `AWS_REGION` is us-east-1). "
        "Another ~$11/month plus $0.60 per million requests.",
    )

    def require_region(self, region: str | None) -> None:
        """Stop unless a CloudFront web ACL can be created where the app deploys.

        `region` is the Region the stacks deploy to as known at synth, None when unknown. The
        stacks are environment-agnostic, so they deploy to the CDK CLI's Region, which the CLI
        also hands the app as CDK_DEFAULT_REGION. Half a configuration is never synthesized:
        the ACL and its attachment exist together, or synth stops here.
        """
        if not self.cloudfront or region == CLOUDFRONT_REGION:
            return
        where = (
            f"this app deploys to {region}"
            if region
            else "no Region is known at synth (CDK_DEFAULT_REGION and AWS_REGION are unset)"
        )
        raise self.invalid(
            "cloudfront",
            f"CloudFront web ACLs must be created in {CLOUDFRONT_REGION} and {where}; deploy "
            f"with AWS_REGION={CLOUDFRONT_REGION} or leave it off",
        )
