"""The site's own domain, if it has one besides CloudFront's `*.cloudfront.net` name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from infra.config.fields import Group, setting

_DOMAIN: Final = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN: Final = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")


def _domain(name: str | None) -> None:
    if name is not None and not _DOMAIN.match(name):
        raise ValueError("not a lower-case DNS name")


def _certificate(arn: str | None) -> None:
    if arn is not None and not _ACM_ARN.match(arn):
        raise ValueError("not an ACM certificate ARN in us-east-1 (CloudFront's)")


@dataclass(frozen=True, kw_only=True)
class SiteSettings(Group):
    """A custom domain for the site: the only way CloudFront enforces TLS 1.2 for viewers."""

    domain_name: str | None = setting(
        default=None,
        key="siteDomainName",
        doc="A custom domain for the site, with `siteCertificateArn`; only then can CloudFront "
        "enforce TLS 1.2 as the viewer minimum, since its own `*.cloudfront.net` certificate "
        "is fixed at TLSv1.",
        allowed="a lower-case DNS name; together with `siteCertificateArn`",
        check=_domain,
    )
    certificate_arn: str | None = setting(
        default=None,
        key="siteCertificateArn",
        doc="The ACM certificate for `siteDomainName`.",
        allowed="an ACM certificate ARN in us-east-1 (CloudFront's); together with "
        "`siteDomainName`",
        check=_certificate,
    )

    @property
    def known_origins(self) -> tuple[str, ...]:
        """The site's origins known at synth: its custom domain's, if it has one."""
        return (f"https://{self.domain_name}",) if self.domain_name else ()

    def relations(self) -> None:
        if (self.domain_name is None) != (self.certificate_arn is None):
            missing = "domain_name" if self.domain_name is None else "certificate_arn"
            raise self.invalid(
                missing, "siteDomainName and siteCertificateArn go together", shown=""
            )
