#!/usr/bin/env bash
# Idempotent set-up for a fresh machine (Python 3.11, Node 20, apt). Sourced by the other
# scripts; each step is skipped when what it would install is already in place.
#   setup.sh [--test]   --test also installs the test tools (nginx, chromium, wrk, openssl;
#                       checkov in .venv-checkov;
#                       podman, runc, debootstrap and the stand-in base image for the service
#                       image's tests)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 is not installed (need Python 3.11+)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11+ is required, found $(python3 --version 2>&1)"
command -v npm >/dev/null || die "npm is not installed (need Node.js 20+)"

# apt packages: only what is missing, only for the test command.
if [ "$WANT_TEST" = 1 ]; then
  missing=()
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v openssl >/dev/null || missing+=(openssl)
  # Building and running service/Dockerfile without Docker (devstack/image.py); podman's --init
  # is catatonit, only a recommendation of the podman package.
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  [ -x /usr/libexec/podman/catatonit ] || command -v catatonit >/dev/null || missing+=(catatonit)
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    [ -z "$SUDO" ] || command -v sudo >/dev/null \
      || die "need root or sudo to install: ${missing[*]}"
    say "installing apt packages: ${missing[*]}"
    $SUDO apt-get update -qq >/dev/null
    # Debian releases after bookworm dropped the nginx-light flavour; plain nginx works too.
    if [[ " ${missing[*]} " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
      missing=("${missing[@]/nginx-light/nginx}")
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
  fi
fi

# Python: one virtualenv, re-synced only when a requirements file changed. The test set
# includes the synth set, so installing it also satisfies synth.
hash_of() { cat "$@" | sha256sum | cut -c1-16; }
synth_stamp=".venv/.req-synth-$(hash_of requirements.txt service/requirements.txt)"
req_files=(requirements.txt service/requirements.txt)
stamp="$synth_stamp"
if [ "$WANT_TEST" = 1 ]; then
  req_files+=(requirements-dev.txt)
  stamp=".venv/.req-test-$(hash_of "${req_files[@]}")"
fi
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || { say "creating .venv"; python3 -m venv .venv; }
  say "installing Python packages (${req_files[*]})"
  args=()
  for f in "${req_files[@]}"; do args+=(-r "$f"); done
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check "${args[@]}" >"$log" 2>&1; then
    grep -v '^WARNING: Location' "$log" >&2 || true
    die "pip install failed (see above)"
  fi
  rm -f "$log" .venv/.req-*
  touch "$stamp" "$synth_stamp"
fi

# checkov (tests only) in its own virtualenv: it pins packaging<24, which pytest cannot share.
if [ "$WANT_TEST" = 1 ]; then
  checkov_stamp=".venv-checkov/.req-$(hash_of requirements-checkov.txt)"
  if [ ! -f "$checkov_stamp" ]; then
    [ -x .venv-checkov/bin/python ] || { say "creating .venv-checkov"; python3 -m venv .venv-checkov; }
    say "installing checkov (requirements-checkov.txt)"
    log=$(mktemp)
    if ! .venv-checkov/bin/python -m pip install -q --disable-pip-version-check \
        -r requirements-checkov.txt >"$log" 2>&1; then
      grep -v '^WARNING: Location' "$log" >&2 || true
      die "pip install of checkov failed (see above)"
    fi
    rm -f "$log" .venv-checkov/.req-*
    touch "$checkov_stamp"
  fi
fi

# Node: the pinned CDK CLI.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing the CDK CLI (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# The stand-in for the service image's base (no registry is reachable), cached in podman's
# storage by a hash of its recipe: about a minute once per machine, then a lookup. If Debian's
# archive is unreachable the container tests fail with the reason; the rest can still run.
if [ "$WANT_TEST" = 1 ]; then
  .venv/bin/python -m devstack.image base \
    || say "warning: no stand-in base image; the container tests will fail (see the error above)"
fi

export PATH="$ROOT/.venv/bin:$ROOT/node_modules/.bin:$PATH"
# Node 20 is past jsii's support window; synth works, the banner is noise.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$(node -p 'process.versions.node.split(".")[0]')"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION
