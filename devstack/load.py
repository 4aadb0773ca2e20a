"""A bounded load generator for the API chains: mixed preflight, GET and JSON POST."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

# The three requests a browser sends for the demo page's two calls.
_PREFLIGHT_HEADERS = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-client-name",
}


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


async def _worker(
    client: httpx.AsyncClient, api_url: str, origin: str, deadline: float, report: LoadReport
) -> None:
    step = 0
    items = api_url + "api/items"
    while time.monotonic() < deadline:
        kind = ("preflight", "get", "post")[step % 3]
        step += 1
        started = time.monotonic()
        try:
            if kind == "preflight":
                response = await client.options(
                    items, headers={"Origin": origin, **_PREFLIGHT_HEADERS}
                )
            elif kind == "get":
                response = await client.get(items, headers={"Origin": origin})
            else:
                response = await client.post(
                    items,
                    json={"name": "load", "quantity": 1},
                    headers={"Origin": origin, "X-Client-Name": "load"},
                )
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
    report = LoadReport(duration=duration, concurrency=concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # The local stack's certificate is self-signed and only ever served on loopback.
    async with httpx.AsyncClient(verify=False, limits=limits, timeout=10.0) as client:  # noqa: S501
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(
            *(_worker(client, api_url, origin, deadline, report) for _ in range(concurrency))
        )
        report.duration = time.monotonic() - started
    return report
