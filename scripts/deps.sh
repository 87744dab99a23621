#!/usr/bin/env bash
# Installs what mlpipe needs to build, test and run its demo, from Debian 12's
# packages. Idempotent: installs only what is missing, so a second call is fast.
# Usage: scripts/deps.sh [build|bench]   (default: build = build + test + demo)
set -euo pipefail

want=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev libsqlite3-dev libpq-dev libyaml-dev libyaml-cpp-dev nlohmann-json3-dev libfmt-dev libcli11-dev
  libcpp-httplib-dev libcurl4-openssl-dev libpugixml-dev libboost-dev libsimdjson-dev libxgboost-dev xgboost libeigen3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 sqlite3 curl procps
  xfsprogs  # a reflink-capable filesystem on a loop device, for the reflink test
  python3-nbformat python3-nbclient python3-nbconvert python3-ipykernel
  python3-sklearn python3-pandas
  dpkg-dev man-db bash-completion zsh  # make package (dpkg-shlibdeps), the man page and completion tests
  graphviz  # tests: `mlpipe graph` output drawn by dot
  clang-14 libclang-rt-14-dev  # make fuzz: clang's libFuzzer and sanitizers
  postgresql  # tests: the PostgreSQL metadata store (scripts/services/start-pg.sh)
  prometheus  # tests: promtool checks the alert rules; a real Prometheus scrapes `mlpipe serve`
  chromium  # tests/ui: the web UI's browser tests (headless)
)
# The web UI is built with node and npm (ui/, docs/ui.md): Debian's when there
# is no node at all (a node from elsewhere, with its npm, is used as it is).
if ! command -v node >/dev/null 2>&1; then want+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then want+=(npm); fi
if [[ "${1:-build}" == bench ]]; then
  want+=(python3-xgboost python3-pandas python3-sklearn snakemake make wrk hyperfine)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
