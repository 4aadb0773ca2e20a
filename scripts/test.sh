#!/usr/bin/env bash
# Set up (idempotent, including apt packages) and run every check: ruff, mypy, the test suite.
# Extra arguments go to pytest, e.g. `scripts/test.sh tests/service -k preflight`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" --test
echo "[test] ruff"; ruff check .
echo "[test] mypy"; mypy .
echo "[test] pytest"; python -m pytest "$@"
