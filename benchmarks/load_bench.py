"""Load the local stack's API Gateway chain: `python -m benchmarks.load_bench [--duration 10]`.

Starts its own stack (loopback only), runs a fixed-duration mixed preflight/GET/POST load with
devstack.load and prints requests, req/s, p50/p99 and every non-2xx or socket error.
`--failing N` adds N users whose requests fail on purpose (a crash, a NaN body) and prints what
they and the normal users got.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from devstack import API_GATEWAY, LocalStack, LocalStackConfig
from devstack.load import run_mixed_load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--failing", type=int, default=0, help="users sending failing requests")
    args = parser.parse_args(argv)
    with LocalStack(LocalStackConfig(public_alb=None)) as stack:
        report, failing = asyncio.run(
            run_mixed_load(
                stack.api_url(API_GATEWAY),
                stack.site_origin(f"{API_GATEWAY}-site"),
                duration=args.duration,
                concurrency=args.concurrency,
                failing_concurrency=args.failing,
            )
        )
    print(("normal users: " if args.failing else "") + report.summary())
    if args.failing:
        print(f"failing users: {failing.summary()}")
    clean = report.non_2xx == 0 and report.socket_errors == 0 and report.missing_cors == 0
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
