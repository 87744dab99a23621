"""How soon a bad candidate is rolled back: from the moment its live numbers
turn bad (the threshold is crossed) to the rollout controller's failing
decision, and to the serve process answering with the candidate's arm gone.

A command-predictor candidate (Python, standard library) is good until a
fault file appears; then every answer is an error (`--fault error`) or takes
60 ms more (`--fault slow`). wrk (-t2 -c8) keeps one-row requests flowing
against `mlpipe serve --deployment scorer` while `mlpipe server` holds the
candidate at its first step (5 %, with min_requests out of reach so the step
never passes). Per trial: wait until the step has been judged a few times,
then, at a random point of an analysis interval, create the fault file and
record
  decision: the failing look's time - the fault's time,
  live:     the first stats answer with the arm removed - the fault's time,
both also in analysis intervals (the target: a rollback within one analysis
interval of the threshold being crossed; the fault crosses it at once).

Prints a Markdown table and a one-line JSON summary.
Usage: python3 bench/server/rollback.py MLPIPE [--out DIR] [--trials 5] [--interval 1s]
"""
import http.client
import json
import os
import random
import re
import subprocess
import threading
import time

from serverlib import Server, arg_parser, fresh_dir, median, mlpipe, start_serve, wait_until, write

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

# A model package: P(yes) = sigmoid(4 * (x + c + shift)), c = 1 for red and
# -0.5 otherwise; once FAULT exists, one-row requests fail or are slow.
MAKE_PACKAGE = r'''import json, os, sys
shift, mode, fault, out = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.makedirs(out)
worker = """import json, math, os, sys, time
shift, mode, fault = float(sys.argv[1]), sys.argv[2], sys.argv[3]
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    c = req["columns"]
    bad = len(c["x"]) == 1 and mode != "ok" and os.path.exists(fault)
    if bad and mode == "error":
        print(json.dumps({"id": req["id"], "error": "broken on purpose"}), flush=True)
        continue
    if bad and mode == "slow":
        time.sleep(0.06)
    out = []
    for x, color in zip(c["x"], c["color"]):
        z = 4 * ((0.0 if x is None else x) + (1.0 if color == "red" else -0.5) + shift)
        p = 1 / (1 + math.exp(-max(-50, min(50, z))))
        out.append([1 - p, p])
    print(json.dumps({"id": req["id"], "probabilities": out}), flush=True)
"""
open(os.path.join(out, "worker.py"), "w").write(worker)
manifest = {"task": "binary", "target": "label",
            "features": [{"name": "x", "type": "numeric"}, {"name": "color", "type": "categorical"}],
            "class_labels": ["no", "yes"],
            "predictor": {"command": ["python3", "worker.py", str(shift), mode, fault], "workers": 2}}
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
'''

PIPELINE = """pipeline: scorer
params:
  shift: {type: float, default: -1.5}
  mode: {type: string, default: ok}
  fault: {type: string, default: none}
steps:
  train:
    run: python3 make_pkg.py ${params.shift} ${params.mode} ${params.fault} ${outputs.model}
    outputs: {model: model}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: data/test.csv}
    params: {metric: accuracy}
register:
  - model: scorer
    from: train.model
deploy:
  model: scorer
  gates:
    - metric: evaluate.metrics.accuracy
      min: 0.5
  rollout:
    steps: [5, 100]
    min_requests: 100000000
    max_step_time: 1h
    analysis_interval: %(interval)s
    analysis:
      error_rate: {max_increase: 0.005}
      latency_p99: {max_ratio: 1.25}
"""

BODY = {"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [0.3]},
                   {"name": "color", "shape": [1], "datatype": "BYTES", "data": ["red"]}]}


def test_csv(rows=400):
    lines = ["x,color,label"]
    for i in range(rows):
        x = round(-3 + 6 * ((i * 7919) % rows) / rows, 3)
        color = "red" if i % 2 else "blue"
        yes = x + (1.0 if color == "red" else -0.5) + 0.5 > 0
        lines.append("%s,%s,%s" % (x, color, "yes" if yes else "no"))
    return "\n".join(lines) + "\n"


