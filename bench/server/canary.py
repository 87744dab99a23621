"""A full canary under load: wrk (8 connections, one-row requests) against
`mlpipe serve --deployment iris` while `mlpipe server`'s rollout controller
moves a candidate through 5 -> 25 -> 50 -> 100 % and promotes it; the same
load with no rollout first, for the p99 ratio. Also: how long each weight
change takes to be live (from the deployment revision's commit to the first
stats answer naming it, polled every 2 ms by a thread of this script).

Prints a Markdown table and a one-line JSON summary.
Usage: python3 bench/server/canary.py MLPIPE [--out DIR] [--seconds 20]
"""
import json
import os
import re
import shutil
import subprocess
import threading
import time
import http.client

from serverlib import Server, arg_parser, fresh_dir, median, mlpipe, start_serve, wait_until, write

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

PIPELINE = """pipeline: iris
params:
  rounds: 100
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/iris.csv}
    params: {method: stratified, stratify_by: species, test_fraction: 0.2, seed: 42}
  transform:
    uses: mlpipe/transform
    inputs: {train: split.train}
    params: {target: species}
  train:
    uses: mlpipe/train
    inputs: {train: split.train, transform: transform.transform}
    params: {model: xgboost, rounds: "${params.rounds}", max_depth: 4, eta: 0.3, seed: 42}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: split.test}
register:
  - model: iris
    from: train.model
deploy:
  model: iris
  gates:
    - metric: evaluate.metrics.accuracy
      min: 0.8
  rollout:
    steps: [5, 25, 50, 100]
    min_requests: %(min_requests)d
    analysis_interval: 1s
    max_step_time: 5m
"""

BODY = {"inputs": [
    {"name": "sepal_length", "shape": [1], "datatype": "FP64", "data": [5.9]},
    {"name": "sepal_width", "shape": [1], "datatype": "FP64", "data": [3.0]},
    {"name": "petal_length", "shape": [1], "datatype": "FP64", "data": [4.2]},
    {"name": "petal_width", "shape": [1], "datatype": "FP64", "data": [1.5]}]}


def wrk(port, seconds, body_file):
    env = dict(os.environ, BODY_FILE=body_file, INFER_PATH="/v2/models/iris/infer")
    out = subprocess.run(["wrk", "-t2", "-c8", "-d%ds" % seconds, "-s",
                          os.path.join(REPO, "bench", "serving", "single_row.lua"),
                          "http://127.0.0.1:%d" % port], env=env, capture_output=True, text=True).stdout
    m = re.search(r"RESULT requests=(\d+) rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) errors=(\d+) non2xx=(\d+)", out)
    if not m:
        raise RuntimeError("wrk said:\n" + out)
    return {"requests": int(m[1]), "rps": float(m[2]), "p50_ms": float(m[3]), "p99_ms": float(m[4]),
            "errors": int(m[5]) + int(m[6])}


class RevisionPoller(threading.Thread):
    """Records when each deployment revision was first seen live (wall ns)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.seen, self.stop = port, {}, False

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        while not self.stop:
            try:
                conn.request("GET", "/v2/deployments/iris/stats")
                rev = int(json.loads(conn.getresponse().read()).get("revision", 0))
                self.seen.setdefault(rev, time.time_ns())
            except Exception:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            time.sleep(0.002)


def main():
    ap = arg_parser("canary")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--min-requests", type=int, default=2000)
    args = ap.parse_args()
    project = fresh_dir(args.out)
    shutil.copytree(os.path.join(REPO, "examples", "iris", "data"), os.path.join(project, "data"))
    write(os.path.join(project, "pipeline.yaml"), PIPELINE % {"min_requests": args.min_requests})
    body_file = os.path.join(project, "body.json")
    write(body_file, json.dumps(BODY))
    mlpipe(args.mlpipe, project, "run", "pipeline.yaml")  # v1: the champion, the deployment created

    serve, port = start_serve(args.mlpipe, project, "iris")
    server = Server(args.mlpipe, project, ["--pipelines", "pipeline.yaml"])
    try:
        base = wrk(port, args.seconds, body_file)
        poller = RevisionPoller(port)
        poller.start()
        out = mlpipe(args.mlpipe, project, "run", "pipeline.yaml", "--json", "-p", "rounds=60")
        rollout = next(json.loads(l)["rollout"] for l in out.splitlines() if '"event":"gates"' in l)
        result = {}
        t = threading.Thread(target=lambda: result.update(wrk(port, 10 * args.seconds, body_file)))
        t.start()
        state = wait_until(lambda: (lambda s: s if s in ("promoted", "rolled_back", "halted") else None)(
            server.get("/api/v1/rollouts/%d" % rollout)["state"]), timeout=10 * args.seconds, every=0.2)
        t.join()
        poller.stop = True
        canary = result
        revs = {}
        for rev in sorted(poller.seen)[1:]:  # the first was live before the rollout
            r = json.loads(mlpipe(args.mlpipe, project, "deployments", "show", "iris", "--revision", str(rev), "--json"))
            if r.get("actor") == "server":
                revs[rev] = int(r["created_ns"])
        lags = sorted((poller.seen[r] - ns) / 1e6 for r, ns in revs.items() if r in poller.seen)
    finally:
        server.close()
        serve.terminate()
        serve.wait()
    print("| load (wrk -t2 -c8, one-row requests) | requests | errors | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    print("| no rollout, %d s | %d | %d | %.2f | %.2f |" % (args.seconds, base["requests"], base["errors"],
                                                         base["p50_ms"], base["p99_ms"]))
    print("| whole canary 5 -> 100 %% (%s) | %d | %d | %.2f | %.2f |" % (state, canary["requests"], canary["errors"],
                                                                     canary["p50_ms"], canary["p99_ms"]))
    print()
    print("p99 ratio canary / no rollout: %.2f; weight changes live after their commit: %s ms (median %s)" % (
        canary["p99_ms"] / base["p99_ms"], ", ".join("%.1f" % x for x in lags), "%.1f" % median(lags) if lags else "-"))
    print(json.dumps({"bench": "canary", "state": state, "base": base, "canary": canary,
                      "p99_ratio": canary["p99_ms"] / base["p99_ms"], "weight_change_ms": lags}))


if __name__ == "__main__":
    main()
