#!/usr/bin/env bash
# A/B of two mlpipe binaries serving the same built-in (XGBoost) package: both servers up side by side, the same
# wrk load (single-row requests, as run.sh sends) on one then the other, alternated ROUNDS times, over 1 and 8
# connections. Prints every run and, per connection count, the median req/s of each binary and their ratio B/A.
#   bench/serving/ab.sh MLPIPE_A MLPIPE_B MAKE_PACKAGE
#     MLPIPE_A, MLPIPE_B: the two `mlpipe` binaries (e.g. built from main and from a branch, both Release)
#     MAKE_PACKAGE: an mlpipe_serving_make_package binary
# Env: DURATION (10s), ROUNDS (5), DATA (/work/shared/data)
set -euo pipefail
A=$1
B=$2
MAKE_PACKAGE=$3
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
DATA=${DATA:-/work/shared/data}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/mlpipe-serving-ab.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
# shellcheck source=bench/serving/lib.sh
source "$HERE/lib.sh"

"$MAKE_PACKAGE" "$DATA/lending_club.csv" Class "$WORK/current" 100 6 >/dev/null
/usr/bin/python3 "$HERE/make_body.py" "$DATA/lending_club.csv" "$WORK/current" >"$WORK/body.json"
declare -A URL
for side in A B; do
  bin=$([ "$side" = A ] && echo "$A" || echo "$B")
  "$bin" serve --package "$WORK/current" --port 0 --threads 16 --log-dir "$WORK/log$side" \
    >"$WORK/$side.out" 2>"$WORK/$side.err" &
  PIDS+=($!)
  wait_listening "$WORK/$side.out"
  URL[$side]=$(sed -n 's/^listening on //p' "$WORK/$side.out")
done
A_ANSWER=$(curl -sf -X POST "${URL[A]}/v2/models/current/infer" -H 'Content-Type: application/json' -d @"$WORK/body.json")
B_ANSWER=$(curl -sf -X POST "${URL[B]}/v2/models/current/infer" -H 'Content-Type: application/json' -d @"$WORK/body.json")
[ "$(sed -E 's/"(model_version|id)":"[^"]*"//g' <<<"$A_ANSWER")" = "$(sed -E 's/"(model_version|id)":"[^"]*"//g' <<<"$B_ANSWER")" ] ||
  { echo "the two binaries answer differently: $A_ANSWER vs $B_ANSWER"; exit 1; }

echo "== machine: $(nproc) cores, $(sed -n 's/model name\s*: //p' /proc/cpuinfo | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== A: $A"
echo "== B: $B"
declare -A RUNS
for conns in 1 8; do
  threads=$([ "$conns" = 1 ] && echo 1 || echo 2)
  for round in $(seq "$ROUNDS"); do
    for side in A B; do
      r=$(BODY_FILE=$WORK/body.json INFER_PATH=/v2/models/current/infer \
        wrk -t"$threads" -c"$conns" -d"$DURATION" -s "$HERE/single_row.lua" "${URL[$side]}" | grep '^RESULT')
      echo "connections $conns round $round $side: $(field "$r" rps) req/s, p50 $(field "$r" p50_ms) ms, p99 $(field "$r" p99_ms) ms, errors $(( $(field "$r" errors) + $(field "$r" non2xx) ))"
      RUNS[$side$conns]+="$(field "$r" rps) "
    done
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for conns in 1 8; do
  a=$(median "${RUNS[A$conns]}")
  b=$(median "${RUNS[B$conns]}")
  awk -v a="$a" -v b="$b" -v c="$conns" -v n="$ROUNDS" \
    'BEGIN { printf "%s connection(s), median of %d: A %.0f req/s, B %.0f req/s, B/A %.3f\n", c, n, a, b, b / a }'
done
