"""Writes the access lines to the stream the entry point gives, a loop turn's lines at once.

The stream is stdout in the container, which the awslogs driver ships. The lines do not go
through a logging.Logger: a LogRecord and its handler cost as much again as building the line,
and the line's only destination is the stream. LOG_LEVEL still decides: above info, the entry
point gives no stream at all (service.app).

On a file descriptor, a request's record waits only for the end of the event loop's current
turn: then every request that finished in that turn has its line built and all of them go out
in one os.write. Under load that is one system call for several requests instead of one each,
and the line-building code runs several times in a row while it is hot, which together halve
what the log costs per request (README: Benchmarks). Nothing waits for a timer, so a line is out
before the server reads its next bytes, and a crash can lose only the lines of the requests
that finished in the turn it happens in. The lines are ASCII by construction, so
the text layers of a TextIO are skipped. A stream without a descriptor (io.StringIO) gets each
line as its request ends. A stream that cannot be written (stdout closed) drops the lines, as
logging does, rather than turning an answered request into an exception the server closes the
connection over.
"""

from __future__ import annotations

import asyncio
import atexit
import os
from typing import Final, TextIO

from starlette.types import Scope

from service.middleware.access_log import access_line

# The most records held back at once: a turn that finishes more requests writes them early.
MAX_PENDING: Final = 256

_Record = tuple[Scope, str, float, float, int, int]


class AccessLog:
    """The access lines of one app, written to stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.fd: int | None
        try:
            self.fd = stream.fileno()
            stream.flush()  # what was written through the TextIO goes first
        except (OSError, ValueError):  # io.StringIO has no descriptor; a closed stream neither
            self.fd = None
        self.pending: list[_Record] = []
        self.flush_scheduled = False
        if self.fd is not None:
            # A loop that stops without another turn would otherwise keep its turn's lines.
            atexit.register(self.flush)

    def record(
        self, scope: Scope, *, request_id: str, started: float, duration: float, status: int,
        sent: int,
    ) -> None:  # fmt: skip
        """One finished request, whose line is written by the end of the loop's turn."""
        if self.fd is None:
            self._write_text(access_line(
                scope, request_id=request_id, started=started, duration=duration,
                status=status, sent=sent,
            ))  # fmt: skip
            return
        self.pending.append((scope, request_id, started, duration, status, sent))
        if len(self.pending) >= MAX_PENDING:
            self.flush()
        elif not self.flush_scheduled:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
                self.flush_scheduled = True
            except RuntimeError:  # no loop runs this request: nothing would flush it later
                self.flush()

    def flush(self) -> None:
        """Write every pending record's line, in the order the requests finished."""
        self.flush_scheduled = False
        if not self.pending or self.fd is None:
            return
        records, self.pending = self.pending, []
        if self.stream.closed:  # its descriptor's number may belong to another file by now
            return
        text = "".join([
            access_line(
                scope, request_id=request_id, started=started, duration=duration,
                status=status, sent=sent,
            ) + "\n"
            for scope, request_id, started, duration, status, sent in records
        ])  # fmt: skip
        self._write_fd(self.fd, memoryview(text.encode("ascii")))

    @staticmethod
    def _write_fd(fd: int, data: memoryview) -> None:
        try:
            # A pipe takes up to PIPE_BUF bytes (4096 on Linux) at once; more may come back
            # partly written and is finished here.
            while data:
                written = os.write(fd, data)
                if written <= 0:  # a descriptor that takes nothing: give the lines up
                    return
                data = data[written:]
        except OSError:
            pass

    def _write_text(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass
