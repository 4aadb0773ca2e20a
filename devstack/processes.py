"""The one way a server runs here: devstack, every test and every benchmark start servers with it.

A server is a command on 127.0.0.1 and a free port, its output in a file, awaited until a probe
passes (bounded in time) and stopped as ECS stops a task: its stop signal, then a kill after a
bounded wait, reporting the exit code and how long it took. `devstack.container` runs the image
through the same class, so a process and a container look alike to their users.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final, NamedTuple, Self

import httpx

from service.contract import HEALTH_PATH, SERVER_COMMAND, Env

ROOT: Final = Path(__file__).resolve().parents[1]
LOOPBACK: Final = "127.0.0.1"
DEFAULT_APP: Final = "service.app:create_app"
STARTUP_TIMEOUT_SECONDS: Final = 20.0
STOP_TIMEOUT_SECONDS: Final = 10.0
# After the kill: the kernel ends a killed process at once; this only bounds a stuck wait.
KILL_WAIT_SECONDS: Final = 5.0
POLL_SECONDS: Final = 0.05
_BIN = Path(sys.executable).parent

# Answers True once the server is ready; must itself return within about a second.
Probe = Callable[[], bool]


class ServerError(RuntimeError):
    """A server exited or never became ready; str() is one line saying which and why."""


class Exit(NamedTuple):
    code: int  # the process's return code: negative for a signal (-15 = SIGTERM)
    seconds: float  # from the stop signal until it exited


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(settings: Mapping[str, str], port: int) -> dict[str, str]:
    """This process's environment minus any service setting, plus `settings`, on loopback:
    UVICORN_HOST is 127.0.0.1 and UVICORN_PORT is `port`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CORS_", "UVICORN_")) and key != Env.FORWARDED_ALLOW_IPS
    }
    env["PATH"] = f"{_BIN}:{env.get('PATH', '')}"
    env.update(settings)
    # The container binds 0.0.0.0 behind a security group; here only loopback exists, whatever
    # the settings (often the task definition's own) say.
    env.update({Env.HOST: LOOPBACK, Env.PORT: str(port)})
    return env


def service_command(app: str = DEFAULT_APP) -> list[str]:
    """The container's command line, with only the app factory swapped (for negative controls)."""
    if DEFAULT_APP not in SERVER_COMMAND:
        raise RuntimeError(f"{DEFAULT_APP} is not in contract.SERVER_COMMAND {SERVER_COMMAND}")
    return [app if part == DEFAULT_APP else part for part in SERVER_COMMAND]


def http_ok(url: str, verify: ssl.SSLContext | bool = True) -> Probe:
    """Ready when GET url answers 200 (no proxy from the environment, no redirect followed)."""

    def probe() -> bool:
        try:
            response = httpx.get(url, timeout=1.0, verify=verify, trust_env=False)
        except httpx.TransportError:
            return False
        return response.status_code == 200

    return probe


def ports_open(*ports: int) -> Probe:
    """Ready when every port accepts a TCP connection on loopback."""

    def probe() -> bool:
        for port in ports:
            try:
                with socket.create_connection((LOOPBACK, port), timeout=0.2):
                    pass
            except OSError:
                return False
        return True

    return probe


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _await(
    ready: Probe, process: subprocess.Popen[bytes], timeout: float, *, what: str, log: Path | None
) -> None:
    """The one readiness loop: bounded in time, and ended early by the process exiting."""
    where = f" (log: {log})" if log is not None else ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            output = log.read_text(errors="replace") if log is not None and log.exists() else ""
            raise ServerError(
                f"{what} exited with {process.returncode} before it was ready: "
                f"{last_line(output)}{where}"
            )
        time.sleep(POLL_SECONDS)
    raise ServerError(f"{what} was not ready within {timeout:.0f}s{where}")


def stop(
    process: subprocess.Popen[bytes], timeout: float, stop_signal: int = signal.SIGTERM
) -> Exit:
    """The stop signal, a kill after `timeout`; the exit code and seconds until it exited."""
    started = time.monotonic()
    if process.poll() is None:
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=KILL_WAIT_SECONDS)
    return Exit(process.returncode, time.monotonic() - started)


def wait_until_healthy(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = STARTUP_TIMEOUT_SECONDS,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """For a Popen started elsewhere (benchmarks/service_bench.py): the same loop on `url`."""
    _await(http_ok(url, verify), process, timeout, what=f"the server of {url}", log=None)


class ServerProcess:
    """One server on loopback, started on construction. A context manager that terminates it."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        log: Path,
        settings: Mapping[str, str] | None = None,
        port: int | None = None,
        scheme: str = "http",
        ready: Probe | None = None,
        stop_signal: int = signal.SIGTERM,
        stop_timeout: float = STOP_TIMEOUT_SECONDS,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> None:
        self.name = name
        self.port = free_port() if port is None else port
        self.scheme = scheme
        self.log = log
        self.stop_signal = stop_signal
        self.stop_timeout = stop_timeout
        self.startup_timeout = startup_timeout
        self._ready = ready or http_ok(self.url + HEALTH_PATH)
        self._exit: Exit | None = None
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_handle: IO[bytes] = log.open("wb")
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own commands, never a shell
                list(command),
                cwd=ROOT,
                env=server_env(settings or {}, self.port),
                stdout=self._log_handle,
                stderr=subprocess.STDOUT,
                # Out of the terminal's process group: a Ctrl-C reaches only the caller, which
                # stops its servers itself, in its own order.
                start_new_session=True,
            )
        except OSError as exc:
            self._log_handle.close()
            raise ServerError(f"{name} could not start {command[0]}: {exc.strerror}") from None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{LOOPBACK}:{self.port}"

    def output(self) -> str:
        """Everything the server wrote so far (stdout and stderr), also after it exited."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_until_ready(self, timeout: float | None = None) -> None:
        """Poll the probe until it passes (at most `timeout`, default startup_timeout). If the
        server exits or time runs out, terminate it and raise ServerError."""
        limit = self.startup_timeout if timeout is None else timeout
        try:
            _await(self._ready, self.process, limit, what=self.name, log=self.log)
        except BaseException:
            self.terminate()
            raise

    def terminate(self, timeout: float | None = None) -> Exit:
        """The stop signal, a kill after `timeout` (default stop_timeout); the exit, once known."""
        if self._exit is None:
            limit = self.stop_timeout if timeout is None else timeout
            self._exit = stop(self.process, limit, self.stop_signal)
            self._log_handle.close()
        return self._exit

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.terminate()


def start_service(
    settings: Mapping[str, str],
    log: Path,
    *,
    app: str = DEFAULT_APP,
    extra_args: Sequence[str] = (),
    stop_timeout: float = STOP_TIMEOUT_SECONDS,
) -> ServerProcess:
    """The service with the container's command line and `settings`, ready on a free port."""
    command = [*service_command(app), *extra_args]
    server = ServerProcess(
        "service", command, log=log, settings=settings, stop_timeout=stop_timeout
    )
    server.wait_until_ready()
    return server
