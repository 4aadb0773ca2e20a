"""Real server processes for tests: started with the container's own command line."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import free_port, server_env, stop, wait_until_healthy
from service.contract import HEALTH_PATH, SERVER_COMMAND

__all__ = [
    "free_port",
    "run_to_exit",
    "running_server",
    "server_env",
    "start_server",
    "wait_until_healthy",
]

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        return stop(self.process, timeout)[0]


def start_server(settings: Mapping[str, str], log: Path) -> Server:
    """Run contract.SERVER_COMMAND, exactly as the container does, on a free loopback port."""
    port = free_port()
    handle = log.open("wb")
    process = subprocess.Popen(
        list(SERVER_COMMAND),
        cwd=ROOT,
        env=server_env(settings, port),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    server = Server(process=process, port=port, log=log)
    try:
        wait_until_healthy(server.url + HEALTH_PATH, process)
    except RuntimeError as exc:
        server.stop()
        raise RuntimeError(f"{exc}\n{server.output()}") from None
    return server


@contextmanager
def running_server(settings: Mapping[str, str], log: Path) -> Iterator[Server]:
    server = start_server(settings, log)
    try:
        yield server
    finally:
        server.stop()


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
