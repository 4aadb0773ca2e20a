"""Real server processes for tests: started with the container's own command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.stack import free_port
from service.contract import HEALTH_PATH, SERVER_COMMAND, Env

__all__ = ["free_port", "run_to_exit", "running_server", "server_env", "start_server"]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before becoming healthy")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not healthy within {timeout}s")


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
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


def server_env(settings: Mapping[str, str], port: int) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("CORS_", "UVICORN_"))
    }
    env.pop(Env.FORWARDED_ALLOW_IPS, None)
    env.update({Env.HOST: "127.0.0.1", Env.PORT: str(port), "PATH": f"{BIN}:{env.get('PATH', '')}"})
    env.update(settings)
    return env


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
