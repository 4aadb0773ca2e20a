"""Peak memory of the real server under concurrent large request bodies.

Run: .venv/bin/python -m benchmarks.body_bench [--concurrency 20]

Each scenario starts a fresh server with the container's command line (loopback, a free port),
sends `concurrency` bodies at once and prints the server's resident memory after start-up and
its peak (VmHWM from /proc) afterwards, with the statuses it answered. Prints; asserts nothing.
The task has 512 MiB; API Gateway forwards bodies up to 10 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.processes import start_service
from service.contract import DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_LIMIT, Env

ORIGIN = "https://app.example.com"
SETTINGS = {Env.ALLOW_ORIGINS: ORIGIN, Env.LOG_LEVEL: "warning"}
MIB = 1024 * 1024
TEN_MB = 10 * 1000 * 1000  # what the issue measured: 10 MB names, 20 at once
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Scenario:
    name: str
    limit: int
    body_bytes: int
    chunked: bool = False


def item_body(size: int) -> bytes:
    """{"name": "xxx…"} of exactly `size` bytes: valid JSON whose name fails validation (422)."""
    head, tail = b'{"name": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def memory_kib(pid: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0])
    return fields


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), CHUNK):
        yield body[start : start + CHUNK]


async def _post(client: httpx.AsyncClient, url: str, body: bytes, chunked: bool) -> str:
    headers = {"Origin": ORIGIN, "Content-Type": "application/json"}
    try:
        content = _chunks(body) if chunked else body
        response = await client.post(url, content=content, headers=headers)
    except httpx.TransportError as exc:
        return type(exc).__name__
    return str(response.status_code)


async def _burst(url: str, body: bytes, concurrency: int, chunked: bool) -> Counter[str]:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120.0) as client:
        results = await asyncio.gather(
            *(_post(client, url, body, chunked) for _ in range(concurrency))
        )
    return Counter(results)


def run(scenario: Scenario, concurrency: int, workdir: Path) -> str:
    settings = {**SETTINGS, Env.MAX_BODY_BYTES: str(scenario.limit)}
    log = workdir / f"{scenario.name.replace(' ', '-')}.log"
    with start_service(settings, log) as server:
        idle = memory_kib(server.process.pid)["VmRSS"]
        body = item_body(scenario.body_bytes)
        url = server.url + "/api/items"
        statuses = asyncio.run(_burst(url, body, concurrency, scenario.chunked))
        peak = memory_kib(server.process.pid)["VmHWM"]
    answered = ", ".join(f"{status} x{count}" for status, count in sorted(statuses.items()))
    return (
        f"{scenario.name:<48} idle {idle / 1024:6.0f} MiB  peak {peak / 1024:6.0f} MiB  "
        f"(+{(peak - idle) / 1024:.0f})  [{answered}]"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args(argv)
    n = args.concurrency
    scenarios = [
        Scenario(
            f"{n} x 1 MiB (the default limit)", DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES
        ),
        Scenario(f"{n} x 10 MB, default limit, Content-Length", DEFAULT_MAX_BODY_BYTES, TEN_MB),
        Scenario(f"{n} x 10 MB, default limit, chunked", DEFAULT_MAX_BODY_BYTES, TEN_MB, True),
        Scenario(f"{n} x 10 MiB (limit at its 10 MiB ceiling)", MAX_BODY_BYTES_LIMIT, 10 * MIB),
    ]
    print(f"server peak RSS, {n} concurrent POST /api/items bodies per scenario, fresh server each")
    with tempfile.TemporaryDirectory(prefix="body-bench-") as tmp:
        for scenario in scenarios:
            print(run(scenario, n, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
