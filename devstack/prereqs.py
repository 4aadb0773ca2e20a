"""The system tools the local stack needs, checked up front so a missing one fails loudly."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "install them with `scripts/setup.sh --test` (apt: nginx-light chromium openssl)"


class PrerequisiteError(RuntimeError):
    """A tool the stack or the browser tests need is not installed."""


def _which(name: str, *fallbacks: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in fallbacks:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def nginx_binary() -> str:
    # Debian puts nginx in /usr/sbin, which is not on every user's PATH.
    found = _which("nginx", "/usr/sbin/nginx")
    if found is None:
        raise PrerequisiteError(f"nginx is not installed; {INSTALL_HINT}")
    return found


def openssl_binary() -> str:
    found = _which("openssl")
    if found is None:
        raise PrerequisiteError(f"openssl is not installed; {INSTALL_HINT}")
    return found


def chromium_binary() -> str:
    # Playwright cannot download its own browser here, so Debian's chromium is the one we drive.
    if not os.access(CHROMIUM, os.X_OK) or not Path(CHROMIUM).is_file():
        raise PrerequisiteError(f"{CHROMIUM} is not installed; {INSTALL_HINT}")
    return CHROMIUM


def check(*, browser: bool) -> None:
    """Raise one PrerequisiteError naming every missing tool."""
    problems: list[str] = []
    checks = [nginx_binary, openssl_binary, *([chromium_binary] if browser else [])]
    for probe in checks:
        try:
            probe()
        except PrerequisiteError as exc:
            problems.append(str(exc))
    if problems:
        raise PrerequisiteError("; ".join(problems))
