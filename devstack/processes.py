"""Running the service as the container does, on loopback: shared by devstack, tests, benchmarks.

One place for the environment a local server gets, how readiness is awaited (bounded) and how it
is stopped (SIGTERM as ECS sends it, then a kill after the deadline).
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from service.contract import Env

_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(settings: Mapping[str, str], port: int) -> dict[str, str]:
    """This process's environment minus any service setting, plus `settings`, on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CORS_", "UVICORN_")) and key != Env.FORWARDED_ALLOW_IPS
    }
    # The container binds 0.0.0.0 behind a security group; here only loopback exists.
    env.update(
        {Env.HOST: "127.0.0.1", Env.PORT: str(port), "PATH": f"{_BIN}:{env.get('PATH', '')}"}
    )
    env.update(settings)
    return env


def wait_until_healthy(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = 20.0,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """Poll url until it answers 200; raise RuntimeError if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} was healthy")
        try:
            if httpx.get(url, timeout=1.0, verify=verify, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not healthy within {timeout}s")


def stop(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, float]:
    """SIGTERM, wait up to timeout, then kill; return (exit code, seconds until it exited)."""
    started = time.monotonic()
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.returncode, time.monotonic() - started
