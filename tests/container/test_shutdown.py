"""SIGTERM as ECS sends it on a deploy: in-flight requests finish, the container exits in time."""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import httpx

from devstack.container import Container
from infra.config import AppConfig
from service.contract import Env
from tests.container.conftest import SETTINGS
from tests.support.connections import wait_until_accepted

# ECS sends SIGTERM, then SIGKILL after the task definition's stop timeout.
STOP_TIMEOUT_SECONDS = AppConfig().tasks.stop_timeout_seconds
# uvicorn re-raises SIGTERM once it has shut down cleanly; under the init process (not PID 1) it
# then ends by that signal: 128 + 15, which `podman run` returns. At the stop timeout podman
# itself would be killed instead: -9.
CLEAN_EXIT_CODE = 128 + signal.SIGTERM

StartContainer = Callable[[Mapping[str, str]], Container]


def slow_requests(
    pool: ThreadPoolExecutor, running: Container, count: int, ms: int
) -> list[Future[int | str]]:
    def call() -> int | str:
        try:
            return httpx.get(f"{running.url}/api/slow?ms={ms}", timeout=30).status_code
        except httpx.TransportError as exc:
            return type(exc).__name__

    futures = [pool.submit(call) for _ in range(count)]
    wait_until_accepted(running.port, count)
    assert not any(f.done() for f in futures), "the requests finished before SIGTERM"
    return futures


def test_sigterm_with_requests_in_flight_drops_none(start_container: StartContainer) -> None:
    running = start_container(SETTINGS)
    with ThreadPoolExecutor(4) as pool:
        futures = slow_requests(pool, running, count=4, ms=3000)
        code, seconds = running.terminate(STOP_TIMEOUT_SECONDS)
        statuses = [f.result(timeout=30) for f in futures]
    assert statuses == [200] * 4
    assert code == CLEAN_EXIT_CODE, running.output()
    assert seconds < STOP_TIMEOUT_SECONDS
    assert "Application shutdown complete" in running.output()


def test_sigterm_ends_at_the_graceful_timeout_well_before_the_stop_timeout(
    start_container: StartContainer,
) -> None:
    # The control for the test above: requests outlasting the contract's graceful-shutdown
    # setting are cut, so that test would see drops, and the setting reaches uvicorn in the image.
    running = start_container({**SETTINGS, Env.GRACEFUL_SHUTDOWN_SECONDS: "1"})
    with ThreadPoolExecutor(2) as pool:
        futures = slow_requests(pool, running, count=2, ms=8000)
        code, seconds = running.terminate(STOP_TIMEOUT_SECONDS)
        statuses = [f.result(timeout=30) for f in futures]
    assert 200 not in statuses
    assert code == CLEAN_EXIT_CODE, running.output()
    assert seconds < 5, f"took {seconds:.1f}s with a 1s graceful-shutdown timeout"
    assert "graceful shutdown exceeded" in running.output()
