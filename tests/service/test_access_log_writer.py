"""The access log on a file descriptor: a loop turn's lines go out together, and none is kept."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

import pytest
from starlette.types import Scope

from service.app import build_app
from service.lambda_handler import LambdaHandler
from service.middleware.access_log_writer import MAX_PENDING, AccessLog
from service.settings import Settings
from tests.service.conftest import SETTINGS
from tests.service.test_lambda import event, invoke

SCOPE: Scope = {"method": "GET", "path": "/api/items", "headers": [], "client": None}


class Pipe:
    """A pipe whose write end is the log's stream, read without blocking."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        self.reader = os.fdopen(read_fd, "rb")
        self.stream: TextIO = os.fdopen(write_fd, "w")

    def lines(self) -> list[dict[str, Any]]:
        data = self.reader.read() or b""
        return [json.loads(line) for line in data.decode("ascii").splitlines()]

    def close(self) -> None:
        self.reader.close()
        self.stream.close()


@pytest.fixture
def pipe() -> Iterator[Pipe]:
    opened = Pipe()
    yield opened
    opened.close()


def record(log: AccessLog, request_id: str) -> None:
    log.record(SCOPE, request_id=request_id, started=0.0, duration=0.001, status=200, sent=2)


def in_own_loop(coroutine: Callable[[], Any]) -> Any:
    # A thread with its own loop: in a full run, Playwright's sync API owns this thread's.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine()).result(timeout=10)


def test_lines_of_one_loop_turn_are_written_when_the_turn_ends(pipe: Pipe) -> None:
    log = AccessLog(pipe.stream)

    async def turn() -> tuple[list[str], list[str]]:
        for request_id in ("a", "b", "c"):
            record(log, request_id)
        during = [line["request_id"] for line in pipe.lines()]
        await asyncio.sleep(0)  # the loop's next turn
        return during, [line["request_id"] for line in pipe.lines()]

    during, after = in_own_loop(turn)
    assert (during, after) == ([], ["a", "b", "c"])


def test_lines_of_successive_turns_each_go_out_with_their_turn(pipe: Pipe) -> None:
    log = AccessLog(pipe.stream)

    async def turns() -> list[list[str]]:
        written = []
        for request_id in ("first", "second"):
            record(log, request_id)
            await asyncio.sleep(0)
            written.append([line["request_id"] for line in pipe.lines()])
        return written

    assert in_own_loop(turns) == [["first"], ["second"]]


def test_a_turn_that_finishes_many_requests_writes_before_it_ends(pipe: Pipe) -> None:
    log = AccessLog(pipe.stream)

    async def crowded_turn() -> int:
        for number in range(MAX_PENDING):
            record(log, str(number))
        return len(pipe.lines())

    assert in_own_loop(crowded_turn) == MAX_PENDING


def test_without_a_running_loop_the_line_is_written_at_once(pipe: Pipe) -> None:
    log = AccessLog(pipe.stream)
    # A thread of its own: in a full run, Playwright's sync API runs a loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(record, log, "no-loop").result(timeout=10)
    assert [line["request_id"] for line in pipe.lines()] == ["no-loop"]


def test_flush_writes_what_a_stopped_loop_left_behind(pipe: Pipe) -> None:
    # What the exit hook does when a loop stops in the turn that finished a request.
    log = AccessLog(pipe.stream)
    loop = asyncio.new_event_loop()

    def last_request() -> None:
        record(log, "last")
        loop.stop()

    loop.call_soon(last_request)
    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(loop.run_forever).result(timeout=10)
    finally:
        loop.close()
    assert pipe.lines() == []
    log.flush()
    assert [line["request_id"] for line in pipe.lines()] == ["last"]


def test_descriptor_that_was_closed_drops_the_lines_quietly(pipe: Pipe) -> None:
    log = AccessLog(pipe.stream)
    pipe.stream.close()
    with ThreadPoolExecutor(1) as pool:  # no loop: written at once, to a closed stream
        pool.submit(record, log, "lost").result(timeout=10)
    log.flush()


def test_stream_closed_meanwhile_writes_nothing_to_a_file_given_its_descriptor(
    pipe: Pipe, tmp_path: Path
) -> None:
    log = AccessLog(pipe.stream)
    number = pipe.stream.fileno()
    pipe.stream.close()
    other = os.open(tmp_path / "other.log", os.O_WRONLY | os.O_CREAT)  # lowest free: the same
    try:
        assert other == number

        async def one_request() -> None:
            record(log, "stale")
            await asyncio.sleep(0)

        in_own_loop(one_request)
    finally:
        os.close(other)
    assert (tmp_path / "other.log").read_bytes() == b""


def test_as_a_lambda_function_the_line_is_out_when_the_invocation_returns(pipe: Pipe) -> None:
    app = build_app(Settings.model_validate(SETTINGS), access_log=pipe.stream)
    request = event("rest_v1", "GET", "/api/items", {"X-Request-ID": "lambda-line"})
    invoke(LambdaHandler(app), request)
    assert [line["request_id"] for line in pipe.lines()] == ["lambda-line"]


def test_lines_a_stopped_loop_left_behind_are_written_at_exit() -> None:
    program = """
import asyncio, sys
from service.middleware.access_log_writer import AccessLog
log = AccessLog(sys.stdout)
loop = asyncio.new_event_loop()
def last_request():
    log.record({"method": "GET", "path": "/x", "headers": []}, request_id="at-exit",
               started=0.0, duration=0.0, status=200, sent=0)
    loop.stop()
loop.call_soon(last_request)
loop.run_forever()
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert [json.loads(line)["request_id"] for line in done.stdout.splitlines()] == ["at-exit"]
