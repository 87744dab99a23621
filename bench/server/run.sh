#!/usr/bin/env bash
# The control plane's benchmarks (`mlpipe server`): change-to-run latency,
# a run's overhead through the server, the events stream under a 1,000-step
# fan-out, an idle server's CPU and memory. Each prints a Markdown table and a
# one-line JSON summary.
# Usage: bench/server/run.sh BUILD_DIR   (a Release build)
set -euo pipefail
BUILD=$(readlink -f "$1")
MLPIPE="$BUILD/src/mlpipe/cli/mlpipe"
HERE=$(cd "$(dirname "$0")" && pwd)
for bench in change_latency overhead events_fanout idle; do
  echo
  echo "### $bench"
  python3 "$HERE/$bench.py" "$MLPIPE"
done
