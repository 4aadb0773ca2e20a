"""Which browser origins may call the API, besides the site's own origin (always allowed)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from infra.config.fields import Group, Invalid, setting
from service import contract

# Cleartext origins are accepted only for the developer's own machine: anything else on http://
# can be impersonated by whoever sits on the network path, and would get credentialed CORS.
LOOPBACK_NAMES: Final = frozenset({"localhost"})


def _is_loopback_origin(origin: str) -> bool:
    host = urlsplit(origin).hostname or ""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origins(origins: tuple[str, ...]) -> None:
    for origin in origins:
        try:
            contract.validate_origin(origin)
        except ValueError as exc:
            raise Invalid(str(exc), shown=origin) from None
        if origin.startswith("http://") and not _is_loopback_origin(origin):
            raise Invalid(
                f"origin {origin!r} is cleartext http; http:// is accepted only for loopback "
                "hosts (localhost, 127.0.0.0/8, [::1]), use https://",
                shown=origin,
            )
    if len(set(origins)) != len(origins):
        raise ValueError("lists an origin twice")


@dataclass(frozen=True, kw_only=True)
class CorsSettings(Group):
    """Who may call the API from a browser; the service answers CORS, the gateway never does."""

    extra_origins: tuple[str, ...] = setting(
        default=(),
        key="extraOrigins",
        doc="Origins allowed to call the API besides the site's own, e.g. "
        "`http://localhost:5173` for local development; a list, or a comma-separated string "
        "on the command line.",
        allowed="origins (`scheme://host[:port]`); `http://` only for loopback hosts "
        "(`localhost`, `127.0.0.0/8`, `[::1]`), every other origin must be `https://`; "
        "never `*`",
        check=_origins,
    )
    allow_credentials: bool = setting(
        default=True,
        key="allowCredentials",
        doc="Whether browsers may send cookies and authorization cross-origin (the demo SPA "
        "sends credentialed requests).",
    )

    def relations(self) -> None:
        if "*" not in self.extra_origins:
            return
        # The site's own origin is allowed besides these, so '*' never stands alone; with
        # credentials it would also hand every website credentialed access (the contract's
        # rule, which the service enforces too).
        try:
            contract.validate_cors_policy(
                origins=self.extra_origins,
                allow_credentials=self.allow_credentials,
                origin_regex=None,
            )
        except ValueError as exc:
            raise self.invalid("extra_origins", str(exc)) from None
        raise self.invalid(
            "extra_origins",
            "'*' cannot be combined with the site's own origin, which is always allowed; "
            "list origins explicitly",
        )
