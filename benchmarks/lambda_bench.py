"""The Lambda bundle's figures: cold start, warm events per second, zipped size (prints only).

  * cold start: a fresh interpreter (`-I -S -B`: only the bundle and the standard library)
    importing the handler and answering its first REST event, against a fresh interpreter
    importing a bare FastAPI app from the same bundle; best of N each, alternated;
  * warm: events per second through Mangum (the handler) against calling the same ASGI app
    directly with the same request, in-process;
  * size: the bundle zipped (deflate), against Lambda's 50 MB limit for a zipped upload.

Run: .venv/bin/python -m benchmarks.lambda_bench [--arch x86_64] [--repeat 7]
The bundle is built (or taken from its cache) for the machine's own architecture by default,
since the cold start runs here.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from starlette.types import Message

from infra.lambda_bundle import bundle

ROOT = Path(__file__).resolve().parents[1]
EVENT = json.loads((ROOT / "tests" / "service" / "events" / "rest_v1.json").read_text())
ORIGIN = "https://app.example.com"
ENVIRONMENT = {"CORS_ALLOW_ORIGINS": ORIGIN, "CORS_ALLOW_CREDENTIALS": "true", "LOG_LEVEL": "info"}
COLD = """
import sys, time, json, asyncio
start = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from service.lambda_handler import handler
asyncio.set_event_loop(asyncio.new_event_loop())
answer = handler(json.loads(sys.argv[2]), None)
assert answer["statusCode"] == 200, answer
print(time.perf_counter() - start)
"""
BARE = """
import sys, time
start = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from fastapi import FastAPI
app = FastAPI()
print(time.perf_counter() - start)
"""


def _fresh(code: str, directory: Path, *args: str) -> float:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code, str(directory), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", **ENVIRONMENT},
    )
    return float(done.stdout.strip().splitlines()[-1])


def _event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(EVENT))
    event["httpMethod"] = "GET"
    event["path"] = "/api/items"
    event["headers"] = {**event.get("headers", {}), "Origin": ORIGIN}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return event


def warm(count: int) -> tuple[float, float]:
    """Events per second: through the handler (Mangum), and the ASGI app called directly."""
    os.environ.update(ENVIRONMENT)
    sys.stdout = io.StringIO()  # the access lines
    try:
        from service.lambda_handler import handler

        app = handler.app
        event = _event()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        handler(event, None)
        start = time.perf_counter()
        for _ in range(count):
            handler(event, None)
        through = count / (time.perf_counter() - start)
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "scheme": "https", "method": "GET", "path": "/api/items", "raw_path": b"/api/items",
            "root_path": "", "query_string": b"", "server": ("127.0.0.1", 443),
            "client": ("127.0.0.1", 1),
            "headers": [(b"host", b"x"), (b"origin", ORIGIN.encode())],
        }  # fmt: skip

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            return None

        async def run() -> float:
            begin = time.perf_counter()
            for _ in range(count):
                await app(dict(scope), receive, send)
            return count / (time.perf_counter() - begin)

        direct = loop.run_until_complete(run())
        return through, direct
    finally:
        sys.stdout = sys.__stdout__


def zipped_size(directory: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory))
    return buffer.tell()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    native = "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"
    parser.add_argument("--arch", default=native, choices=["x86_64", "arm64"])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    directory = bundle(args.arch)
    event = json.dumps(_event())
    cold, bare = [], []
    for _ in range(args.repeat):
        cold.append(_fresh(COLD, directory, event))
        bare.append(_fresh(BARE, directory))
    through, direct = warm(args.events)
    size = zipped_size(directory)
    print(f"bundle {directory.name}: {size / 1e6:.1f} MB zipped (Lambda's limit: 50 MB)")
    print(
        f"cold start (fresh interpreter, import + first event), best of {args.repeat}: "
        f"{min(cold) * 1000:.0f} ms; bare FastAPI import {min(bare) * 1000:.0f} ms; "
        f"ratio {min(cold) / min(bare):.2f}x (goal <= 1.3x)"
    )
    print(
        f"warm, {args.events} events: {through:.0f} events/s through Mangum, {direct:.0f} "
        f"requests/s calling the ASGI app directly ({through / direct:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
