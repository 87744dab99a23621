#!/usr/bin/env bash
# Runs every benchmark side by side with its peers and prints Markdown tables.
# Usage: bench/run_all.sh BUILD_DIR   (a Release build with -DMLPIPE_BENCH=ON)
set -euo pipefail
BUILD=$(readlink -f "${1:-build-bench}")
HERE=$(cd "$(dirname "$0")" && pwd)
MLPIPE="$BUILD/src/mlpipe/cli/mlpipe"
echo "## machine"
echo "$(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
echo
echo "## engine (mlpipe vs ninja, make, Snakemake)"
python3 "$HERE/engine/run_bench.py" "$MLPIPE" --sources
for sub in hashing sources data ml serving server; do
  if [[ -x "$HERE/$sub/run.sh" ]]; then
    echo
    echo "## $sub"
    "$HERE/$sub/run.sh" "$BUILD"
  fi
done
