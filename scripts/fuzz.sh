#!/bin/sh
# Runs every libFuzzer target in fuzz/ for a set time each.
#   scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET [SEED [TARGETS]]
# SEED 0 (the default) lets libFuzzer pick one; CI gives a fixed one.
# TARGETS: a space-separated list (default: every target).
# First each target replays fuzz/regressions/TARGET/ (inputs that once crashed
# it: they must pass forever), then fuzzes from a seed corpus made of the
# examples and the docs' code blocks plus the corpus kept in BUILD_DIR from
# earlier runs. A crash, a leak, a timeout (10 s on one input) or more than
# 2 GiB of memory fails the script and leaves the input in
# BUILD_DIR/crashes/; fix the bug, then add the input to
# fuzz/regressions/TARGET/ so it stays fixed.
set -eu
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
SEED=${3:-0}
TARGETS=${4:-spec_loader_fuzz csv_reader_fuzz oip_request_fuzz http_request_fuzz}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEEDS="$BUILD/seeds"
mkdir -p "$BUILD/crashes"

# Seeds: what real inputs look like, so the fuzzer starts from valid files.
rm -rf "$SEEDS"
mkdir -p "$SEEDS/spec_loader_fuzz" "$SEEDS/csv_reader_fuzz" "$SEEDS/oip_request_fuzz" "$SEEDS/http_request_fuzz"
n=0
for f in $(find "$ROOT/examples" -name '*.yaml' | sort); do
  n=$((n + 1)); cp "$f" "$SEEDS/spec_loader_fuzz/example$n.yaml"
done
# Every ```yaml block of the docs, one file each.
for f in "$ROOT"/docs/*.md "$ROOT/README.md"; do
  awk -v dir="$SEEDS/spec_loader_fuzz" -v base="$(basename "$f" .md)" '
    /^```yaml/ { n++; out = dir "/" base "-" n ".yaml"; inside = 1; next }
    /^```/ { inside = 0; next }
    inside { print > out }' "$f"
done
n=0
for f in $(find "$ROOT/examples" -name '*.csv' | sort); do
  n=$((n + 1)); head -c 4096 "$f" > "$SEEDS/csv_reader_fuzz/example$n.csv"
done
for dir in "$ROOT"/fuzz/seeds/*/; do
  [ -d "$dir" ] && cp "$dir"* "$SEEDS/$(basename "$dir")/" 2>/dev/null || true
done

status=0
for target in $TARGETS; do
  bin="$BUILD/fuzz/$target"
  [ -x "$bin" ] || continue
  regressions="$ROOT/fuzz/regressions/$target"
  if [ -n "$(ls -A "$regressions" 2>/dev/null)" ]; then
    echo "== $target: replaying $(ls "$regressions" | wc -l) regression inputs"
    "$bin" -rss_limit_mb=2048 -timeout=10 "$regressions"/* >"$BUILD/crashes/$target.replay.log" 2>&1 || {
      echo "FAILED: a regression input of $target crashes again; see $BUILD/crashes/$target.replay.log"
      tail -30 "$BUILD/crashes/$target.replay.log"
      status=1
      continue
    }
  fi
  corpus="$BUILD/corpus/$target"
  mkdir -p "$corpus"
  echo "== $target: fuzzing for ${SECONDS_EACH} s"
  if ! "$bin" -seed="$SEED" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$BUILD/crashes/$target-" \
      "$corpus" "$SEEDS/$target" >"$BUILD/crashes/$target.log" 2>&1; then
    echo "FAILED: $target found an input that breaks it (kept under $BUILD/crashes/); the log's end:"
    tail -40 "$BUILD/crashes/$target.log"
    status=1
    continue
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$BUILD/crashes/$target.log" | tr '\n' ' '
  echo
done
exit $status
