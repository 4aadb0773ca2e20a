"""The health probe (`python -m service.healthcheck`, contract.HEALTH_CHECK_COMMAND) against a
real server: 0 when it answers 200, 1 with one line saying why otherwise.

tests/container runs the same command inside the image (podman healthcheck run).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from service import contract
from service.contract import Env
from tests.service.conftest import SETTINGS
from tests.support.servers import ROOT, Server, free_port, running_server, server_env

HEALTH_CHECK = contract.HEALTH_CHECK_COMMAND


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("healthcheck") / "server.log"
    with running_server(SETTINGS, log) as running:
        yield running


def run_probe(port: int | str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    """The contract's command as the container runs it, with this venv's python, UVICORN_PORT
    set to `port` and, if given, another path in place of the health path."""
    command = [sys.executable if part == "python" else part for part in HEALTH_CHECK[1:]]
    if path is not None:
        command[-1] = path
    env = {**server_env({}, 0), Env.PORT: str(port)}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=10, check=False
    )


def test_contract_command_runs_the_probe_module_on_the_health_path() -> None:
    assert HEALTH_CHECK == ("CMD", "python", "-m", "service.healthcheck", contract.HEALTH_PATH)


def test_probe_passes_against_a_running_server(server: Server) -> None:
    result = run_probe(server.port)
    assert (result.returncode, result.stderr) == (0, "")


def test_probe_fails_with_one_line_when_nothing_listens() -> None:
    port = free_port()
    result = run_probe(port)
    assert result.returncode == 1
    assert result.stderr.startswith(f"unhealthy: http://127.0.0.1:{port}/healthz: ")
    assert result.stderr.count("\n") == 1


def test_probe_fails_when_the_path_answers_anything_but_200(server: Server) -> None:
    result = run_probe(server.port, "/api/items/999999")
    assert result.returncode == 1
    assert result.stderr == (
        f"unhealthy: http://127.0.0.1:{server.port}/api/items/999999 answered 404, not 200\n"
    )


def test_probe_refuses_a_port_that_is_not_a_number() -> None:
    result = run_probe("eighty")
    assert result.returncode == 1
    assert result.stderr == f"unhealthy: {Env.PORT}='eighty' is not a port\n"


def test_probe_refuses_a_path_without_a_leading_slash(server: Server) -> None:
    result = run_probe(server.port, "healthz")
    assert result.returncode == 1
    assert result.stderr == "unhealthy: 'healthz' is not a path (it must start with /)\n"


def test_probe_imports_only_the_standard_library_and_the_contract() -> None:
    # It runs every few seconds in every task: no web stack may load with it.
    listed = subprocess.run(
        # -S: no site-packages (nor what their .pth files load), so only the stdlib is importable.
        [
            sys.executable,
            "-S",
            "-c",
            "import sys, service.healthcheck; print(*sorted(sys.modules))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    modules = set(listed.stdout.split())
    ours = {name for name in modules if name == "service" or name.startswith("service.")}
    assert ours == {"service", "service.contract", "service.healthcheck"}
    others = {name.split(".")[0] for name in modules - ours}
    assert others - set(sys.stdlib_module_names) - {"__main__"} == set()
