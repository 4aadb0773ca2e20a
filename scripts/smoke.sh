#!/usr/bin/env bash
# After `cdk deploy --all --outputs-file outputs.json`: check from outside that the deployed site
# origin can call the deployed API (preflight, credentials, 404 with CORS headers, health).
#   scripts/smoke.sh [outputs.json] [more cors_doctor smoke options, e.g. --json]
# Other paths: --openapi FILE_OR_URL (the paths of an OpenAPI 3 document) or --path P; see
# `python -m cors_doctor smoke --help`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
outputs="${1:-outputs.json}"
[ $# -gt 0 ] && shift
exec python -m cors_doctor smoke --outputs "$outputs" "$@"
