"""The Lambda function's code, built at synth without Docker and cached between synths.

The bundle is the `service` package plus its pinned runtime distributions, installed by pip
from the lock's hashes as wheels for the function's platform (manylinux, CPython 3.11, the
chosen architecture), never for the machine running synth. Distributions only the container's
server needs (uvicorn and its extras) are left out. The result is cached under `.build/lambda/`
keyed by a hash of the sources, the lock, the exclusions and the platform: a second synth with
nothing changed copies nothing and runs no pip.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
SERVICE_DIR: Final = ROOT / "service"
LOCK: Final = SERVICE_DIR / "requirements.lock"
CACHE_DIR: Final = ROOT / ".build" / "lambda"
PYTHON_VERSION: Final = "3.11"
# What only uvicorn (the container's server) needs; on Lambda, Mangum is the server.
SERVER_ONLY_DISTRIBUTIONS: Final = frozenset(
    {"uvicorn", "uvloop", "httptools", "watchfiles", "websockets", "click", "h11", "pyyaml"}
)
PLATFORMS: Final = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
MARKER: Final = ".bundle-complete"
PIP_TIMEOUT_SECONDS: Final = 600
_REQUIREMENT: Final = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")


class BundleError(RuntimeError):
    """pip could not build the bundle; str() is one line."""


def _service_files() -> list[Path]:
    return sorted(path for path in SERVICE_DIR.rglob("*.py") if "__pycache__" not in path.parts)


def function_requirements(lock_text: str) -> str:
    """The lock's requirements (with their hashes) minus the server-only distributions."""
    kept: list[str] = []
    skipping = False
    for line in lock_text.splitlines():
        match = _REQUIREMENT.match(line)
        if match:
            skipping = match.group(1).lower().replace("_", "-") in SERVER_ONLY_DISTRIBUTIONS
        elif not line.startswith((" ", "\t")):
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def bundle_key(architecture: str) -> str:
    digest = hashlib.sha256()
    for path in _service_files():
        digest.update(str(path.relative_to(SERVICE_DIR)).encode())
        digest.update(path.read_bytes())
    digest.update(LOCK.read_bytes())
    digest.update(",".join(sorted(SERVER_ONLY_DISTRIBUTIONS)).encode())
    digest.update(f"{PLATFORMS[architecture]}/{PYTHON_VERSION}".encode())
    return digest.hexdigest()[:24]


def bundle(architecture: str) -> Path:
    """The bundle directory for `architecture` ("arm64" or "x86_64"), built if not cached."""
    target = CACHE_DIR / f"{architecture}-{bundle_key(architecture)}"
    if (target / MARKER).is_file():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR, prefix="building-") as work:
        staging = Path(work) / "bundle"
        requirements = Path(work) / "requirements.txt"
        requirements.write_text(function_requirements(LOCK.read_text(encoding="utf-8")))
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--require-hashes", "--only-binary=:all:",
            "--platform", PLATFORMS[architecture], "--implementation", "cp",
            "--python-version", PYTHON_VERSION, "--target", str(staging),
            "-r", str(requirements),
        ]  # fmt: skip
        try:
            done = subprocess.run(  # noqa: S603 - a fixed pip command, no shell
                command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            raise BundleError(
                f"pip did not finish the Lambda bundle in {PIP_TIMEOUT_SECONDS} s"
            ) from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise BundleError(f"pip could not install the Lambda bundle's wheels: {last}")
        for source in _service_files():
            destination = staging / "service" / source.relative_to(SERVICE_DIR)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
        for cache in staging.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        (staging / MARKER).write_text(target.name)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target
