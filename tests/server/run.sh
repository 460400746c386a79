#!/usr/bin/env bash
# The server tests: node's test runner drives `rightsize serve` (the binary given as $1) through
# the official openai client. Installs the pinned client from package-lock.json when missing.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "server tests: node and npm are needed (scripts/install-deps.sh installs them)" >&2
  exit 1
fi
if [ ! -f node_modules/openai/package.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
RIGHTSIZE_BIN="$1" exec node --test api.test.mjs structured.test.mjs lifecycle.test.mjs
