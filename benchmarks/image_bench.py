"""Size and start-up figures for the service image (prints a table; not a test).

Builds service/Dockerfile on the stand-in base (devstack/image.py; the base is made first if it
is not cached), then prints: the image's size, how much of it the Dockerfile adds on top of the
base and per step, the distributions installed (from the lock, from the base), the time of a
warm rebuild, and the time from `podman run` to a healthy /healthz (median of --repeat).

The base is Debian's python3 in a venv, not the official python:3.11-slim-bookworm, so the base
size differs from the real one; what the Dockerfile adds is the figure that carries over.

Usage: .venv/bin/python -m benchmarks.image_bench [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from devstack import TRUSTED_PROXY_CIDR, container
from devstack.image import SERVICE_IMAGE, base_image_name, build_service_image, image_size
from devstack.lock import BASE_DISTRIBUTIONS, LOCK, installed_distributions, pinned_versions
from devstack.podman import ContainerError, podman
from devstack.processes import ServerError
from service import contract

MB = 1_000_000
SETTINGS = contract.container_environment(
    allow_origins=["https://app.example.com"],
    allow_credentials=True,
    forwarded_allow_ips=TRUSTED_PROXY_CIDR,
)


def _layers(tag: str, base: str) -> list[tuple[str, int]]:
    """(step, bytes) for the Dockerfile's own layers, oldest first."""
    base_layers = len(podman("history", "-q", base).stdout.split())
    shown = podman("history", "--no-trunc", "--format", "json", tag).stdout
    steps = json.loads(shown)[:-base_layers]
    return [
        (
            str(step["CreatedBy"]).replace("/bin/sh -c ", "").replace("#(nop) ", "")[:70],
            step["size"],
        )
        for step in reversed(steps)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="container starts to time")
    args = parser.parse_args()
    try:
        image = build_service_image()
        started = time.perf_counter()
        build_service_image()
        warm_build = time.perf_counter() - started
        base = f"localhost/{base_image_name()}"
        starts = []
        with tempfile.TemporaryDirectory(prefix="image-bench-") as logs:
            for run in range(args.repeat):
                started = time.perf_counter()
                log = Path(logs) / f"container-{run}.log"
                with container.start(image, SETTINGS, log=log, purpose="bench") as running:
                    starts.append(time.perf_counter() - started)
                    installed = set(installed_distributions(running))
    except (ContainerError, ServerError) as exc:
        sys.exit(f"error: {exc}")
    locked = set(pinned_versions(LOCK))
    total, base_size = image_size(image), image_size(base)
    print(f"service image {SERVICE_IMAGE} ({image[:12]}) on the stand-in for {base_image_name()}")
    print(f"  image size                      {total / MB:8.1f} MB")
    print(f"  stand-in base                   {base_size / MB:8.1f} MB")
    print(f"  added by service/Dockerfile     {(total - base_size) / MB:8.1f} MB")
    for step, size in _layers(image, base):
        if size:
            print(f"    {size / MB:8.1f} MB  {step}")
    print(f"  installed distributions         {len(installed):8d}")
    print(f"    from service/requirements.lock {len(installed & locked):7d}")
    print(f"    from the base (packaging)     {len(installed & BASE_DISTRIBUTIONS):8d}")
    print(f"  warm rebuild (layers cached)    {warm_build:8.2f} s")
    print(
        f"  podman run -> /healthz 200      {statistics.median(starts):8.2f} s "
        f"(median of {len(starts)}, min {min(starts):.2f}, max {max(starts):.2f})"
    )


if __name__ == "__main__":
    main()
