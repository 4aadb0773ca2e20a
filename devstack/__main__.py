"""`python -m devstack`: run the local stack until Ctrl-C and print the URLs to open."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from devstack.prereqs import PrerequisiteError
from devstack.stack import API_GATEWAY, PUBLIC_ALB, Stack, StackConfig


def _describe(stack: Stack) -> str:
    gateway = stack.api_url(API_GATEWAY)
    alb = stack.api_url(PUBLIC_ALB)
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
            "Chain 2 (seed 000): public ALB with HTTPS and HTTP->HTTPS listeners -> ECS",
            f"  open the site:      {stack.site_url('public_alb-site')}",
            f"  API base URL:       {alb}  (HTTP listener: {stack.public_alb_http_url})",
            f"  what the app sees:  {alb}debug/request",
            f"  disallowed origin:  {stack.site_url('public_alb-other')}",
            "",
            f"Logs and generated nginx.conf: {stack.workdir}",
            "Press Ctrl-C to stop everything.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("--stage", default="v1", help="API Gateway stage name (default: v1)")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        stack = Stack(StackConfig(stage=args.stage))
        stack.start()
    except (PrerequisiteError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(_describe(stack), flush=True)
        while not stop.wait(0.5):
            for name, service in stack.services.items():
                if service.process.poll() is not None:
                    print(f"error: service {name} exited\n{service.output()}", file=sys.stderr)
                    return 1
    finally:
        print("stopping...", file=sys.stderr, flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
