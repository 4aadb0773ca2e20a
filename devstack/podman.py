"""Calling podman on these machines: no Docker daemon, cgroups in hybrid mode.

crun, podman's default runtime, refuses hybrid cgroups here (`cgroups in hybrid mode not
supported`); runc works, so every call names it.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import IO, Final

from devstack.prereqs import PrerequisiteError
from devstack.processes import last_line

RUNTIME: Final = "runc"
PODMAN_TIMEOUT_SECONDS: Final = 120
INSTALL_HINT: Final = "install them with `scripts/setup.sh --test` (apt: podman runc debootstrap)"

__all__ = ["INSTALL_HINT", "RUNTIME", "ContainerError", "last_line", "podman", "podman_binary"]


class ContainerError(RuntimeError):
    """Building or running the image failed; str() is one line saying what and why."""


def podman_binary() -> str:
    missing = [tool for tool in ("podman", RUNTIME) if shutil.which(tool) is None]
    if missing:
        raise PrerequisiteError(f"{' and '.join(missing)} not installed; {INSTALL_HINT}")
    found = shutil.which("podman")
    assert found is not None  # noqa: S101 - checked just above; narrows the type
    return found


def podman(
    *args: str,
    timeout: float = PODMAN_TIMEOUT_SECONDS,
    check: bool = True,
    stdin: IO[bytes] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `podman --runtime runc <args>`; with check, a failure raises one ContainerError line."""
    command = [podman_binary(), "--runtime", RUNTIME, *args]
    try:
        result = subprocess.run(  # noqa: S603 - our own arguments, no shell
            command,
            capture_output=True,
            text=stdin is None,
            timeout=timeout,
            stdin=stdin,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ContainerError(f"podman {args[0]} did not finish within {timeout:.0f}s") from None
    if stdin is not None:  # binary mode when feeding a stream; callers read text
        result = subprocess.CompletedProcess(
            result.args,
            result.returncode,
            result.stdout.decode(errors="replace"),
            result.stderr.decode(errors="replace"),
        )
    if check and result.returncode != 0:
        raise ContainerError(
            f"podman {' '.join(args[:2])} failed: {last_line(result.stderr or result.stdout)}"
        )
    return result
