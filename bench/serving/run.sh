#!/usr/bin/env bash
# Serving benchmark: `mlpipe serve` vs a Python baseline server (python3-xgboost,
# same package, same preprocessing, same request), side by side with wrk:
# single-row requests over 1 and 8 connections, the one-connection floor (an
# empty answer from mlpipe, and from floor_server.cc, which does nothing), then
# a hot-swap run (100 model swaps under load, against the same load and driver
# without swaps), then what a command predictor's worker adds per batch of 100
# rows over its model's own time (predictor_bench.cc). bench/serving/ab.sh
# compares two mlpipe binaries (a branch against main) on the same load.
#   bench/serving/run.sh [BUILD_DIR]   (default build-serving-release; built if missing)
# Env: DURATION (10s), DATA (/work/shared/data), SWAPS (100), SWAP_DURATION (20s, each of the two swap runs),
#      SWAP_ROUNDS (3 pairs of swap runs; the median ratio is reported).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-serving-release}
DURATION=${DURATION:-10s}
DATA=${DATA:-/work/shared/data}
SWAPS=${SWAPS:-100}
SWAP_ROUNDS=${SWAP_ROUNDS:-3}
HERE=$ROOT/bench/serving
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/mlpipe-serving-bench.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

MLPIPE=$BUILD/src/mlpipe/cli/mlpipe
MAKE_PACKAGE=$BUILD/src/mlpipe/serving/mlpipe_serving_make_package
PREDICTOR_BENCH=$BUILD/bench/serving/mlpipe_predictor_bench
if [ ! -x "$MLPIPE" ] || [ ! -x "$MAKE_PACKAGE" ] || [ ! -x "$PREDICTOR_BENCH" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLPIPE_TESTS=OFF -DMLPIPE_BENCH=ON >/dev/null
  cmake --build "$BUILD" --target mlpipe mlpipe_serving_make_package mlpipe_predictor_bench -j2 >/dev/null
fi

echo "== model: lending_club.csv (22 columns, 9 categorical), XGBoost 100 rounds depth 6"
"$MAKE_PACKAGE" "$DATA/lending_club.csv" Class "$WORK/pkg_a" 100 6 >/dev/null
"$MAKE_PACKAGE" "$DATA/lending_club.csv" Class "$WORK/pkg_b" 60 6 >/dev/null
ln -sfn "$WORK/pkg_a" "$WORK/current"

# One request body: the first data row as a single-row OIP request.
/usr/bin/python3 "$HERE/make_body.py" "$DATA/lending_club.csv" "$WORK/pkg_a" >"$WORK/body.json"

# shellcheck source=bench/serving/lib.sh
source "$HERE/lib.sh"

"$MLPIPE" serve --package "$WORK/current" --port 0 --threads 16 --poll 100ms --log-dir "$WORK/log" \
  >"$WORK/mlpipe.out" 2>"$WORK/mlpipe.err" &
PIDS+=($!); MLPIPE_PID=$!
wait_listening "$WORK/mlpipe.out"
MLPIPE_URL=$(sed -n 's/^listening on //p' "$WORK/mlpipe.out")
PY_PORT=$(free_port)
/usr/bin/python3 "$HERE/baseline_server.py" "$WORK/pkg_a" "$PY_PORT" >"$WORK/py.out" 2>"$WORK/py.err" &
PIDS+=($!)
wait_listening "$WORK/py.out"
PY_URL=http://127.0.0.1:$PY_PORT

# Same answer from both.
A=$(curl -sf -X POST "$MLPIPE_URL/v2/models/current/infer" -H 'Content-Type: application/json' -d @"$WORK/body.json")
B=$(curl -sf -X POST "$PY_URL/v2/models/current/infer" -H 'Content-Type: application/json' -d @"$WORK/body.json")
/usr/bin/python3 - "$A" "$B" <<'PY'
import json, sys
a, b = (json.loads(s)["outputs"] for s in sys.argv[1:3])
pa, pb = a[1]["data"], b[1]["data"]
assert a[0]["data"] == b[0]["data"], (a, b)
assert max(abs(x - y) for x, y in zip(pa, pb)) < 1e-5, (pa, pb)
print("== both servers answer", a[0]["data"], [round(x, 6) for x in pa])
PY

run_wrk() {  # URL CONNECTIONS THREADS -> RESULT line
  BODY_FILE=$WORK/body.json INFER_PATH=/v2/models/current/infer \
    wrk -t"$3" -c"$2" -d"$DURATION" -s "$HERE/single_row.lua" "$1" | grep '^RESULT'
}

echo "== machine: $(nproc) cores, $(sed -n 's/model name\s*: //p' /proc/cpuinfo | head -1)"
printf '%-10s %-12s %12s %10s %10s %8s\n' server connections "req/s" "p50 ms" "p99 ms" errors
declare -A RPS
for conns in 1 8; do
  threads=$([ "$conns" = 1 ] && echo 1 || echo 2)
  for s in mlpipe python; do
    url=$([ "$s" = mlpipe ] && echo "$MLPIPE_URL" || echo "$PY_URL")
    r=$(run_wrk "$url" "$conns" "$threads")
    RPS[$s$conns]=$(field "$r" rps)
    printf '%-10s %-12s %12s %10s %10s %8s\n' "$s" "$conns" "$(field "$r" rps)" "$(field "$r" p50_ms)" \
      "$(field "$r" p99_ms)" "$(( $(field "$r" errors) + $(field "$r" non2xx) ))"
  done
done
for conns in 1 8; do
  awk -v a="${RPS[mlpipe$conns]}" -v b="${RPS[python$conns]}" -v c="$conns" \
    'BEGIN { printf "ratio mlpipe/python at %s connection(s): %.1fx\n", c, a / b }'
done

# The floor at one connection: the same wrk, one connection, against (1) mlpipe's GET /v2/health/live (no
# model, no body: what mlpipe's HTTP transport and loopback TCP cost per round trip) and (2) floor_server.cc,
# which only reads and writes a constant answer (what loopback TCP and wrk cost). Single-row inference at one
# connection cannot be more than this many times the Python server's, whatever the server does.
HEALTH_BODY_FILE=$WORK/empty.json
: >"$HEALTH_BODY_FILE"
health_wrk() { BODY_FILE=$HEALTH_BODY_FILE INFER_PATH=/v2/health/live WRK_METHOD=GET \
  wrk -t1 -c1 -d"$DURATION" -s "$HERE/single_row.lua" "$1" | grep '^RESULT'; }
r=$(health_wrk "$MLPIPE_URL")
echo "floor: mlpipe GET /v2/health/live at 1 connection: $(field "$r" rps) req/s, p50 $(field "$r" p50_ms) ms"
awk -v a="$(field "$r" rps)" -v b="${RPS[python1]}" -v i="${RPS[mlpipe1]}" 'BEGIN {
  printf "floor: an empty answer at 1 connection is %.1fx the Python server'"'"'s inference; mlpipe'"'"'s inference reaches %.0f%% of that floor\n", a / b, 100 * i / a }'
