#!/usr/bin/env bash
# A/B of the HTTP transport alone (serving/http_*.cc) at two revisions: each is compiled (-O3) with
# transport_echo.cc, a handler that answers a constant body, so that what differs is the transport; both
# servers run side by side and wrk loads one then the other, alternated ROUNDS times, over 1 connection
# (latency: p50, p99) and 8 connections (throughput). Prints every run and the medians with the ratio B/A.
#   bench/serving/transport_ab.sh REV_A [REV_B]   (REV_B default: the working tree)
# Env: DURATION (5s), ROUNDS (3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REV_A=$1
REV_B=${2:-}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
HERE=$ROOT/bench/serving
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/mlpipe-transport-ab.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
# shellcheck source=bench/serving/lib.sh
source "$HERE/lib.sh"

build() {  # SIDE REV: the transport of REV (or the working tree) with the echo handler
  local dir=$WORK/$1/src/mlpipe
  mkdir -p "$dir/serving" "$dir/base"
  # The transport's files at that revision (http_server.cc alone at 9cce6f1; split in files since), and
  # what they use of base/.
  local files
  if [ -n "$2" ]; then
    files=$(git -C "$ROOT" ls-tree --name-only "$2" src/mlpipe/serving/ src/mlpipe/base/ | sed 's|^src/mlpipe/||')
  else
    files=$(cd "$ROOT/src/mlpipe" && ls serving/* base/*)
  fi
  files=$(grep -E '^(serving/http_[a-z_]*|base/status|base/strings)\.(cc|h)$' <<<"$files" | grep -v '_test\.cc$')
  for f in $files; do
    if [ -n "$2" ]; then
      git -C "$ROOT" show "$2:src/mlpipe/$f" >"$dir/$f"
    else
      cp "$ROOT/src/mlpipe/$f" "$dir/$f"
    fi
  done
  local sources=("$HERE/transport_echo.cc")
  for f in $files; do
    if [[ $f == *.cc ]]; then sources+=("$dir/$f"); fi
  done
  g++ -std=c++20 -O3 -DNDEBUG -DBOOST_ALL_NO_LIB -I"$WORK/$1/src" -o "$WORK/$1/echo" "${sources[@]}" -lfmt -pthread
}
build A "$REV_A" &
build B "$REV_B"
wait
declare -A URL
for side in A B; do
  "$WORK/$side/echo" 0 >"$WORK/$side.out" 2>&1 &
  PIDS+=($!)
  wait_listening "$WORK/$side.out"
  URL[$side]=$(sed -n 's/^listening on //p' "$WORK/$side.out")/v2/health/live
done
echo "== machine: $(nproc) cores, $(sed -n 's/model name\s*: //p' /proc/cpuinfo | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== A: ${REV_A}; B: ${REV_B:-working tree}"
declare -A RPS P50 P99
for conns in 1 8; do
  threads=$([ "$conns" = 1 ] && echo 1 || echo 2)
  for round in $(seq "$ROUNDS"); do
    for side in A B; do
      out=$(wrk -t"$threads" -c"$conns" -d"$DURATION" --latency "${URL[$side]}")
      rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
      p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
      p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
      echo "connections $conns round $round $side: $rps req/s, p50 $p50, p99 $p99"
      RPS[$side$conns]+="$rps "
      P50[$side$conns]+="$p50 "
      P99[$side$conns]+="$p99 "
    done
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for conns in 1 8; do
  a=$(median "${RPS[A$conns]}")
  b=$(median "${RPS[B$conns]}")
  awk -v a="$a" -v b="$b" -v c="$conns" -v n="$ROUNDS" \
    'BEGIN { printf "%s connection(s), median of %d: A %.0f req/s, B %.0f req/s, B/A %.3f\n", c, n, a, b, b / a }'
  echo "  p50 A: ${P50[A$conns]}/ B: ${P50[B$conns]}; p99 A: ${P99[A$conns]}/ B: ${P99[B$conns]}"
done
