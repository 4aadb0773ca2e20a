"""`python -m devstack`: run the local stack until Ctrl-C and print the URLs to open."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from devstack.config import (
    API_GATEWAY,
    HTTP_API,
    PUBLIC_ALB,
    REST_ALB,
    SAME_ORIGIN,
    LocalStackConfig,
)
from devstack.image import SERVICE_IMAGE, build_service_image
from devstack.prereqs import PrerequisiteError
from devstack.stack import LocalStack


def _service_kind(stack: LocalStack) -> str:
    image = stack.config.container_image
    if image is None:
        return "local uvicorn processes (the container's command line)"
    return (
        f"the image {SERVICE_IMAGE} ({image[:12]}; podman, read-only root, non-root, "
        "all capabilities dropped)"
    )


def _describe(stack: LocalStack) -> str:
    gateway = stack.api_url(API_GATEWAY)
    alb = stack.api_url(PUBLIC_ALB)
    http_api = stack.api_url(HTTP_API)
    rest_alb = stack.api_url(REST_ALB)
    return "\n".join(
        [
            "Local stack is up (self-signed TLS: accept the certificate warning once per port).",
            "",
            "Chain 1: CloudFront+S3 -> API Gateway (stage prefix) -> NLB -> internal ALB -> ECS",
            f"  open the site:      {stack.site_url('api_gateway-site')}",
            f"  API base URL:       {gateway}",
            f"  API docs:           {gateway}docs",
            f"  what the app sees:  {gateway}debug/request",
            f"  disallowed origin:  {stack.site_url('api_gateway-other')}  (CORS must block it)",
            "",
            "Chain 2: public ALB (TLS ends there; HTTPS and HTTP->HTTPS listeners) -> ECS",
            f"  open the site:      {stack.site_url('public_alb-site')}",
            f"  API base URL:       {alb}  (HTTP listener: {stack.public_alb_http_url})",
            f"  what the app sees:  {alb}debug/request",
            f"  disallowed origin:  {stack.site_url('public_alb-other')}",
            "",
            "Chain 3: CloudFront+S3 -> HTTP API ($default stage, no NLB) -> internal ALB -> ECS",
            f"  open the site:      {stack.site_url('http_api-site')}",
            f"  API base URL:       {http_api}",
            f"  what the app sees:  {http_api}debug/request",
            f"  disallowed origin:  {stack.site_url('http_api-other')}",
            "",
            "Chain 4: CloudFront+S3 -> REST API -> VPC link v2 -> ALB (strips the stage) -> ECS",
            f"  open the site:      {stack.site_url('rest_alb-site')}",
            f"  API base URL:       {rest_alb}",
            f"  what the app sees:  {rest_alb}debug/request",
            f"  disallowed origin:  {stack.site_url('rest_alb-other')}",
            "",
            "Chain 5: CloudFront serves the site and /api/* (VPC origin -> internal ALB -> ECS)",
            f"  open the site:      {stack.site_url(f'{SAME_ORIGIN}-site')}  (no CORS needed)",
            f"  what the app sees:  {stack.api_url(SAME_ORIGIN)}api/items",
            f"  another origin:     {stack.site_url(f'{SAME_ORIGIN}-other')}  (CORS must block it)",
            "",
            f"Service: {_service_kind(stack)}",
            f"Logs and generated nginx.conf: {stack.workdir}",
            "Press Ctrl-C to stop everything.",
        ]
    )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("--stage", default="v1", help="API Gateway stage name (default: v1)")
    parser.add_argument(
        "--container",
        action="store_true",
        help="run the service as the real image (service/Dockerfile, built with podman)",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        image = build_service_image(progress=_progress) if args.container else None
        stack = LocalStack(LocalStackConfig(stage=args.stage, container_image=image))
        stack.start()
    except (PrerequisiteError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(_describe(stack), flush=True)
        while not stop.wait(0.5):
            for name, service in stack.services.items():
                if not service.running():
                    print(f"error: service {name} exited\n{service.output()}", file=sys.stderr)
                    return 1
    finally:
        print("stopping...", file=sys.stderr, flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
