"""Waiting until a server holds requests in flight, read from the kernel's socket table.

A SIGTERM test must signal while the server is working on its requests, not while they still
wait in the listen backlog: then "none dropped" means something.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Final

PROC_NET_TCP: Final = Path("/proc/net/tcp")
ESTABLISHED: Final = "01"
# Bounded wait for requests to reach the server (they take milliseconds when idle).
ACCEPT_TIMEOUT_SECONDS: Final = 10.0
# Without /proc/net/tcp (not Linux): a generous fixed wait instead.
FALLBACK_WAIT_SECONDS: Final = 1.5


def accepted_connections(port: int) -> int:
    """Connections to `port` on loopback the server has accept()ed and read its request from.

    /proc/net/tcp lists each socket as hex "address:port", state, "tx_queue:rx_queue", ...,
    inode. A connection still in the listen backlog is ESTABLISHED but has no file yet
    (inode 0); rx_queue 0 means the request bytes were read. A container on the host's network
    shares this table.
    """
    count = 0
    for line in PROC_NET_TCP.read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues, inode = fields[1], fields[3], fields[4], fields[9]
        if (
            int(local.rsplit(":", 1)[1], 16) == port
            and state == ESTABLISHED
            and inode != "0"
            and int(queues.split(":")[1], 16) == 0
        ):
            count += 1
    return count


def wait_until_accepted(port: int, count: int) -> None:
    """Return once `count` requests are in the server's hands; fail the test after a bound."""
    if not PROC_NET_TCP.exists():
        time.sleep(FALLBACK_WAIT_SECONDS)
        return
    deadline = time.monotonic() + ACCEPT_TIMEOUT_SECONDS
    while accepted_connections(port) < count:
        assert time.monotonic() < deadline, (
            f"{count} requests did not reach the server on port {port} "
            f"within {ACCEPT_TIMEOUT_SECONDS:.0f}s"
        )
        time.sleep(0.02)
