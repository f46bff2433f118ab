#!/usr/bin/env bash
# Builds the openchecks action image and, with --push, pushes it. Needs a Docker engine (not on the dev machines).
# Usage: infra/runtime/build.sh [--push] [IMAGE]   (IMAGE defaults to $RUNTIME_IMAGE or openchecks/action-python-v3.11:latest)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
push=0
if [ "${1:-}" = "--push" ]; then push=1; shift; fi
image="${1:-${RUNTIME_IMAGE:-openchecks/action-python-v3.11:latest}}"
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  echo "error: building the action image needs a running Docker engine; none answers here." >&2
  echo "Build it on a machine with Docker, push it to a registry your OpenWhisk can pull from, and set RUNTIME_IMAGE." >&2
  exit 1
fi
docker build -f "$repo/infra/runtime/Dockerfile" -t "$image" "$repo"
if [ "$push" = 1 ]; then docker push "$image"; fi
echo "built $image"
