"""The Dockerfile's contract, read from its text (tests/container builds and runs the image)."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from service import contract
from service.contract import Env
from tests.service.conftest import SETTINGS
from tests.support.servers import ROOT, free_port, server_env, start_server

DOCKERFILE = (ROOT / "service" / "Dockerfile").read_text()


def instruction(name: str) -> list[str]:
    """Every instance of a Dockerfile instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for block in instruction("ENV"):
        for key, value in re.findall(r"(\w+)=(\S+)", block):
            env[key] = value
    return env


def test_dockerfile_cmd_is_the_contract_server_command() -> None:
    (cmd,) = instruction("CMD")
    assert tuple(json.loads(cmd)) == contract.SERVER_COMMAND


def test_server_command_trusts_proxy_headers() -> None:
    assert "--proxy-headers" in contract.SERVER_COMMAND


def test_image_runs_as_a_non_root_user() -> None:
    (user,) = instruction("USER")
    assert user.split(":")[0] not in {"0", "root"}


def test_image_uses_a_slim_base() -> None:
    (base,) = instruction("FROM")
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", base.strip())


def test_image_never_trusts_every_proxy() -> None:
    assert Env.FORWARDED_ALLOW_IPS not in dockerfile_env()
    assert "forwarded-allow-ips" not in DOCKERFILE


def test_image_listens_on_the_contract_port() -> None:
    assert dockerfile_env()[Env.PORT] == str(contract.CONTAINER_PORT)


def test_image_shutdown_timeout_is_the_contract_default() -> None:
    timeout = dockerfile_env()[Env.GRACEFUL_SHUTDOWN_SECONDS]
    assert timeout == str(contract.DEFAULT_GRACEFUL_SHUTDOWN_SECONDS)


def test_image_keeps_connections_open_longer_than_an_alb() -> None:
    keep_alive = int(dockerfile_env()[Env.KEEP_ALIVE_SECONDS])
    assert keep_alive == contract.KEEP_ALIVE_SECONDS
    assert keep_alive > 60  # the ALB's default idle timeout


def test_server_keeps_an_idle_connection_open_past_five_seconds(tmp_path: Path) -> None:
    # uvicorn's own default (5 s) would close it; the contract's value must reach uvicorn.
    settings = {**SETTINGS, Env.KEEP_ALIVE_SECONDS: str(contract.KEEP_ALIVE_SECONDS)}
    server = start_server(settings, tmp_path / "server.log")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b"ok"
        first_socket = conn.sock
        time.sleep(6)
        # Raises RemoteDisconnected if the server closed the idle connection.
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b"ok"
        assert conn.sock is first_socket
    finally:
        conn.close()
        server.terminate()


def test_image_writes_no_bytecode_at_run_time() -> None:
    # The root filesystem is read-only in ECS; only /tmp is writable.
    assert dockerfile_env()["PYTHONDONTWRITEBYTECODE"] == "1"
    assert dockerfile_env()["TMPDIR"] == "/tmp"


def test_service_dependencies_are_pinned() -> None:
    lines = (ROOT / "service" / "requirements.txt").read_text().splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements
    assert all("==" in line for line in requirements)
    assert any(line.startswith("uvicorn[standard]==") for line in requirements)


def healthcheck_command() -> list[str]:
    (check,) = instruction("HEALTHCHECK")
    return list(json.loads(check.split("CMD", 1)[1]))


def test_healthcheck_passes_against_a_running_server(tmp_path: Path) -> None:
    server = start_server(SETTINGS, tmp_path / "server.log")
    try:
        command = [sys.executable if part == "python" else part for part in healthcheck_command()]
        env = server_env(SETTINGS, server.port)
        assert subprocess.run(command, env=env, timeout=10, check=False).returncode == 0
    finally:
        server.terminate()


def test_healthcheck_fails_when_nothing_listens() -> None:
    command = [sys.executable if part == "python" else part for part in healthcheck_command()]
    env = server_env(SETTINGS, free_port())
    result = subprocess.run(command, env=env, timeout=10, capture_output=True, check=False)
    assert result.returncode != 0


def slow_requests(url: str, count: int, ms: int) -> list[concurrent.futures.Future[httpx.Response]]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=count)
    futures = [pool.submit(httpx.get, f"{url}/api/slow?ms={ms}", timeout=30) for _ in range(count)]
    pool.shutdown(wait=False)
    return futures


def test_sigterm_lets_in_flight_requests_finish(tmp_path: Path) -> None:
    server = start_server(SETTINGS, tmp_path / "server.log")
    futures = slow_requests(server.url, count=4, ms=3000)
    time.sleep(1.5)  # well inside the 3 s the requests take, even on a loaded machine
    assert not any(f.done() for f in futures)
    code, _ = server.terminate(timeout=15)
    assert [f.result().status_code for f in futures] == [200] * 4
    # uvicorn re-raises the captured SIGTERM after a clean shutdown.
    assert code in (0, -signal.SIGTERM)


def test_sigterm_exits_within_the_configured_timeout(tmp_path: Path) -> None:
    settings = {**SETTINGS, Env.GRACEFUL_SHUTDOWN_SECONDS: "1"}
    server = start_server(settings, tmp_path / "server.log")
    futures = slow_requests(server.url, count=2, ms=8000)
    time.sleep(1.5)
    assert not any(f.done() for f in futures)
    started = time.monotonic()
    server.terminate(timeout=15)
    elapsed = time.monotonic() - started
    assert elapsed < 4, f"took {elapsed:.1f}s with a 1s graceful-shutdown timeout"
    # The requests were in flight and were cut off at the deadline, not answered as a success.
    assert "timeout graceful shutdown exceeded" in server.output()
    outcomes: set[object] = set()
    for future in futures:
        try:
            outcomes.add(future.result().status_code)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            outcomes.add("connection cut")
    assert outcomes <= {500, "connection cut"}