if c++ -O2 -o "$WORK/floor_server" "$HERE/floor_server.cc"; then
  FLOOR_PORT=$(free_port)
  "$WORK/floor_server" "$FLOOR_PORT" >"$WORK/floor.out" 2>&1 &
  PIDS+=($!)
  wait_listening "$WORK/floor.out"
  r=$(health_wrk "http://127.0.0.1:$FLOOR_PORT")
  echo "floor: floor_server.cc (read, write a constant) at 1 connection: $(field "$r" rps) req/s, p50 $(field "$r" p50_ms) ms"
  awk -v a="$(field "$r" rps)" -v b="${RPS[python1]}" 'BEGIN {
    printf "floor: a server that does nothing at 1 connection is %.1fx the Python server'"'"'s inference\n", a / b }'
fi

echo "== hot swap: $SWAP_ROUNDS rounds of $SWAPS model swaps (symlink flip + POST .../load) under 8-connection load"
# Two runs of the same length under the same driver (bench/serving/swap_driver.py, one process): first it
# POSTs /load with the link unchanged (nothing to load: the no-swap baseline), then it flips the link
# between two packages before each POST (a full load, warm-up and publish each time).
swap_run() {  # flip|same -> "RESULT ... failed_loads=N"
  BODY_FILE=$WORK/body.json INFER_PATH=/v2/models/current/infer \
    wrk -t2 -c8 -d"${SWAP_DURATION:-20s}" -s "$HERE/single_row.lua" "$MLPIPE_URL" >"$WORK/swap.wrk" &
  local wrk_pid=$!
  PIDS+=($wrk_pid)
  sleep 1
  local d
  d=$(/usr/bin/python3 "$HERE/swap_driver.py" "$MLPIPE_URL" "$WORK/current" "$WORK/pkg_a" "$WORK/pkg_b" "$SWAPS" "$1")
  wait "$wrk_pid" || true
  echo "$(grep '^RESULT' "$WORK/swap.wrk") $d"
}
loads_done() { curl -sf "$MLPIPE_URL/v2/repository/index" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["loads"])'; }
# SWAP_ROUNDS pairs of runs (same, then flip): on a shared VM one pair's p99 ratio swings by 1.5x from run to
# run, so every pair is printed and the median ratio is the figure.
RATIOS=()
for round in $(seq "$SWAP_ROUNDS"); do
  loads0=$(loads_done)
  base=$(swap_run same)
  loads1=$(loads_done)
  r=$(swap_run flip)
  loads2=$(loads_done)
  echo "round $round: no swaps (same driver): req/s $(field "$base" rps), p50 $(field "$base" p50_ms) ms," \
    "p99 $(field "$base" p99_ms) ms, loads $((loads1 - loads0))"
  echo "round $round: swaps requested: $SWAPS, loads done: $((loads2 - loads1)), failed load calls: $(field "$r" failed_loads)"
  echo "round $round: under swaps: req/s $(field "$r" rps), p50 $(field "$r" p50_ms) ms, p99 $(field "$r" p99_ms) ms," \
    "failed requests $(( $(field "$r" errors) + $(field "$r" non2xx) ))"
  ratio=$(awk -v a="$(field "$r" p99_ms)" -v b="$(field "$base" p99_ms)" 'BEGIN { printf "%.2f", a / b }')
  echo "round $round: p99 under swaps / p99 without: ${ratio}x"
  RATIOS+=("$ratio")
