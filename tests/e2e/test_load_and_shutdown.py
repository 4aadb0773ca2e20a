"""Bounded load and a graceful-shutdown fault, through the API Gateway chain, on loopback."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from devstack import API_GATEWAY, LocalStack, LocalStackConfig, ServiceSpec
from devstack.load import FAILING, LoadReport, run_load, run_mixed_load
from tests.support.connections import wait_until_accepted

LOAD_SECONDS = 5.0
LOAD_CONCURRENCY = 16
# Users whose every request fails (a crash, an invalid JSON number), beside the normal ones.
FAILING_CONCURRENCY = 4


def _report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    # The figures are the point of these tests: show them even under -q.
    with capsys.disabled():
        print(f"\n[e2e] {line}")


def test_mixed_load_through_api_gateway_has_no_errors(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # In a thread: Playwright's sync API owns this thread's event loop for the session.
    with ThreadPoolExecutor(1) as pool:
        report: LoadReport = pool.submit(
            asyncio.run,
            run_load(
                stack.api_url(API_GATEWAY),
                stack.site_origin(f"{API_GATEWAY}-site"),
                duration=LOAD_SECONDS,
                concurrency=LOAD_CONCURRENCY,
            ),
        ).result(timeout=LOAD_SECONDS + 30)
    _report(capsys, f"load via API Gateway chain: {report.summary()}")
    assert report.requests > 100
    assert report.socket_errors == 0, report.summary()
    assert report.non_2xx == 0, report.summary()
    assert report.missing_cors == 0, report.summary()


def test_failing_requests_cost_the_other_users_nothing_through_api_gateway(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Behind an ALB that reuses connections to the target, a crash that costs its connection
    # turns the next request sent on it, often another user's POST, into a 502.
    with ThreadPoolExecutor(1) as pool:
        normal, failing = pool.submit(
            asyncio.run,
            run_mixed_load(
                stack.api_url(API_GATEWAY),
                stack.site_origin(f"{API_GATEWAY}-site"),
                duration=LOAD_SECONDS,
                concurrency=LOAD_CONCURRENCY,
                failing_concurrency=FAILING_CONCURRENCY,
            ),
        ).result(timeout=LOAD_SECONDS + 30)
    _report(capsys, f"mixed load, normal users: {normal.summary()}")
    _report(capsys, f"mixed load, failing users: {failing.summary()}")
    assert normal.requests > 100
    assert failing.requests > 20
    assert normal.socket_errors == 0, normal.summary()
    assert normal.non_2xx == 0, normal.summary()
    assert normal.missing_cors == 0, normal.summary()
    # The failing users get their own answers, readable by their page: never a 502 or a reset.
    expected = {f"{kind}:{status}" for kind, status in FAILING.items()}
    assert set(failing.statuses) == expected, failing.summary()
    assert failing.socket_errors == 0, failing.summary()
    assert failing.missing_cors == 0, failing.summary()


def _gateway_stack(graceful_seconds: int) -> Iterator[LocalStack]:
    config = LocalStackConfig(
        api_gateway=ServiceSpec(graceful_shutdown_seconds=graceful_seconds), public_alb=None
    )
    with LocalStack(config) as running:
        yield running


@pytest.fixture
def drain_stack() -> Iterator[LocalStack]:
    yield from _gateway_stack(graceful_seconds=5)


@pytest.fixture
def short_timeout_stack() -> Iterator[LocalStack]:
    yield from _gateway_stack(graceful_seconds=1)


def _timed_get(url: str) -> tuple[int | str, float]:
    started = time.monotonic()
    try:
        with httpx.Client(verify=False, timeout=15.0) as client:  # noqa: S501
            status: int | str = client.get(url).status_code
    except httpx.TransportError as exc:
        status = type(exc).__name__
    return status, time.monotonic() - started


def _sigterm_during_slow_requests(
    stack: LocalStack, *, count: int, ms: int
) -> tuple[list[tuple[int | str, float]], int, float]:
    """Start `count` slow requests, SIGTERM the service while they run; return what happened."""
    url = f"{stack.api_url(API_GATEWAY)}api/slow?ms={ms}"
    service = stack.services[API_GATEWAY]
    with ThreadPoolExecutor(count) as pool:
        futures: list[Future[tuple[int | str, float]]] = [
            pool.submit(_timed_get, url) for _ in range(count)
        ]
        # Each in-flight request holds its own connection from the "ALB" (the stack is fresh,
        # so no idle keep-alive connection is counted).
        wait_until_accepted(service.port, count)
        assert not any(f.done() for f in futures), "requests finished before SIGTERM"
        # A kill at the stop timeout (the graceful shutdown + 5 s) would show as -9.
        code, exit_seconds = service.terminate()
        results = [f.result(timeout=20) for f in futures]
    return results, code, exit_seconds


def test_sigterm_drains_in_flight_requests_and_exits_within_the_timeout(
    drain_stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    results, code, exit_seconds = _sigterm_during_slow_requests(drain_stack, count=6, ms=3000)
    durations = ", ".join(f"{seconds:.2f}s" for _, seconds in results)
    _report(
        capsys,
        f"SIGTERM with 6 x /api/slow?ms=3000 in flight: exit code {code} after "
        f"{exit_seconds:.2f}s (timeout 5s); statuses {[s for s, _ in results]}; "
        f"request durations {durations}",
    )
    assert [status for status, _ in results] == [200] * 6
    # uvicorn re-raises the signal once shut down cleanly: ECS will record exit code 143.
    assert code == -signal.SIGTERM
    assert exit_seconds <= 5.0
    log = drain_stack.services[API_GATEWAY].output()
    assert "Application shutdown complete" in log
    assert "graceful shutdown exceeded" not in log


def test_sigterm_stops_waiting_for_requests_at_the_shutdown_timeout(
    short_timeout_stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # The control for the test above: requests outlasting the timeout are cut, so that test
    # would notice drops, and the timeout really bounds how long a deploy waits.
    results, code, exit_seconds = _sigterm_during_slow_requests(
        short_timeout_stack, count=3, ms=6000
    )
    _report(
        capsys,
        f"SIGTERM with 3 x /api/slow?ms=6000 in flight, timeout 1s: exit code {code} after "
        f"{exit_seconds:.2f}s; statuses {[s for s, _ in results]}",
    )
    assert exit_seconds < 3.0
    assert all(status != 200 for status, _ in results)
    assert "graceful shutdown exceeded" in short_timeout_stack.services[API_GATEWAY].output()
