"""Run the service image the way ECS runs the task, on loopback: tests, devstack and benchmarks.

Read-only root filesystem with only /tmp writable, the image's own user, the contract's
environment, every capability dropped, an init process (the task definition's linuxParameters),
and no-new-privileges, which Fargate cannot set but podman can. `--network host` lets tests reach
the server on 127.0.0.1 and lets the server see each client's real address (trusted proxies).
"""

from __future__ import annotations

import resource
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from devstack.podman import RUNTIME, ContainerError, last_line, podman, podman_binary
from devstack.processes import free_port
from service import contract
from service.contract import HEALTH_PATH, Env

NAME_PREFIX: Final = "cors-safe-stack"
LABEL: Final = "cors-safe-stack.owner=tests"
# runc must be given limits at or below the machine's hard limits, or it cannot set them.
ULIMITS: Final = {"nofile": (4096, resource.RLIMIT_NOFILE), "nproc": (1024, resource.RLIMIT_NPROC)}
START_TIMEOUT_SECONDS: Final = 30.0


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


def attached_command(image: str, name: str, settings: Mapping[str, str]) -> list[str]:
    """`podman run` in the foreground: SIGTERM to it reaches the container (--sig-proxy)."""
    return [podman_binary(), "--runtime", RUNTIME, "run", "--rm", *run_args(image, name, settings)]


def remove(name: str) -> None:
    """Remove a container whatever its state; a no-op when it is already gone."""
    podman("rm", "--force", "--ignore", "--time=0", name, check=False)


@dataclass
class Container:
    """A detached container running the service; stop() as ECS does, remove() always."""

    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inspect(self, field: str) -> str:
        return podman("inspect", "--format", "{{" + field + "}}", self.name).stdout.strip()

    def running(self) -> bool:
        return self.inspect(".State.Running") == "true"

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

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

    def stop(self, timeout: int) -> tuple[int, float]:
        """SIGTERM (the image's STOPSIGNAL), SIGKILL after timeout; (exit code, seconds)."""
        started = time.monotonic()
        podman("stop", f"--time={timeout}", self.name, timeout=timeout + 30)
        elapsed = time.monotonic() - started
        return int(self.inspect(".State.ExitCode")), elapsed

    def remove(self) -> None:
        remove(self.name)


def start(
    image: str, settings: Mapping[str, str], purpose: str = "svc", *, wait: bool = True
) -> Container:
    """Run the image detached on a free loopback port; with wait, until /healthz answers."""
    port = free_port()
    container = Container(name=unique_name(purpose), port=port)
    try:
        settings = loopback_settings(settings, port)
        podman("run", "--detach", *run_args(image, container.name, settings))
        if wait:
            wait_until_healthy(container)
    except BaseException:
        container.remove()
        raise
    return container


def wait_until_healthy(container: Container, timeout: float = START_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(container.url + HEALTH_PATH, timeout=1.0, trust_env=False)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not container.running():
            raise ContainerError(
                f"container {container.name} exited with {container.inspect('.State.ExitCode')} "
                f"before it was healthy: {last_line(container.logs())}"
            )
        time.sleep(0.1)
    raise ContainerError(f"container {container.name} was not healthy within {timeout:.0f}s")


@contextmanager
def running(image: str, settings: Mapping[str, str], purpose: str = "svc") -> Iterator[Container]:
    container = start(image, settings, purpose)
    try:
        yield container
    finally:
        container.remove()
