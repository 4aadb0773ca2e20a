"""The service's dependency lock, and what an image of it actually installed.

service/requirements.txt names the direct dependencies; service/requirements.lock (pip-compile
--generate-hashes, see its header) pins every distribution with the hashes of its files, and the
Dockerfile installs exactly that with --require-hashes --no-deps.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final

from devstack.container import Container

ROOT: Final = Path(__file__).resolve().parents[1]
LOCK: Final = ROOT / "service" / "requirements.lock"
REQUIREMENTS: Final = ROOT / "service" / "requirements.txt"
# The base image's own packaging tools; everything else in the image must come from the lock.
BASE_DISTRIBUTIONS: Final = frozenset({"pip", "setuptools", "wheel"})
_LIST_DISTRIBUTIONS: Final = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)


def canonical(name: str) -> str:
    """PEP 503 normalized name: Typing_Extensions and typing-extensions are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_versions(path: Path) -> dict[str, str]:
    """name -> version for each `name[extras]==version` line; comments and hashes are skipped."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def locked_hashes(path: Path = LOCK) -> dict[str, list[str]]:
    """`name==version` -> the sha256 hashes listed under it."""
    entries: dict[str, list[str]] = {}
    current = ""
    for line in path.read_text().splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            current = line.split()[0]
            entries[current] = []
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        if hashes:
            entries[current].extend(hashes)
    return entries


def installed_distributions(running: Container) -> dict[str, str]:
    """name -> version of every distribution Python finds inside the running container."""
    listed = running.exec("python", "-c", _LIST_DISTRIBUTIONS)
    if listed.returncode != 0:
        raise RuntimeError(f"listing distributions failed: {listed.stderr.strip()}")
    return {canonical(name): version for name, version in json.loads(listed.stdout).items()}
