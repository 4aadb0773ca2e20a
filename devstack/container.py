"""Run the service image the way ECS runs the task, on loopback: tests, devstack and benchmarks.

Read-only root filesystem with only /tmp writable, the image's own user, the contract's
environment, every capability dropped, an init process (the task definition's linuxParameters),
and no-new-privileges, which Fargate cannot set but podman can. `--network host` lets tests reach
the server on 127.0.0.1 and lets the server see each client's real address (trusted proxies).

A `Container` is a `devstack.processes.ServerProcess` whose process is `podman run` in the
foreground: the same url, output(), wait_until_ready() and terminate() as a local process. Its
SIGTERM reaches the container (podman's --sig-proxy) as ECS's does; its exit code is the
container's (143 after uvicorn's clean SIGTERM under the init).
"""

from __future__ import annotations

import resource
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from devstack.podman import RUNTIME, podman, podman_binary
from devstack.processes import Exit, ServerProcess, free_port
from service import contract
from service.contract import Env

NAME_PREFIX: Final = "cors-safe-stack"
LABEL: Final = "cors-safe-stack.owner=tests"
# runc must be given limits at or below the machine's hard limits, or it cannot set them.
ULIMITS: Final = {"nofile": (4096, resource.RLIMIT_NOFILE), "nproc": (1024, resource.RLIMIT_NPROC)}
START_TIMEOUT_SECONDS: Final = 30.0
STOP_TIMEOUT_SECONDS: Final = 30.0


def _ulimit_args() -> list[str]:
    args = []
    for name, (wanted, which) in ULIMITS.items():
        hard = resource.getrlimit(which)[1]
        value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        args.append(f"--ulimit={name}={value}:{value}")
    return args


def hardening_args() -> list[str]:
    """The task definition's lock-down (service.contract), plus no-new-privileges."""
    args = [f"--cap-drop={capability}" for capability in contract.DROPPED_CAPABILITIES]
    if contract.INIT_PROCESS:
        args.append("--init")
    args.append("--security-opt=no-new-privileges")
    return args


def run_args(image: str, name: str, settings: Mapping[str, str]) -> list[str]:
    """`podman run` options after `run`, ending with the image (its CMD is the contract's)."""
    return [
        f"--name={name}",
        f"--label={LABEL}",
        "--network=host",
        # ECS's readonlyRootFilesystem: podman would otherwise also mount /var/tmp and /run.
        "--read-only",
        "--read-only-tmpfs=false",
        "--tmpfs=/tmp",
        *_ulimit_args(),
        *hardening_args(),
        *[f"--env={key}={value}" for key, value in settings.items()],
        image,
    ]


def unique_name(purpose: str) -> str:
    return f"{NAME_PREFIX}-{purpose}-{uuid.uuid4().hex[:8]}"


def loopback_settings(settings: Mapping[str, str], port: int) -> dict[str, str]:
    """The task's environment with the listener moved to 127.0.0.1 and a free port."""
    return {**settings, Env.HOST: "127.0.0.1", Env.PORT: str(port)}


def remove(name: str) -> None:
    """Remove a container whatever its state; a no-op when it is already gone."""
    podman("rm", "--force", "--ignore", "--time=0", name, check=False)


class Container(ServerProcess):
    """The image running as the task does, started on construction; terminate() as ECS stops it."""

    def __init__(
        self,
        image: str,
        settings: Mapping[str, str],
        *,
        log: Path,
        purpose: str = "svc",
        port: int | None = None,
        stop_timeout: float = STOP_TIMEOUT_SECONDS,
    ) -> None:
        name = unique_name(purpose)
        port = free_port() if port is None else port
        run = [podman_binary(), "--runtime", RUNTIME, "run", "--rm"]
        command = [*run, *run_args(image, name, loopback_settings(settings, port))]
        super().__init__(
            name,
            command,
            log=log,
            port=port,
            stop_timeout=stop_timeout,
            startup_timeout=START_TIMEOUT_SECONDS,
        )

    def terminate(self, timeout: float | None = None) -> Exit:
        """SIGTERM through podman, a kill after `timeout`; then the container is gone for sure."""
        result = super().terminate(timeout)
        # Left behind only if podman itself had to be killed; `--rm` removed it otherwise.
        remove(self.name)
        return result

    def inspect(self, field: str) -> str:
        return podman("inspect", "--format", "{{" + field + "}}", self.name).stdout.strip()

    def exec(self, *command: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command in the container, as its user unless another is given."""
        as_user = [f"--user={user}"] if user is not None else []
        return podman("exec", *as_user, self.name, *command, check=False)

    def healthcheck(self) -> subprocess.CompletedProcess[str]:
        """Run the image's HEALTHCHECK once inside the container (returncode 0 = healthy)."""
        return podman("healthcheck", "run", self.name, check=False)

    def server_status(self) -> dict[str, str]:
        """/proc/<pid>/status of the server process (the init's child), read on the host."""
        init = int(self.inspect(".State.Pid"))
        children = Path(f"/proc/{init}/task/{init}/children").read_text().split()
        pid = int(children[0]) if children else init
        status = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            status[key] = value.strip()
        status["init_comm"] = Path(f"/proc/{init}/comm").read_text().strip()
        return status


def start(image: str, settings: Mapping[str, str], *, log: Path, purpose: str = "svc") -> Container:
    """Run the image on a free loopback port until /healthz answers; ServerError if it does not."""
    container = Container(image, settings, log=log, purpose=purpose)
    container.wait_until_ready()
    return container
