"""The stand-in base: where it comes from, and one clear line when it cannot be made."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from devstack.image import base_image_name, debian_mirror, make_base
from devstack.podman import ContainerError
from devstack.processes import free_port

UNUSED_TAG = "localhost/cors-safe-stack-test:never-built"


def test_dockerfile_builds_on_a_slim_python_base() -> None:
    # The one value the built image cannot show: it is built on the stand-in for this base.
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", base_image_name())


def test_mirror_is_the_first_debian_archive_apt_uses(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n"
        "# http://snapshot.example/archive/debian/20250520T000000Z\n"
        "URIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n"
    )
    assert debian_mirror(tmp_path) == "http://mirror.example/debian"


def test_no_debian_archive_in_apts_sources_is_one_line_naming_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ContainerError) as raised:
        debian_mirror(tmp_path)
    assert str(raised.value) == (
        "cannot make the stand-in base image: apt names no Debian archive under "
        f"{tmp_path} (debootstrap needs one)"
    )


def test_unreachable_debian_archive_fails_with_one_line_naming_it() -> None:
    mirror = f"http://127.0.0.1:{free_port()}/debian"
    started = time.monotonic()
    with pytest.raises(ContainerError) as raised:
        make_base(UNUSED_TAG, base=base_image_name(), mirror=mirror)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"cannot make the stand-in base image: the Debian archive {mirror}")
    assert time.monotonic() - started < 60


def test_base_image_debian_cannot_stand_in_for_is_refused_with_one_line() -> None:
    with pytest.raises(ContainerError) as raised:
        make_base(UNUSED_TAG, base="python:3.12-slim-bookworm", mirror="http://unused.invalid")
    assert str(raised.value) == (
        "no stand-in for 'python:3.12-slim-bookworm': Debian bookworm ships python3 3.11, not 3.12"
    )
