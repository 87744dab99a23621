#!/usr/bin/env bash
# CSV read (+ one-hot transform) throughput: mlpipe vs pandas, side by side in one run.
# Usage: bench/data/run.sh BUILD_DIR [TARGET_MB]
#   BUILD_DIR: a Release build configured with -DMLPIPE_BENCH=ON (target mlpipe_csv_bench is built here).
#   TARGET_MB: size of the generated file (default 500), made by repeating
#              shared/data/diamonds.csv (header once) into bench/out/.
# Prints a Markdown table: best of 3 wall-clock runs for each side (the machine may be shared),
# and the CPU time (all threads) of those runs, which other load on the machine disturbs less.
set -euo pipefail
BUILD=$(readlink -f "${1:-build-bench}")
TARGET_MB=${2:-500}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC="${MLPIPE_SHARED_DATA:-$ROOT/../shared/data}/diamonds.csv"
[[ -f "$SRC" ]] || SRC=/work/shared/data/diamonds.csv
OUT="$ROOT/bench/out"
BIG="$OUT/diamonds_${TARGET_MB}mb.csv"
# pandas from the Debian package (a pyenv python may not have it).
PY=${PYTHON:-python3}
if ! "$PY" -c 'import pandas' 2>/dev/null; then PY=/usr/bin/python3; fi

mkdir -p "$OUT"
if [[ ! -f "$BIG" ]]; then
  src_bytes=$(stat -c %s "$SRC")
  copies=$(( (TARGET_MB * 1000000 + src_bytes - 1) / src_bytes ))
  body="$OUT/.diamonds_body.csv"
  tail -n +2 "$SRC" > "$body"
  { head -n 1 "$SRC"; for ((i = 0; i < copies; i++)); do cat "$body"; done; } > "$BIG.tmp"
  rm -f "$body"
  mv "$BIG.tmp" "$BIG"
fi
cmake --build "$BUILD" --target mlpipe_csv_bench >/dev/null
BENCH="$BUILD/bench/data/mlpipe_csv_bench"

# Warm the page cache so both sides read from memory.
cat "$BIG" > /dev/null
ours=$("$BENCH" "$BIG" --repeat 3)
theirs=$("$PY" "$HERE/pandas_csv.py" "$BIG" 3)

"$PY" - "$BIG" "$(nproc)" <<PYEOF
import json, os, sys
ours = {d["what"]: d for d in map(json.loads, """$ours""".strip().splitlines())}
theirs = {d["what"]: d for d in map(json.loads, """$theirs""".strip().splitlines())}
size = os.path.getsize(sys.argv[1]) / 1e6
rows = ours["read"]["rows"]
print(f"CSV: {os.path.basename(sys.argv[1])}, {size:.0f} MB, {rows} rows x {ours['read']['cols']} columns; "
      f"{sys.argv[2]} threads; best of 3")
print()
print("| work | mlpipe s | mlpipe MB/s | pandas s | pandas MB/s | speed-up (wall) | mlpipe CPU s | pandas CPU s | speed-up (CPU) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for what, label in [("read", "read_csv"), ("read+transform", "read + one-hot to float32 matrix")]:
    o, t = ours[what], theirs[what]
    print(f"| {label} | {o['seconds']:.2f} | {o['mb_per_s']:.0f} | {t['seconds']:.2f} | {t['mb_per_s']:.0f} | "
          f"{o['mb_per_s'] / t['mb_per_s']:.1f}x | {o['cpu_seconds']:.2f} | {t['cpu_seconds']:.2f} | "
          f"{t['cpu_seconds'] / o['cpu_seconds']:.1f}x |")
PYEOF