def seconds_of(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", text)
    if not m:
        raise SystemExit("--interval: a duration like 500ms, 1s or 2m")
    return float(m[1]) * {"ms": 1e-3, "s": 1.0, "m": 60.0}[m[2]]


class ArmWatcher(threading.Thread):
    """Polls the deployment's stats every 2 ms; records when the candidate's arm was last seen and first
    seen gone (wall ns)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop = port, False
        self.gone_ns = None
        self.armed = False

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        while not self.stop:
            try:
                conn.request("GET", "/v2/deployments/scorer/stats")
                stats = json.loads(conn.getresponse().read())
                names = [v.get("name") for v in stats.get("variants", [])]
                if self.armed and "candidate" not in names and self.gone_ns is None:
                    self.gone_ns = time.time_ns()
            except Exception:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            time.sleep(0.002)


def main():
    ap = arg_parser("rollback")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--interval", default="1s", help="the rollout's analysis_interval")
    ap.add_argument("--fault", choices=["error", "slow"], nargs="+", default=["error", "slow"])
    args = ap.parse_args()
    interval_s = seconds_of(args.interval)
    project = fresh_dir(args.out)
    fault_file = os.path.join(project, "FAULT")
    write(os.path.join(project, "make_pkg.py"), MAKE_PACKAGE)
    write(os.path.join(project, "data", "test.csv"), test_csv())
    write(os.path.join(project, "pipeline.yaml"), PIPELINE % {"interval": args.interval})
    body_file = os.path.join(project, "body.json")
    write(body_file, json.dumps(BODY))
    mlpipe(args.mlpipe, project, "run", "pipeline.yaml")  # v1: the champion, the deployment created

    serve, port = start_serve(args.mlpipe, project, "scorer")
    server = Server(args.mlpipe, project, ["--pipelines", "pipeline.yaml"])
    env = dict(os.environ, BODY_FILE=body_file, INFER_PATH="/v2/models/scorer/infer")
    wrk = subprocess.Popen(["wrk", "-t2", "-c8", "-d3600s", "-s", os.path.join(REPO, "bench", "serving",
                                                                                  "single_row.lua"),
                            "http://127.0.0.1:%d" % port], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    rows = []
    rng = random.Random(7)
    try:
        for fault in args.fault:
            for trial in range(args.trials):
                if os.path.exists(fault_file):
                    os.remove(fault_file)
                out = mlpipe(args.mlpipe, project, "run", "pipeline.yaml", "--json", "-p", "shift=0.5",
                             "-p", "mode=" + fault, "-p", "fault=" + fault_file)
                rollout = next(json.loads(l)["rollout"] for l in out.splitlines() if '"event":"gates"' in l)

                def judged_looks():
                    r = server.get("/api/v1/rollouts/%d" % rollout)
                    looks = [d for d in r["decisions"] if d["verdict"] == "wait"]
                    return r if r["state"] == "running" and len(looks) >= 3 else None
                if not wait_until(judged_looks, timeout=300, every=0.05):
                    raise RuntimeError("rollout %d was not judged 3 times: %s" % (
                        rollout, server.get("/api/v1/rollouts/%d" % rollout)))
                # The fault comes at a random point between two looks (seeded: the same offsets each run).
                time.sleep(rng.uniform(0, interval_s))
                watcher = ArmWatcher(port)
                watcher.armed = True
                watcher.start()
                t0 = time.time_ns()
                write(fault_file, "")
                state = wait_until(lambda: (lambda s: s if s not in ("running", "paused") else None)(
                    server.get("/api/v1/rollouts/%d" % rollout)["state"]), timeout=300, every=0.02)
                wait_until(lambda: watcher.gone_ns, timeout=30, every=0.01)
                watcher.stop = True
                r = server.get("/api/v1/rollouts/%d" % rollout)
                failed = [d for d in r["decisions"] if d["verdict"] == "fail"]
                decision_ns = min(d["time_ns"] for d in failed) if failed else None
                rows.append({"fault": fault, "trial": trial + 1, "state": state, "rollout": rollout,
                             "decision_ms": (decision_ns - t0) / 1e6 if decision_ns else None,
                             "live_ms": (watcher.gone_ns - t0) / 1e6 if watcher.gone_ns else None,
                             "reason": failed[0]["reason"] if failed else r.get("detail", "")})
    finally:
        wrk.terminate()
        wrk.wait()
        server.close()
        serve.terminate()
        serve.wait()
        if os.path.exists(fault_file):
            os.remove(fault_file)
    interval_ms = interval_s * 1e3
    print("analysis_interval %s; wrk -t2 -c8 one-row requests throughout; the candidate at 5 %%" % args.interval)
    print()
    print("| fault | trial | outcome | fault -> failing decision | fault -> arm gone from serve | reason |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        d, l = row["decision_ms"], row["live_ms"]
        print("| %s | %d | %s | %s | %s | %s |" % (
            row["fault"], row["trial"], row["state"],
            "%.0f ms (%.2f intervals)" % (d, d / interval_ms) if d is not None else "-",
            "%.0f ms (%.2f intervals)" % (l, l / interval_ms) if l is not None else "-",
            row["reason"][:90]))
    summary = {}
    for fault in args.fault:
        ds = [r["decision_ms"] for r in rows if r["fault"] == fault and r["decision_ms"] is not None]
        ls = [r["live_ms"] for r in rows if r["fault"] == fault and r["live_ms"] is not None]
        summary[fault] = {"rolled_back": sum(r["state"] == "rolled_back" for r in rows if r["fault"] == fault),
                          "trials": args.trials,
                          "decision_ms_median": median(ds) if ds else None,
                          "decision_ms_max": max(ds) if ds else None,
                          "live_ms_max": max(ls) if ls else None,
                          "max_intervals": max(ds) / interval_ms if ds else None}
    print()
    for fault, s in summary.items():
        fmt_ms = lambda v: "%.0f" % v if v is not None else "-"
        print("%s: %d of %d rolled back; fault -> failing decision median %s ms, max %s ms (%.2f intervals); "
              "arm gone from serve by %s ms" % (fault, s["rolled_back"], s["trials"], fmt_ms(s["decision_ms_median"]),
                                                 fmt_ms(s["decision_ms_max"]), s["max_intervals"] or 0,
                                                 fmt_ms(s["live_ms_max"])))
    print(json.dumps({"bench": "rollback", "interval_s": interval_s, "trials": rows, "summary": summary}))


if __name__ == "__main__":
    main()
