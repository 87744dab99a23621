#!/usr/bin/env bash
# The control plane's benchmarks (`mlpipe server`): change-to-run latency,
# a run's overhead through the server, the events stream under a 1,000-step
# fan-out, an idle server's CPU and memory (each prints a Markdown table and a
# one-line JSON summary); then GET /api/v1/runs over 100,000 recorded runs.
# Usage: bench/server/run.sh BUILD_DIR [RUNS]   (a Release build with -DMLPIPE_BENCH=ON)
set -euo pipefail
BUILD=$(readlink -f "${1:-build-bench}")
MLPIPE="$BUILD/src/mlpipe/cli/mlpipe"
HERE=$(cd "$(dirname "$0")" && pwd)
for bench in change_latency overhead events_fanout idle canary rollback; do
  echo
  echo "### $bench"
  python3 "$HERE/$bench.py" "$MLPIPE"
done
echo
echo "### api_runs"
"$BUILD/bench/server/mlpipe_api_runs_bench" "${2:-100000}"
