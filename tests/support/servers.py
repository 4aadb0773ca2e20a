"""Real service processes for tests, through devstack.processes (the container's command line)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from devstack.processes import (
    ROOT,
    ServerError,
    ServerProcess,
    free_port,
    server_env,
    start_service,
)
from service.contract import SERVER_COMMAND

__all__ = [
    "ROOT",
    "Server",
    "free_port",
    "run_to_exit",
    "running_server",
    "server_env",
    "start_server",
]

Server = ServerProcess


def start_server(settings: Mapping[str, str], log: Path) -> Server:
    """Run contract.SERVER_COMMAND, exactly as the container does, on a free loopback port."""
    try:
        return start_service(settings, log, stop_timeout=30.0)
    except ServerError as exc:
        # The test's failure shows the whole log, not only its last line.
        output = log.read_text(errors="replace") if log.exists() else ""
        raise ServerError(f"{exc}\n{output}") from None


@contextmanager
def running_server(settings: Mapping[str, str], log: Path) -> Iterator[Server]:
    with start_server(settings, log) as server:
        yield server


def run_to_exit(
    settings: Mapping[str, str], timeout: float = 20.0
) -> subprocess.CompletedProcess[str]:
    """Run the server command expecting it to refuse to start; return what it printed."""
    return subprocess.run(
        list(SERVER_COMMAND),
        cwd=ROOT,
        env=server_env(settings, free_port()),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
