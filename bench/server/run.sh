#!/usr/bin/env bash
# GET /api/v1/runs over 100,000 recorded runs: first page, deep and filtered
# pages, beside reading every run, in one run.
# Usage: bench/server/run.sh BUILD_DIR [RUNS]   (a Release build with -DMLPIPE_BENCH=ON)
set -euo pipefail
BUILD=$(readlink -f "${1:-build-bench}")
"$BUILD/bench/server/mlpipe_api_runs_bench" "${2:-100000}"
