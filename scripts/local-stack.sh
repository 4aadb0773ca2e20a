#!/usr/bin/env bash
# Run the local production-like stack until Ctrl-C: the service (the container's command line)
# behind nginx playing API Gateway -> NLB -> internal ALB and a public ALB, plus the frontend on
# its own https origins with a generated config.json. Everything binds 127.0.0.1 only.
# Prints the URLs to open; the certificate is self-signed (accept it once per port).
#   scripts/local-stack.sh [--stage v1]
set -euo pipefail
# Same idempotent set-up as the test command (apt: nginx, chromium, wrk, openssl).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" --test
exec python -m devstack "$@"
