"""The container's health probe: `python -m service.healthcheck [PATH]` exits 0 only on a 200.

One definition for both checks that run it: the image's HEALTHCHECK and the ECS task
definition's health check (ECS ignores the image's), as `contract.HEALTH_CHECK_COMMAND`. It asks
the server in its own container on 127.0.0.1 and the port uvicorn listens on (UVICORN_PORT), and
imports only the standard library and the contract, so each probe starts in milliseconds. A
failure prints one line saying why.
"""

from __future__ import annotations

import http.client
import os
import sys

from service.contract import CONTAINER_PORT, HEALTH_CHECK_TIMEOUT_SECONDS, HEALTH_PATH, Env

# Answer before the health check's own timeout ends the probe without a reason.
PROBE_TIMEOUT_SECONDS = max(1.0, HEALTH_CHECK_TIMEOUT_SECONDS - 1.0)


def probe(port: int, path: str = HEALTH_PATH, timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """None if GET http://127.0.0.1:<port><path> answers 200 (no redirect followed), else why."""
    url = f"http://127.0.0.1:{port}{path}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return f"{url}: {exc.__class__.__name__}: {exc}"
    finally:
        connection.close()
    return None if status == 200 else f"{url} answered {status}, not 200"


def main(argv: list[str]) -> int:
    path = argv[0] if argv else HEALTH_PATH
    if not path.startswith("/"):
        print(f"unhealthy: {path!r} is not a path (it must start with /)", file=sys.stderr)
        return 1
    raw_port = os.environ.get(Env.PORT, str(CONTAINER_PORT))
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        print(f"unhealthy: {Env.PORT}={raw_port!r} is not a port", file=sys.stderr)
        return 1
    problem = probe(int(raw_port), path)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
