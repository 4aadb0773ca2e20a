"""A bounded load generator for the API chains: mixed preflight, GET and JSON POST.

`run_mixed_load` adds workers whose requests fail on purpose (a crash and an invalid JSON
number) on the same proxy chain, to show that one user's failure costs the others nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

import httpx

# The three requests a browser sends for the demo page's two calls.
_PREFLIGHT_HEADERS = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-client-name",
}
NORMAL: Final = ("preflight", "get", "post")
# Requests that fail on purpose, and the status each must get: a crash in a handler (the demo
# route /api/boom) and a body no JSON parser should accept (NaN). Through an ALB that keeps
# connections to the target, a crash that costs its connection turns the next request on it
# into a 502 for someone else.
FAILING: Final = {"boom": 500, "nan": 422}
NAN_BODY: Final = b'{"name": "load", "quantity": NaN}'


@dataclass
class LoadReport:
    duration: float
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    non_2xx: int = 0
    socket_errors: int = 0
    missing_cors: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.socket_errors

    @property
    def rps(self) -> float:
        return self.requests / self.duration if self.duration else 0.0

    def percentile(self, fraction: float) -> float:
        """Latency in milliseconds at `fraction` (0..1) of completed requests."""
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        index = min(max(round(fraction * 100) - 1, 0), len(cuts) - 1)
        return cuts[index] * 1000

    def summary(self) -> str:
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.requests} requests in {self.duration:.1f}s at concurrency {self.concurrency}: "
            f"{self.rps:.0f} req/s, p50 {self.percentile(0.5):.1f} ms, "
            f"p99 {self.percentile(0.99):.1f} ms, non-2xx {self.non_2xx}, "
            f"socket errors {self.socket_errors}, missing CORS {self.missing_cors} [{kinds}]"
            + (f" errors: {dict(self.errors)}" if self.errors else "")
        )


async def _send(client: httpx.AsyncClient, kind: str, api_url: str, origin: str) -> httpx.Response:
    items = api_url + "api/items"
    if kind == "preflight":
        return await client.options(items, headers={"Origin": origin, **_PREFLIGHT_HEADERS})
    if kind == "get":
        return await client.get(items, headers={"Origin": origin})
    if kind == "post":
        return await client.post(
            items,
            json={"name": "load", "quantity": 1},
            headers={"Origin": origin, "X-Client-Name": "load"},
        )
    if kind == "boom":
        return await client.get(api_url + "api/boom", headers={"Origin": origin})
    if kind == "nan":
        headers = {"Origin": origin, "Content-Type": "application/json"}
        return await client.post(items, content=NAN_BODY, headers=headers)
    raise ValueError(f"unknown request kind {kind!r}")


async def _worker(
    client: httpx.AsyncClient,
    api_url: str,
    origin: str,
    deadline: float,
    report: LoadReport,
    kinds: tuple[str, ...] = NORMAL,
) -> None:
    step = 0
    while time.monotonic() < deadline:
        kind = kinds[step % len(kinds)]
        step += 1
        started = time.monotonic()
        try:
            response = await _send(client, kind, api_url, origin)
        except httpx.TransportError as exc:
            report.socket_errors += 1
            report.errors[type(exc).__name__] += 1
            continue
        report.latencies.append(time.monotonic() - started)
        report.statuses[f"{kind}:{response.status_code}"] += 1
        if not 200 <= response.status_code < 300:
            report.non_2xx += 1
        if response.headers.get("access-control-allow-origin") != origin:
            report.missing_cors += 1


async def run_load(
    api_url: str, origin: str, *, duration: float = 5.0, concurrency: int = 16
) -> LoadReport:
    """Hit api_url (ending in '/') from `concurrency` keep-alive connections for `duration` s."""
    normal, _ = await run_mixed_load(
        api_url, origin, duration=duration, concurrency=concurrency, failing_concurrency=0
    )
    return normal


async def run_mixed_load(
    api_url: str,
    origin: str,
    *,
    duration: float = 5.0,
    concurrency: int = 16,
    failing_concurrency: int = 4,
) -> tuple[LoadReport, LoadReport]:
    """run_load's traffic plus `failing_concurrency` workers sending FAILING requests.

    Returns (normal, failing) reports. All of them share the proxies' connections to the
    service, as users share an ALB's.
    """
    normal = LoadReport(duration=duration, concurrency=concurrency)
    failing = LoadReport(duration=duration, concurrency=failing_concurrency)
    total = concurrency + failing_concurrency
    limits = httpx.Limits(max_connections=total, max_keepalive_connections=total)
    # The local stack's certificate is self-signed and only ever served on loopback.
    async with httpx.AsyncClient(verify=False, limits=limits, timeout=10.0) as client:  # noqa: S501
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(
            *(_worker(client, api_url, origin, deadline, normal) for _ in range(concurrency)),
            *(
                _worker(client, api_url, origin, deadline, failing, tuple(FAILING))
                for _ in range(failing_concurrency)
            ),
        )
        normal.duration = failing.duration = time.monotonic() - started
    return normal, failing
