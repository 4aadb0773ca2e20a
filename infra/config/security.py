"""Encryption with a customer managed key: off by default because each key costs money."""

from __future__ import annotations

from dataclasses import dataclass

from infra.config.fields import Group, setting


@dataclass(frozen=True, kw_only=True)
class SecuritySettings(Group):
    """What is encrypted with keys this app owns rather than AWS's service keys."""

    kms: bool = setting(
        default=False,
        key="kms",
        doc="Encrypt every log group and the site bucket with a customer managed KMS key "
        "(rotated yearly), one per stack that needs it (3). Cost: $1/month per key plus "
        "$0.03 per 10,000 requests (us-east-1 list price). Off: CloudWatch Logs' and S3's own "
        "keys encrypt them. The access-log buckets keep SSE-S3 either way: ALB access logs "
        "and CloudFront standard logs support only SSE-S3.",
    )
