"""Throughput and latency of the service vs a bare FastAPI app with the same route and CORS.

The baseline (benchmarks/fastapi_baseline_app.py) serves the service's own GET /api/items
endpoint behind Starlette's CORSMiddleware with the same settings and nothing else, so the
ratio service/baseline is what the service's own layers cost. A bare ASGI hello-world is a
reference line for the server itself. All three run side by side with the container's uvicorn
flags; the cases alternate over several repetitions (the machine may be shared) and the medians
and the per-repetition ratios are printed, then the same GET with each app called directly
(no server, no socket): steadier when other work shares the machine.

Run: .venv/bin/python -m benchmarks.service_bench [--seconds 5] [--connections 16] [--repeats 5]
Needs wrk (apt: wrk). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from starlette.types import Message

from devstack.processes import free_port, server_env, wait_until_healthy
from service.contract import SERVER_COMMAND, Env

ROOT = Path(__file__).resolve().parents[1]

ORIGIN = "https://app.example.com"
# LOG_LEVEL info, as deployed: the service writes its JSON access line per request (to a file
# under wrk, to /dev/null in-process) and that line is part of what it costs. Under wrk, as in
# production, the lines of one event-loop turn go out in one write; in-process nothing turns the
# loop between requests, so they go out 256 at a time (access_log_writer.MAX_PENDING).
SETTINGS = {Env.ALLOW_ORIGINS: ORIGIN, Env.ALLOW_CREDENTIALS: "true", Env.LOG_LEVEL: "info"}
PREFLIGHT_LUA = f"""
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "{ORIGIN}"
wrk.headers["Access-Control-Request-Method"] = "POST"
wrk.headers["Access-Control-Request-Headers"] = "content-type,x-client-name"
"""
GET_LUA = f'wrk.headers["Origin"] = "{ORIGIN}"\n'


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    # The server's CPU time per request: what the app costs, whatever else shares the machine.
    cpu_us: float


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    name: str, url: str, server_pid: int, lua: str, seconds: int, connections: int
) -> Result:
    cpu_before = cpu_seconds(server_pid)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
    cpu = cpu_seconds(server_pid) - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Result(
        name,
        rps,
        p50,
        p99,
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(map(int, errors.groups())) if errors else 0,
        cpu / requests * 1e6,
    )


@contextmanager
def serve(app: str, log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [app if part == "service.app:create_app" else part for part in SERVER_COMMAND]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=server_env(SETTINGS, port),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url + "/healthz", process)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


APPS = {
    "raw": "benchmarks.hello_app:create_app",
    "baseline": "benchmarks.fastapi_baseline_app:create_app",
    "service": "service.app:create_app",
}
# (name, app, path, wrk script); each service case runs right next to its baseline case.
CASES = [
    ("bare ASGI hello-world GET /", "raw", "/", GET_LUA),
    ("baseline GET /api/items", "baseline", "/api/items", GET_LUA),
    ("service GET /api/items", "service", "/api/items", GET_LUA),
    ("baseline preflight /api/items", "baseline", "/api/items", PREFLIGHT_LUA),
    ("service preflight /api/items", "service", "/api/items", PREFLIGHT_LUA),
]
IN_PROCESS_ROUNDS = 15
RATIOS = [
    ("GET /api/items", "service GET /api/items", "baseline GET /api/items"),
    ("preflight", "service preflight /api/items", "baseline preflight /api/items"),
]


def app_time_us(factory: str, requests: int) -> float:
    """Microseconds per GET /api/items with the app called directly: no server, no socket.

    Steadier than wrk on a shared machine, and only the apps' own work."""
    module, name = factory.split(":")
    with mock.patch.dict(os.environ, SETTINGS):
        app = getattr(importlib.import_module(module), name)()
    headers = [(b"host", b"127.0.0.1"), (b"origin", ORIGIN.encode()), (b"accept", b"*/*")]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
        "method": "GET", "path": "/api/items", "raw_path": b"/api/items", "root_path": "",
        "query_string": b"", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
    }  # fmt: skip
    statuses: set[int] = set()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    async def run(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            request: dict[str, Any] = {**scope, "headers": list(headers)}
            await app(request, receive, send)
        # One turn of the loop, so that access lines still pending are written inside the time.
        await asyncio.sleep(0)
        return (time.perf_counter() - started) / count * 1e6

    asyncio.run(run(requests // 10))  # first calls build the middleware stack
    elapsed = asyncio.run(run(requests))
    if statuses != {200}:
        raise RuntimeError(f"{factory} answered {statuses}")
    return elapsed


def _summary(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f}x (each run: {', '.join(f'{r:.2f}' for r in ratios)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="per in-process run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    runs: dict[str, list[Result]] = {name: [] for name, *_ in CASES}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        running = {
            key: servers.enter_context(serve(app, Path(tmp) / f"{key}.log"))
            for key, app in APPS.items()
        }
        for repetition in range(args.repeats):
            # Every other repetition runs backwards, so neither side of a pair always goes first.
            for name, key, path, lua in CASES if repetition % 2 == 0 else CASES[::-1]:
                url, pid = running[key]
                result = run_wrk(name, url + path, pid, lua, args.seconds, args.connections)
                runs[name].append(result)
    print(
        f"wrk: 1 thread, {args.connections} connections, {args.seconds}s per case, "
        f"{args.repeats} alternating repetitions, uvicorn with the container's flags "
        "(uvicorn's access log off, the service's JSON line on); medians"
    )
    print(
        f"{'case':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
        f" {'rps vs raw':>10} {'server CPU us/req':>17}"
    )
    raw = statistics.median(r.rps for r in runs[CASES[0][0]])
    for name, results in runs.items():
        rps = statistics.median(r.rps for r in results)
        print(
            f"{name:32} {rps:9.0f} {statistics.median(r.p50_ms for r in results):8.2f}"
            f" {statistics.median(r.p99_ms for r in results):8.2f}"
            f" {sum(r.non_2xx for r in results):8d} {sum(r.errors for r in results):7d}"
            f" {rps / raw:10.2f} {statistics.median(r.cpu_us for r in results):17.1f}"
        )
    for label, service, baseline in RATIOS:
        pairs = list(zip(runs[service], runs[baseline], strict=True))
        throughput = [s.rps / b.rps for s, b in pairs]
        # Requests per CPU second: the throughput ratio if the servers had a core each to
        # themselves, which a shared machine's wall-clock figures only approximate.
        per_cpu = [b.cpu_us / s.cpu_us for s, b in pairs]
        print(
            f"service/baseline {label}: req/s {_summary(throughput)}; "
            f"requests per server CPU second {_summary(per_cpu)}"
        )

    # Other work on the machine only ever adds time: the fastest of many short runs is the
    # apps' own cost (timeit's reasoning).
    times: dict[str, list[float]] = {"baseline": [], "service": []}
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for _ in range(IN_PROCESS_ROUNDS):
            for key, series in times.items():
                series.append(app_time_us(APPS[key], args.requests))
    base_us, service_us = (min(times[key]) for key in ("baseline", "service"))
    print(
        f"in-process, no server (best of {IN_PROCESS_ROUNDS} runs of {args.requests} GET "
        f"/api/items): baseline {base_us:.1f} us, service {service_us:.1f} us per request; "
        f"service/baseline {base_us / service_us:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
