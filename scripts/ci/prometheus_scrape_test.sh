#!/usr/bin/env bash
# A real Prometheus (Debian's package) scrapes `mlpipe serve`'s /metrics.
#   prometheus_scrape_test.sh MLPIPE_BIN MAKE_PACKAGE_BIN
# Installs prometheus if missing, makes a tiny model package, starts the
# server on a free port and prometheus on another (scrape every 1 s), waits
# (with a deadline) until up == 1 and an mlpipe series is queryable, then
# stops exactly the processes it started. Exit 0 on success.
set -euo pipefail
MLPIPE=${1:?usage: $0 MLPIPE_BIN MAKE_PACKAGE_BIN}
MAKE_PACKAGE=${2:?usage: $0 MLPIPE_BIN MAKE_PACKAGE_BIN}
DATA=${MLPIPE_SHARED_DATA:-/work/shared/data}
DEADLINE_S=${DEADLINE_S:-90}

WORK=$(mktemp -d /tmp/mlpipe-prom-test.XXXXXX)
SERVER_PID=""; PROM_PID=""
cleanup() {
  [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[prometheus-scrape] %s\n' "$*"; }
fail() { log "FAIL: $*"; [ -f "$WORK/prom.log" ] && tail -20 "$WORK/prom.log"; [ -f "$WORK/serve.err" ] && tail -20 "$WORK/serve.err"; exit 1; }

if ! command -v prometheus >/dev/null; then
  log "installing prometheus"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
    prometheus >"$WORK/apt.log" 2>&1 || { tail "$WORK/apt.log"; fail "apt-get install prometheus"; }
fi

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

"$MAKE_PACKAGE" "$DATA/iris.csv" species "$WORK/iris_pkg" 5 >/dev/null 2>"$WORK/make.err" \
  || { cat "$WORK/make.err"; fail "cannot make the fixture package"; }

# The server: port 0, it prints the port it took.
MLPIPE_HOME="$WORK/.mlpipe" "$MLPIPE" serve --package "$WORK/iris_pkg" --port 0 --log-dir "$WORK/log" \
  >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 300); do grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
SERVE_URL=$(sed -n 's/^listening on //p' "$WORK/serve.out")
[ -n "$SERVE_URL" ] || fail "the server did not start"
TARGET=${SERVE_URL#http://}
log "mlpipe serve on $TARGET (pid $SERVER_PID)"
# Traffic, so request series exist.
for i in 1 2 3; do
  curl -sf -X POST "$SERVE_URL/v1/models/iris_pkg:predict" -H 'Content-Type: application/json' \
    -d '{"instances": [{}]}' >/dev/null || fail "predict request failed"
done

PROM_PORT=$(free_port)
mkdir -p "$WORK/data"
cat >"$WORK/prometheus.yml" <<Y
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: mlpipe
    static_configs: [{targets: ['$TARGET']}]
Y
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "promtool rejected the config"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1h >"$WORK/prom.log" 2>&1 &
PROM_PID=$!
log "prometheus on 127.0.0.1:$PROM_PORT (pid $PROM_PID)"

query() {
  curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" \
    | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' \
    2>/dev/null || true
}
end=$(( $(date +%s) + DEADLINE_S ))
up=""; reqs=""; health=""
while [ "$(date +%s)" -lt "$end" ]; do
  up=$(query 'up{job="mlpipe"}')
  reqs=$(query 'sum(mlpipe_requests_total{code="200"})')
  if [ "$up" = 1 ] && [ -n "$reqs" ]; then break; fi
  sleep 0.5
done
health=$(curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/targets" | /usr/bin/python3 -c \
  'import json,sys; t=json.load(sys.stdin)["data"]["activeTargets"]; print(t[0]["health"] if t else "", t[0].get("lastError","") if t else "")' || true)
log "target health: $health"
[ "$up" = 1 ] || fail "prometheus never scraped the server (up=$up)"
[ "${reqs%%.*}" -ge 3 ] 2>/dev/null || fail "mlpipe_requests_total not seen (got '$reqs')"
inflight=$(query 'mlpipe_requests_in_flight')
[ -n "$inflight" ] || fail "mlpipe_requests_in_flight not seen"
buckets=$(query 'count(mlpipe_request_duration_seconds_bucket)')
[ -n "$buckets" ] && [ "${buckets%%.*}" -ge 17 ] || fail "latency histogram not seen (got '$buckets')"
log "OK: up=1, mlpipe_requests_total{code=200}=$reqs, $buckets latency buckets"

# Graceful stop: SIGTERM -> exit 0.
kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=""
[ "$rc" = 0 ] || fail "mlpipe serve exited $rc on SIGTERM"
log "mlpipe serve exited 0 on SIGTERM"
