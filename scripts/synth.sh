#!/usr/bin/env bash
# Set up (idempotent) and synthesize the CDK app with its default configuration.
# Extra arguments go to `cdk synth`, e.g. `-c app:extraOrigins=http://localhost:5173`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cdk synth --quiet "$@"
echo "[synth] templates written to cdk.out/"
