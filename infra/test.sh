#!/usr/bin/env bash
# The whole test suite: installs what is missing (infra/setup.sh), then lint, types and every test tier.
# Extra arguments go to pytest, e.g. `infra/test.sh -m unit` (tiers: unit, accuracy, integration, browser); pytest runs on OPENCHECKS_TEST_WORKERS
# pytest-xdist workers (2 by default, each taking whole files: a module's fixtures stay in one process;
# `-n 0` runs everything in one process).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash infra/setup.sh
export PATH="$repo/.venv/bin:$PATH"
# Bytecode caches (__pycache__, ignored by git and left out of action zips): with them a second run does not
# compile and assertion-rewrite every module again (about 3 s per pytest process here).
unset PYTHONDONTWRITEBYTECODE
echo "==> ruff"; ruff check .
echo "==> ruff format"; ruff format --check .
echo "==> mypy"; mypy
echo "==> eslint"; infra/node_modules/.bin/eslint --config infra/eslint.config.mjs ui tests/ui
echo "==> tsc (the page's JavaScript against its JSDoc types)"; infra/node_modules/.bin/tsc -p infra/tsconfig.ui.json
echo "==> node --test (the page's modules)"; node --test tests/ui/
if command -v shellcheck >/dev/null; then echo "==> shellcheck"; shellcheck deploy.sh infra/*.sh .ci/run; fi
echo "==> pytest"
exec python -m pytest -n "${OPENCHECKS_TEST_WORKERS:-2}" --dist loadfile "$@"
