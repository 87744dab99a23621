#!/usr/bin/env bash
# Training time: mlpipe's train built-in vs Python XGBoost on the same data and parameters, side by side.
# Usage: bench/ml/run.sh BUILD_DIR [train_bench.py options, e.g. --reps 5 --nthread 1 --datasets letter]
# Prints a Markdown table (medians); see bench/ml/train_bench.py for what each column measures.
set -euo pipefail
BUILD=$(readlink -f "${1:-build-bench}")
shift || true
HERE=$(cd "$(dirname "$0")" && pwd)
exec python3 "$HERE/train_bench.py" "$BUILD/src/mlpipe/cli/mlpipe" "$@"
