#!/usr/bin/env bash
# make demo-delivery: continuous delivery of lending_club under `mlpipe server`
# (examples/continuous_delivery/README.md). A weak first model becomes the
# champion; live traffic (load.py) and its true labels (feedback.py) start;
# a webhook retrains a better model, which passes the offline gates and is
# canaried to 100 %; a model trained on shuffled labels is rejected offline;
# a scikit-learn model that is fine offline but slow online is rolled back by
# the canary's latency guardrail. Then the history of every decision, `mlpipe
# explain` of the rollback, and the load generator's count of failed requests
# (0: the champion answered throughout).
# Usage: scripts/demo_delivery.sh PATH/TO/mlpipe   (MLPIPE_DEMO_DIR: where to
# work, default build/demo-delivery; DEMO_RPS: the load, default 80/s)
set -euo pipefail
MLPIPE=$(readlink -f "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${MLPIPE_DEMO_DIR:-$ROOT/build/demo-delivery}
RPS=${DEMO_RPS:-80}
rm -rf "$DEMO"
mkdir -p "$DEMO"
# The example reads the loans of examples/lending_club and trains with the
# scripts of examples/sklearn_compare: all three, side by side.
cp -r "$ROOT/examples/lending_club" "$ROOT/examples/sklearn_compare" "$ROOT/examples/continuous_delivery" "$DEMO/"
cd "$DEMO/continuous_delivery"
unset MLPIPE_HOME # the project's own .mlpipe/
# Debian's python3 (with python3-sklearn) first: the scikit-learn package's
# training step and its predictor workers run `python3`.
export PATH=/usr/bin:$PATH
LOANS=../lending_club/data/loans.csv

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
fail() { printf '\ndemo_delivery.sh: %s\n' "$*" >&2; exit 1; }
# Polls `cmd` every 0.2 s for up to $1 seconds.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  fail "timed out after ${seconds}s waiting for $what"
}
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
# The newest line a background tool printed.
latest() { grep "^$1" "$2" | tail -n 1 || true; }

say "the first model: weak on purpose (3 rounds of boosting). No champion yet: its gates are the thresholds only; it becomes the champion and the deployment lending-club is created"
step "$MLPIPE" run lending_club.yaml -p rounds=3

say "the control plane: runs the webhook's pipeline, carries out rollouts, and keeps 'mlpipe serve' of the deployment up"
printf '\n\033[1m$ %s &\033[0m\n' "$MLPIPE server --port 0 --serve lending-club --serve-stop-on-exit --pipelines lending_club.yaml"
"$MLPIPE" server --port 0 --serve lending-club --serve-stop-on-exit --pipelines lending_club.yaml \
  >server.out 2>server.err &
SERVER=$!
PIDS+=("$SERVER")
wait_until 30 "mlpipe server to listen (server.err)" grep -q listening server.out
cat server.out
URL=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\) .*/\1/p' server.out)
TOKEN=$(cat .mlpipe/token)
ENDPOINT=.mlpipe/serving/lending-club/endpoint.json
serve_ready() { curl -sf "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$ENDPOINT")/v2/health/ready"; }
wait_until 60 "mlpipe serve of lending-club to answer (.mlpipe/server/serve-lending-club.log)" serve_ready
step "$MLPIPE" deployments show lending-club

say "live traffic: $RPS requests/s with a sticky user id, and the true label of 80 % of them, 1 s later"
printf '\n\033[1m$ %s &\033[0m\n' "python3 load.py --csv $LOANS --rps $RPS --log requests.jsonl --summary load-summary.json > load.log"
python3 -u load.py --csv "$LOANS" --rps "$RPS" --log requests.jsonl --summary load-summary.json >load.log 2>&1 &
LOAD=$!
PIDS+=("$LOAD")
printf '\033[1m$ %s &\033[0m\n' "python3 feedback.py --csv $LOANS --log requests.jsonl --delay 1 --fraction 0.8 > feedback.log"
python3 -u feedback.py --csv "$LOANS" --log requests.jsonl --delay 1 --fraction 0.8 >feedback.log 2>&1 &
FEEDBACK=$!
PIDS+=("$FEEDBACK")
wait_until 30 "the first answers (load.log)" grep -q '^load:' load.log
latest load: load.log

say "a better model: a webhook retrains (1000 rounds, early-stopped); it must beat the champion on the same test rows, then win a canary 10 % -> 50 % -> 100 %"
printf '\n\033[1m$ curl -s -X POST -H "Authorization: Bearer $(cat .mlpipe/token)" %s\033[0m\n' \
  "$URL/api/v1/triggers/lending_club/retrain"
FIRE=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/triggers/lending_club/retrain" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["fire"]["id"])')
step python3 watch.py --server "$URL" --fire "$FIRE" --timeout 240
latest load: load.log
latest feedback: feedback.log
step "$MLPIPE" models show lending-club

say "a broken model: the training labels are shuffled (a join on the wrong key). It fails the offline gates and never sees traffic"
step "$MLPIPE" run broken_labels.yaml

say "a scikit-learn model, fine offline (ROC AUC gate) but slow online: its predictor waits 80 ms a request"
printf '\n\033[1m$ %s\033[0m\n' "$MLPIPE run sklearn_slow.yaml"
"$MLPIPE" run sklearn_slow.yaml | tee sklearn.out
RUN=$(sed -n 's/^run \([0-9]*\) succeeded.*/\1/p' sklearn.out)
[[ -n $RUN ]] || fail "the scikit-learn run did not succeed"
step python3 watch.py --server "$URL" --run "$RUN" --timeout 240
latest load: load.log

# The traffic stops here, so that the history below is the whole story.
kill -TERM "$LOAD" "$FEEDBACK"
LOAD_STATUS=0
wait "$LOAD" || LOAD_STATUS=$?
wait "$FEEDBACK" || true
PIDS=("$SERVER")

say "every decision about the deployment, newest first (without the waits: each step is judged every second)"
printf '\n\033[1m$ %s\033[0m\n' "$MLPIPE deployments history lending-club --limit 0 | grep -v ' wait '"
"$MLPIPE" deployments history lending-club --limit 0 | grep -v ' wait '
say "why was the scikit-learn candidate rolled back? The judgement, recomputed from its stored inputs"
DECISION=$("$MLPIPE" deployments history lending-club --limit 0 --json | python3 -c '
import json, sys
history = json.load(sys.stdin)["history"]
print(next(h["id"] for h in history if h["kind"] == "rollout.judge" and h["verdict"] == "fail"))')
step "$MLPIPE" explain "$DECISION"

say "the traffic throughout: the load generator's summary (a failed request makes it exit 1) and the labels sent"
grep -v '^load: ' load.log || true
latest feedback: feedback.log

kill -TERM "$SERVER"
wait "$SERVER" || true
trap - EXIT
echo
echo "Demo project: $DEMO/continuous_delivery (its workspace is .mlpipe/ there)"
echo "Load: load.log, load-summary.json; labels: feedback.log; server: server.err, .mlpipe/server/"
[[ $LOAD_STATUS == 0 ]] || fail "the load generator saw failed requests (load.log)"
