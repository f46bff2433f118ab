#!/usr/bin/env bash
# Installs everything openchecks needs on this machine, idempotently: Debian packages (when root),
# the Python virtual environment (.venv, pinned by infra/constraints.txt), the npm packages of the local
# services (infra/package-lock.json) and the Tesseract MICR models (.cache/tessdata, sha256-checked).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"

say() { if [ -t 1 ]; then printf '\033[1;34m==>\033[0m %s\n' "$*"; else printf '==> %s\n' "$*"; fi; }

packages_from() { grep -v '^\s*#' "$1" | grep -v '^\s*$' || true; }

# 1. Debian packages
want=()
for f in infra/runtime/apt-packages.txt infra/apt-dev-packages.txt; do
  while read -r p; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
  done < <(packages_from "$f")
done
if [ "${#want[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${want[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  else
    echo "warning: missing Debian packages (run as root or install them): ${want[*]}" >&2
  fi
fi

# 2. Python virtual environment
stamp_src="$(cat pyproject.toml infra/constraints.txt | sha256sum | cut -c1-16)"
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.openchecks-stamp 2>/dev/null)" != "$stamp_src" ]; then
  say "creating the Python virtual environment in .venv"
  [ -x .venv/bin/python ] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c infra/constraints.txt -e ".[dev]"
  echo "$stamp_src" > .venv/.openchecks-stamp
fi

# 3. npm packages for the local CouchDB-API and S3-API servers
if [ -f infra/package.json ]; then
  lock_hash="$(sha256sum infra/package-lock.json 2>/dev/null | cut -c1-16)"
  if [ ! -d infra/node_modules ] || [ "$(cat infra/node_modules/.openchecks-stamp 2>/dev/null)" != "$lock_hash" ]; then
    say "installing npm packages (infra/package-lock.json)"
    (cd infra && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$lock_hash" > infra/node_modules/.openchecks-stamp
  fi
fi

# 4. Tesseract MICR models
.venv/bin/python -m infra.models install
