"""The one server-process helper: loopback and a free port, a bounded wait until ready, output
in a file, the stop signal then a kill after a bounded wait, the exit code and how long it took."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from devstack.processes import ServerError, ServerProcess, server_env
from service.contract import Env
from tests.devstack.toy_server import EXIT_CODE_ON_SIGTERM, SHUTDOWN_SECONDS


def toy(tmp_path: Path, mode: str = "exit") -> ServerProcess:
    command = [sys.executable, "-m", "tests.devstack.toy_server", mode]
    return ServerProcess("toy", command, log=tmp_path / "toy.log")


def test_server_is_ready_on_loopback_and_its_output_goes_to_the_log(tmp_path: Path) -> None:
    with toy(tmp_path) as server:
        server.wait_until_ready()
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url + "/healthz", trust_env=False).status_code == 200
        assert server.output() == f"listening on 127.0.0.1:{server.port}\n"
        assert (tmp_path / "toy.log").read_text() == server.output()


def test_settings_never_move_a_server_off_loopback_or_its_port() -> None:
    # The task definition's own environment says 0.0.0.0:8000; here it must not win.
    env = server_env({Env.HOST: "0.0.0.0", Env.PORT: "8000", "LOG_LEVEL": "debug"}, 4321)  # noqa: S104
    assert (env[Env.HOST], env[Env.PORT], env["LOG_LEVEL"]) == ("127.0.0.1", "4321", "debug")


def test_terminate_sends_the_stop_signal_and_reports_exit_code_and_duration(
    tmp_path: Path,
) -> None:
    with toy(tmp_path) as server:
        server.wait_until_ready()
        code, seconds = server.terminate()
        assert code == EXIT_CODE_ON_SIGTERM
        assert SHUTDOWN_SECONDS <= seconds < SHUTDOWN_SECONDS + 5
        assert "got SIGTERM, exit" in server.output()
        assert not server.running()
        # Asked again, it reports the same exit rather than signalling anything.
        assert server.terminate() == (code, seconds)


def test_a_server_that_ignores_the_stop_signal_is_killed_after_the_timeout(
    tmp_path: Path,
) -> None:
    with toy(tmp_path, "ignore") as server:
        server.wait_until_ready()
        code, seconds = server.terminate(timeout=0.5)
    assert code == -signal.SIGKILL
    assert 0.5 <= seconds < 5
    assert "got SIGTERM, ignore" in server.output()


def test_a_server_that_exits_before_it_is_ready_is_one_line_with_its_last_words(
    tmp_path: Path,
) -> None:
    command = [sys.executable, "-c", "print('starting'); print('error: bad setting'); exit(3)"]
    server = ServerProcess("broken", command, log=tmp_path / "broken.log")
    with pytest.raises(ServerError) as raised:
        server.wait_until_ready()
    assert str(raised.value) == (
        f"broken exited with 3 before it was ready: error: bad setting (log: {server.log})"
    )


def test_a_server_never_ready_fails_at_the_timeout_and_is_stopped(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    server = ServerProcess("silent", command, log=tmp_path / "silent.log")
    started = time.monotonic()
    with pytest.raises(ServerError, match=r"^silent was not ready within 1s \(log: "):
        server.wait_until_ready(timeout=1.0)
    assert time.monotonic() - started < 1.0 + 5
    assert not server.running()
    assert server.terminate().code == -signal.SIGTERM


def test_a_command_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ServerError) as raised:
        ServerProcess("ghost", ["/nonexistent/ghost-server"], log=tmp_path / "ghost.log")
    assert str(raised.value) == (
        "ghost could not start /nonexistent/ghost-server: No such file or directory"
    )
