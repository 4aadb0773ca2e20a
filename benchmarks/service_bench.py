"""Throughput and latency of the service vs a bare ASGI app, same uvicorn flags, one run.

Run: .venv/bin/python -m benchmarks.service_bench [--seconds 5] [--connections 16]
Needs wrk (apt: wrk). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import free_port, server_env, wait_until_healthy
from service.contract import SERVER_COMMAND, Env

ROOT = Path(__file__).resolve().parents[1]

ORIGIN = "https://app.example.com"
SETTINGS = {Env.ALLOW_ORIGINS: ORIGIN, Env.ALLOW_CREDENTIALS: "true", Env.LOG_LEVEL: "warning"}
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


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(name: str, url: str, lua: str, seconds: int, connections: int) -> Result:
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
    )


def serve(app: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [app if part == "service.app:create_app" else part for part in SERVER_COMMAND]
    env = server_env(SETTINGS, port)
    process = subprocess.Popen(
        [*command, "--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url + "/healthz", process)
    except RuntimeError:
        process.kill()
        raise
    return process, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for app, cases in [
            ("benchmarks.hello_app:create_app", [("hello-world GET", "/", GET_LUA)]),
            (
                "service.app:create_app",
                [
                    ("service GET /api/items", "/api/items", GET_LUA),
                    ("service preflight /api/items", "/api/items", PREFLIGHT_LUA),
                ],
            ),
        ]:
            process, url = serve(app, Path(tmp) / "server.log")
            try:
                for name, path, lua in cases:
                    results.append(run_wrk(name, url + path, lua, args.seconds, args.connections))
            finally:
                process.terminate()
                process.wait(timeout=30)
    base = results[0]
    print(
        f"wrk: 1 thread, {args.connections} connections, {args.seconds}s per case, "
        "uvicorn with the container's flags (access log off)"
    )
    print(
        f"{'case':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
        f" {'rps vs hello':>12}"
    )
    for r in results:
        print(
            f"{r.name:32} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.non_2xx:8d}"
            f" {r.errors:7d} {r.rps / base.rps:12.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
