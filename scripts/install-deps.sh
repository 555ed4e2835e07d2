#!/usr/bin/env bash
# Installs everything Writ needs to build, test and run its demo on Debian bookworm:
# compilers and libraries from Debian, peers and real components for the tests from npm.
# Idempotent: packages already present are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  libboost1.81-all-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl libsqlite3-dev sqlite3 libpq-dev postgresql
  libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libsodium-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libgoogle-perftools-dev
  nodejs npm
  wrk nginx-light rsyslog chromium
  python3 python3-cryptography curl ca-certificates procps
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# nodejs may come from another source than Debian's package; accept any node >= 18 with npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]}")
fi

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Test peers and real components (pinned in tests/node/package-lock.json).
if [[ ! -d tests/node/node_modules ]] || [[ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi
