"""The container's command line (contract.SERVER_COMMAND) as a real process: proxy headers,
keep-alive and graceful SIGTERM. tests/container checks the built image runs this same command.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import signal
import time
from pathlib import Path

import httpx

from service import contract
from service.contract import Env
from tests.service.conftest import SETTINGS
from tests.support.servers import start_server


def test_server_command_trusts_proxy_headers() -> None:
    assert "--proxy-headers" in contract.SERVER_COMMAND


def test_server_command_never_trusts_every_proxy_itself() -> None:
    # The trusted network comes from FORWARDED_ALLOW_IPS, the deployment's VPC CIDR.
    assert not any("forwarded-allow-ips" in part for part in contract.SERVER_COMMAND)


def test_server_keeps_an_idle_connection_open_past_five_seconds(tmp_path: Path) -> None:
    # uvicorn's own default (5 s) would close it; the contract's value must reach uvicorn.
    settings = {**SETTINGS, Env.KEEP_ALIVE_SECONDS: str(contract.KEEP_ALIVE_SECONDS)}
    with start_server(settings, tmp_path / "server.log") as server:
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
    _, elapsed = server.terminate(timeout=15)
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
