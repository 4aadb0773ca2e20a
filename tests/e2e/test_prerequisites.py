"""A missing system tool must fail the suite with the install command, never skip it."""

from __future__ import annotations

import os
import shutil

import pytest

from devstack import prereqs


def test_missing_tools_are_named_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(prereqs.PrerequisiteError) as raised:
        prereqs.check(browser=True)
    message = str(raised.value)
    for tool in ("nginx", "openssl", "/usr/bin/chromium"):
        assert f"{tool} is not installed" in message
    assert "scripts/setup.sh --test" in message


def test_installed_tools_pass_the_check() -> None:
    prereqs.check(browser=True)