done
printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{ v[NR] = $1 } END {
  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "p99 under swaps / p99 without, median of %d rounds: %.2fx (min %.2fx, max %.2fx)\n", NR, m, v[1], v[NR] }'

echo "== a command predictor's worker: per batch of 100 lending_club rows, over the model's own time (3 runs each)"
# The worker's model is trivial (a logistic function of the numeric columns), timed by the worker itself; the
# round trip is timed here (Prepare: the rows as JSON text; Run: the request line, the worker, the answer).
# The worker answers without parsing (transport: mlpipe, the socket and line I/O alone), then binary
# probabilities as pairs, then as the positive class's alone (the line protocol).
for answer in transport pairs positive; do
  for run in 1 2 3; do
    r=$("$PREDICTOR_BENCH" "$DATA/lending_club.csv" Class 100 "${PREDICTOR_CALLS:-2000}" "$answer" | grep '^RESULT')
    echo "$answer run $run: round trip p50 $(field "$r" p50_us) us (mean $(field "$r" mean_us)), model $(field "$r" model_us) us," \
      "overhead p50 $(field "$r" median_overhead_us) us (mean $(field "$r" overhead_us)); in the worker:" \
      "json.loads $(field "$r" loads_us) us, json.dumps $(field "$r" dumps_us) us"
  done
done
