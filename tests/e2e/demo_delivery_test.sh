#!/usr/bin/env bash
# End-to-end: `make demo-delivery`'s script (scripts/demo_delivery.sh) runs to
# its end, and what it claims is in the records: the better model promoted
# (alias champion moved to it, `previous` the first champion), the model
# trained on shuffled labels rejected by a gate before any traffic, the slow
# scikit-learn model rolled back on latency, `mlpipe explain` recomputing the
# rollback's judgement the same, and the load generator's 0 failed requests
# with traffic on both arms. No timing is asserted; the demo's own waits are
# bounded and say what they waited for.
#   tests/e2e/demo_delivery_test.sh PATH/TO/mlpipe      (exit 0 on success)
set -euo pipefail
MLPIPE=$(readlink -f "${1:?usage: $0 PATH/TO/mlpipe}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/mlpipe-demo-delivery-test.XXXXXX)
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
log() { printf '[demo-delivery-test] %s\n' "$*"; }
fail() { log "FAIL: $*"; exit 1; }

/usr/bin/python3 -c 'import sklearn, pandas' 2>/dev/null ||
  fail "Debian's /usr/bin/python3 lacks scikit-learn or pandas (scripts/deps.sh installs python3-sklearn python3-pandas)"
log "running scripts/demo_delivery.sh (a few minutes)"
status=0
MLPIPE_DEMO_DIR=$WORK/demo timeout 600 "$SRC/scripts/demo_delivery.sh" "$MLPIPE" >"$WORK/demo.log" 2>&1 || status=$?
if [[ $status != 0 ]]; then
  tail -40 "$WORK/demo.log"
  fail "scripts/demo_delivery.sh exited $status$([[ $status == 124 ]] && echo ' (killed after 600 s)')"
fi
DIR=$WORK/demo/continuous_delivery
cd "$DIR"
unset MLPIPE_HOME
"$MLPIPE" deployments history lending-club --limit 0 --json >"$WORK/history.json"
"$MLPIPE" models show lending-club --json >"$WORK/model.json"

# Everything checked in one place, each failure named; the records are read
# by version number as the demo makes them: v1 the weak first champion, v2
# the webhook's better model, v3 the broken one, v4 the scikit-learn one.
/usr/bin/python3 - "$WORK/history.json" "$WORK/model.json" "$DIR/load-summary.json" "$WORK/demo.log" <<'PY'
import json, sys
history = json.load(open(sys.argv[1]))["history"]
model = json.load(open(sys.argv[2]))
load = json.load(open(sys.argv[3]))
demo = open(sys.argv[4]).read()
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


decisions = {}
for h in history:
    if h.get("kind") != "revision":
        decisions[h["id"]] = h
def of(version, kind, verdict=None):
    return [d for d in decisions.values()
            if d["model_version"] == version and d["kind"] == kind and (verdict is None or d["verdict"] == verdict)]

aliases = model["aliases"]
versions = {v.get("version"): v for v in model.get("versions", [])}
check(aliases.get("champion") == 2, f"alias champion is {aliases.get('champion')}, not v2 (the promoted model)")
check(aliases.get("previous") == 1, f"alias previous is {aliases.get('previous')}, not v1 (the first champion)")
check(of(1, "gates", "pass"), "v1's gates did not pass")
check(of(2, "gates", "pass"), "v2 (the better model) did not pass its gates")
check(any("exceeds" in d["reason"] for d in of(2, "gate", "pass")), "v2's beats-champion gate did not pass")
check(len(of(2, "rollout.step")) == 3, f"v2 went through {len(of(2, 'rollout.step'))} rollout steps, not 3")
check(of(2, "promote", "done"), "v2 was not promoted")

check(of(3, "gates", "fail"), "v3 (shuffled labels) did not fail its gates")
check(any("evaluate.metrics.roc_auc" in d["reason"] for d in of(3, "gate", "fail")),
      "v3 did not fail the ROC AUC threshold gate")
check(not of(3, "rollout.step"), "v3 reached a rollout step")
rejected = [a for a in model["alias_history"] if a["alias"] == "rejected" and a["to"] == 3]
check(rejected, "v3 never got alias rejected")

check(of(4, "gates", "pass"), "v4 (scikit-learn) did not pass its gate")
check(of(4, "infra_gate", "pass"), "v4 did not pass the infrastructure gate")
rollbacks = of(4, "rollback")
check(rollbacks and "p99 latency" in rollbacks[0]["reason"],
      f"v4 was not rolled back on latency: {[d['reason'] for d in rollbacks]}")
check(not of(4, "promote"), "v4 was promoted")
check(aliases.get("rejected") == 4, f"alias rejected is {aliases.get('rejected')}, not v4 (rolled back)")

check(load["failed"] == 0, f"the load generator saw {load['failed']} failed requests: {load['errors']}")
check(load["ok"] > 1000, f"only {load['ok']} requests answered")
check(load["variants"].get("candidate", 0) > 0 and load["variants"].get("champion", 0) > 0,
      f"traffic did not reach both arms: {load['variants']}")
check("recomputed: the same" in demo, "mlpipe explain of the rollback did not recompute the same")
check("rollout 1: promoted" in demo and "rollout 2: rolled_back" in demo,
      "watch.py did not report the promotion and the rollback")

for p in problems:
    print(f"[demo-delivery-test] FAIL: {p}")
sys.exit(1 if problems else 0)
PY
log "OK"
