"""The image installs a lock: every distribution pinned, each with the hashes of its files."""

from __future__ import annotations

from devstack.lock import LOCK, REQUIREMENTS, locked_hashes, pinned_versions


def test_lock_pins_every_requirement_at_the_same_version() -> None:
    locked = pinned_versions(LOCK)
    wanted = pinned_versions(REQUIREMENTS)
    assert wanted
    assert {name: locked.get(name) for name in wanted} == wanted


def test_every_locked_distribution_has_file_hashes() -> None:
    entries = locked_hashes()
    assert len(entries) > len(pinned_versions(REQUIREMENTS))  # the transitive ones are locked too
    assert [entry for entry, hashes in entries.items() if not hashes] == []


def test_every_direct_requirement_is_pinned() -> None:
    lines = REQUIREMENTS.read_text().splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements
    assert all("==" in line for line in requirements)
    assert any(line.startswith("uvicorn[standard]==") for line in requirements)
