"""Follows what `mlpipe server` decides about a new model, as it happens: the offline gates of a run, then the
rollout they queued, decision by decision (each step, each judgement that is not a plain wait, the promotion or
the rollback), until the rollout ends. Reads the server's JSON API (docs/server-api.md), so it works while the
server runs, from anywhere.

    python3 watch.py --server http://127.0.0.1:8700 --fire 3      # the run a trigger fire started
    python3 watch.py --server http://127.0.0.1:8700 --run 7       # a run (`mlpipe run` or the server's)
    python3 watch.py --server http://127.0.0.1:8700 --rollout 2

Exit status 0 when the run was gated and its rollout (if any) ended, 1 on --timeout. The last line says how it
ended: `rollout 2: promoted ...`, `rollout 3: rolled_back ...`, or `run 7: no rollout (...)`.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--server", required=True, help="mlpipe server's base URL")
parser.add_argument("--deployment", default="lending-club")
what = parser.add_mutually_exclusive_group(required=True)
what.add_argument("--fire", type=int, help="a trigger fire: its run, then as --run")
what.add_argument("--run", type=int, help="a run: its gate decisions, then the rollout they queued")
what.add_argument("--rollout", type=int, help="a rollout: its decisions until it ends")
parser.add_argument("--timeout", type=float, default=300, help="seconds before giving up")
parser.add_argument("--progress-every", type=float, default=5, help="seconds between lines while a step waits")
args = parser.parse_args()
deadline = time.monotonic() + args.timeout
ACTIVE = {"infra_gate", "running", "paused", "promoting"}


def get(path):
    with urllib.request.urlopen(args.server.rstrip("/") + path, timeout=10) as res:
        return json.load(res)


def poll(what, check):
    """check() until it returns something, every 0.2 s; exits 1 with a message at the deadline."""
    while True:
        try:
            value = check()
        except (urllib.error.URLError, OSError) as e:
            print(f"watch.py: {e}; retrying", file=sys.stderr)
            value = None
        if value is not None:
            return value
        if time.monotonic() > deadline:
            sys.exit(f"watch.py: timed out after {args.timeout:g}s waiting for {what}")
        time.sleep(0.2)


def show(d):
    clock = d["time"][11:19]  # the API's times read 2026-12-07T06:00:51.318Z (UTC)
    print(f"  {clock}  {d['kind']:<13} {d['verdict']:<5} {d['reason']}", flush=True)


def gates_of(run):
    """The run's gate decisions (oldest first), once its `gates` outcome is recorded; None before."""
    history = get(f"/api/v1/deployments/{args.deployment}/history?limit=1000")["history"]
    # A decision that wrote a revision comes with it: one entry each, so keep one copy by id.
    mine = {h["decision"]["id"]: h["decision"] for h in history
            if isinstance(h.get("decision"), dict) and h["decision"].get("run") == run}
    if not any(d["kind"] == "gates" for d in mine.values()):
        return None
    return sorted((d for d in mine.values() if d["kind"] in ("gate", "gates")), key=lambda d: d["id"])


def follow(rollout, seen):
    """Prints the rollout's decisions not in `seen` as they come, until it ends."""
    last_progress = 0.0
    while True:
        r = poll(f"rollout {rollout}", lambda: get(f"/api/v1/rollouts/{rollout}"))
        waiting = None
        for d in sorted(r["decisions"], key=lambda d: d["id"]):
            if d["id"] in seen:
                continue
            seen.add(d["id"])
            if d["verdict"] == "wait":
                waiting = d
            else:
                show(d)
        if waiting and time.monotonic() - last_progress >= args.progress_every:
            show(waiting)
            last_progress = time.monotonic()
        if r["state"] not in ACTIVE:
            print(f"rollout {rollout}: {r['state']}: {r['detail']}", flush=True)
            return
        if time.monotonic() > deadline:
            sys.exit(f"watch.py: timed out after {args.timeout:g}s: rollout {rollout} is {r['state']} ({r['detail']})")
        time.sleep(0.3)


run = args.run
if args.fire is not None:
    def fire_run():
        f = get(f"/api/v1/fires/{args.fire}")
        if f["state"] in ("skipped", "cancelled", "interrupted"):
            sys.exit(f"watch.py: fire {args.fire} {f['state']}: {f['detail']}")
        return f["run"] if f["state"] == "finished" else None
    run = poll(f"fire {args.fire} to finish", fire_run)
    status = get(f"/api/v1/runs/{run}").get("status")
    print(f"fire {args.fire}: run {run} {status}", flush=True)
    if status != "succeeded":
        sys.exit(f"watch.py: run {run} {status}: no model to gate (mlpipe runs show {run})")
rollout, shown = args.rollout, set()
if run is not None:
    decisions = poll(f"the gates of run {run}", lambda: gates_of(run))
    for d in decisions:
        show(d)
        shown.add(d["id"])
    outcome = decisions[-1]
    rollout = outcome.get("rollout")
    if rollout is None:
        print(f"run {run}: no rollout ({outcome['reason']})", flush=True)
        sys.exit(0)
follow(rollout, shown)
