#!/usr/bin/env bash
# make demo-server: the lending_club pipeline under `mlpipe server`. A webhook
# fires a run; then a new month of loans is copied in, the server notices by
# content (not mtime: a touch first, which fires nothing), retrains, records
# the run with its trigger, and the monitoring record shows the retraining
# time. Everything is read back through the HTTP API with curl.
# Usage: scripts/demo_server.sh PATH/TO/mlpipe
set -euo pipefail
MLPIPE=$(readlink -f "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${MLPIPE_DEMO_DIR:-$ROOT/build/demo-server}
rm -rf "$DEMO"
mkdir -p "$DEMO"
cp -r "$ROOT/examples/lending_club" "$DEMO/"
cd "$DEMO/lending_club"
unset MLPIPE_HOME  # the project's own .mlpipe/
# The month of loans that arrives later; the training data starts without it.
head -n 1 data/loans.csv > data/next_month.csv
tail -n 300 data/loans.csv >> data/next_month.csv
head -n -300 data/loans.csv > data/loans.tmp && mv data/loans.tmp data/loans.csv
cat >> pipeline.yaml <<'YAML'
triggers:
  - on_change: [data/loans.csv]
  - webhook: retrain
concurrency: 1
max_runs_per_day: 24
YAML

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }

step "$MLPIPE" validate pipeline.yaml
"$MLPIPE" server --port 0 --poll-interval 200ms > server.out 2> server.err &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening server.out 2>/dev/null && break; sleep 0.1; done
cat server.out
URL=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\) .*/\1/p' server.out)
TOKEN=$(cat .mlpipe/token)
# Waits until no fire is queued or running and N runs finished.
wait_runs() {
  for _ in $(seq 1200); do
    if curl -s "$URL/api/v1/fires?limit=1000" | python3 -c '
import json, sys
fires = json.load(sys.stdin)["fires"]
done = [f for f in fires if f["state"] == "finished"]
busy = [f for f in fires if f["state"] in ("queued", "started")]
sys.exit(0 if len(done) >= int(sys.argv[1]) and not busy else 1)' "$1"; then return 0; fi
    sleep 0.25
  done
  echo "timed out waiting for $1 finished runs" >&2
  return 1
}

say "a webhook fires the first run"
printf '\n\033[1m$ curl -s -X POST -H "Authorization: Bearer $(cat .mlpipe/token)" %s\033[0m\n' \
  "$URL/api/v1/triggers/lending_club/retrain"
curl -s -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/triggers/lending_club/retrain"
echo
wait_runs 1
say "a touch changes the mtime, not the content: nothing fires"
step touch data/loans.csv
sleep 1
say "a new month of loans arrives"
step sh -c 'tail -n +2 data/next_month.csv >> data/loans.csv'
wait_runs 2
step "$MLPIPE" runs list
say "every fire, with its reason and run"
curl -s "$URL/api/v1/fires" | python3 -c '
import json, sys
for f in json.load(sys.stdin)["fires"]:
    print("fire %s  %-9s run %s  %s" % (f["id"], f["state"], f["run"], f["reason"]))'
say "the monitoring record: retraining time per run (GET /api/v1/series)"
curl -s "$URL/api/v1/series?name=mlpipe_run_duration_seconds" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["points"]:
    print("%s  %.2f s" % (p["labels"], p["value"]))'
say "and on /metrics for Prometheus"
curl -s "$URL/metrics" | grep -E '^mlpipe_(run_duration|change_to_run|runs_total|trigger_fires_total)'
say "the events stream (Server-Sent Events), the first few"
curl -s -N --max-time 2 "$URL/api/v1/events?after=0" | grep '^event:' | head -8 || true
kill -TERM $SERVER
wait $SERVER || true
trap - EXIT
echo
echo "Demo project: $DEMO/lending_club (its workspace is .mlpipe/ there)"
echo "Go on from here:  cd $DEMO/lending_club && $MLPIPE server"
