"""A server that dribbles or floods cannot stall the doctor past --timeout or fill its memory."""

from __future__ import annotations

import subprocess
import time

import pytest

from cors_doctor.transport import BODY_CAP
from tests.doctor.broken_peer import Peer
from tests.doctor.conftest import ORIGIN, Outcome, run_module
from tests.doctor.test_cli import assert_one_line_error

TIMEOUT = 2.0
# Termination bound only (the bug ran 20 s and more): the deadline plus interpreter start-up
# and slack for a loaded machine. Not a speed target.
MARGIN = 5.0
# Bytes the kernel takes on the peer's behalf after the doctor stops reading: the peer's send
# buffer and the doctor's receive buffer. The unbounded reader took the peer's whole 256 MiB.
SOCKET_BUFFERS = 4 * 1024 * 1024


def run_bounded(peer: Peer, path: str) -> tuple[Outcome, float]:
    argv = ["check", peer.url + path, "--origin", ORIGIN, "--timeout", f"{TIMEOUT:g}"]
    started = time.monotonic()
    try:
        outcome = run_module(*argv, timeout=TIMEOUT + MARGIN)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the doctor was still running {TIMEOUT + MARGIN:g}s after it started")
    return outcome, time.monotonic() - started


@pytest.mark.parametrize("path", ["/dribble-headers", "/slow-body", "/dribble-chunks"])
def test_dribbling_server_is_cut_off_at_the_deadline(hostile: Peer, path: str) -> None:
    outcome, elapsed = run_bounded(hostile, path)
    assert_one_line_error(outcome, f"timed out after {TIMEOUT:g}s waiting for {hostile.url}{path}")
    assert elapsed < TIMEOUT + MARGIN


def test_endless_error_body_is_read_only_up_to_the_cap(hostile: Peer) -> None:
    outcome, _ = run_bounded(hostile, "/endless-error")
    assert outcome.code == 1, outcome.err
    assert '(body: "502 Bad Gateway upstream sent an endless body xxx' in outcome.out
    answers = hostile.wait_for("/endless-error", count=2)  # the request and the probe
    assert max(answers) < BODY_CAP + SOCKET_BUFFERS


def test_endless_body_of_a_success_is_not_read(hostile: Peer) -> None:
    outcome, _ = run_bounded(hostile, "/endless-ok")
    assert outcome.code == 1, outcome.err  # the peer sends no CORS headers
    answers = hostile.wait_for("/endless-ok", count=2)
    assert max(answers) < BODY_CAP + SOCKET_BUFFERS
