#!/usr/bin/env bash
# Installs every Debian package rightsize needs to build and test. Idempotent: a package that is
# already there is skipped, so `make run` / `make test` can call this on every invocation cheaply.
set -euo pipefail

packages=(
  cmake g++ make pkg-config          # build
  libgtest-dev libbenchmark-dev      # tests, micro-benchmarks
  libhwy-dev                         # portable SIMD with runtime dispatch
  nlohmann-json3-dev                 # JSON (info --json, test data)
  libcli11-dev                       # command line
  libpcre2-dev                       # Unicode regex for BPE pre-tokenizers
  clang libclang-rt-dev              # libFuzzer target, sanitizer runtime
  libcpp-httplib-dev libssl-dev      # HTTP server (serve)
)
# Node.js and npm run the server tests with the official openai client. A machine that already
# has node (e.g. from NodeSource, whose nodejs bundles npm) keeps it: Debian's npm would conflict.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
