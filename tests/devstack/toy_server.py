"""A tiny HTTP server for the server-process helper's tests: GET /healthz answers 200.

    python -m tests.devstack.toy_server exit     # on SIGTERM: say so, exit 7 after 0.3 s
    python -m tests.devstack.toy_server ignore   # on SIGTERM: say so, keep serving

It listens where devstack.processes puts a server: UVICORN_HOST and UVICORN_PORT.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import FrameType

EXIT_CODE_ON_SIGTERM = 7
SHUTDOWN_SECONDS = 0.3


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


def main() -> None:
    mode = sys.argv[1]

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        print(f"got SIGTERM, {mode}", flush=True)
        if mode == "exit":
            time.sleep(SHUTDOWN_SECONDS)
            os._exit(EXIT_CODE_ON_SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
    host = os.environ["UVICORN_HOST"]
    server = HTTPServer((host, int(os.environ["UVICORN_PORT"])), _Handler)
    print(f"listening on {host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
