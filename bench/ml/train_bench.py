#!/usr/bin/env python3
"""Training time: mlpipe's `train` built-in vs Python XGBoost, side by side in one run.

Both train XGBoost (the same libxgboost underneath) on the same training split with the same parameters
(shared/data/baselines.md protocol: 100 rounds, depth 6, eta 0.3, hist, seed 0, the same nthread).
The split and the fitted transform are made once with mlpipe's own built-ins; then, interleaved, REPS times:
  - mlpipe step:  `mlpipe builtin train --invocation F`, the process the engine runs for a train step
                  (read CSV, apply the transform, train, write the model package with schema and stats);
  - mlpipe run:   `mlpipe run --no-cache` of a one-step pipeline holding that train step (adds the engine:
                  spec, cache key, process spawn, ingesting the package into the store, metadata);
  - python:       `python3 xgb_python.py`: pandas read_csv + get_dummies + DMatrix + xgb.train, a new
                  process each time (imports included).
In-process, mlpipe reports `train_seconds` (transform applied to the table + DMatrix + training + warm-up)
and the Python script its encode + fit time (get_dummies + DMatrix + xgb.train + one predict): the pure fit.
Prints a Markdown table of medians.
Usage: train_bench.py MLPIPE [--datasets lending_club,letter,diamonds] [--reps 5] [--nthread 1]
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# target, task, positive class, split method
DATASETS = {
    "lending_club": ("Class", "binary", "bad", "stratified"),
    "letter": ("lettr", "multiclass", "", "stratified"),
    "diamonds": ("price", "regression", "", "random"),
    "breast_cancer": ("diagnosis", "binary", "malignant", "stratified"),
    "iris": ("species", "multiclass", "", "stratified"),
    "concrete": ("compressive_strength", "regression", "", "random"),
}


def shared_data():
    for d in (os.environ.get("MLPIPE_SHARED_DATA", ""), os.path.join(ROOT, "..", "shared", "data"),
              "/work/shared/data"):
        if d and os.path.isdir(d):
            return os.path.abspath(d)
    sys.exit("shared/data not found; set MLPIPE_SHARED_DATA")


def python_with_xgboost():
    for py in (os.environ.get("PYTHON", ""), "python3", "/usr/bin/python3"):
        if py and subprocess.run([py, "-c", "import xgboost, pandas"], capture_output=True).returncode == 0:
            return py
    sys.exit("no python3 with xgboost and pandas (apt install python3-xgboost python3-pandas)")


def builtin(mlpipe, work, name, inputs, outputs, params, metrics=""):
    inv = os.path.join(work, f"{name}.invocation.json")
    with open(inv, "w") as f:
        json.dump({"inputs": inputs, "outputs": outputs, "params": params, "metrics_path": metrics}, f)
    seconds, cpu, _ = timed([mlpipe, "builtin", name, "--invocation", inv])
    return seconds, cpu


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, **kw):
    """Runs cmd; returns its wall seconds, CPU seconds (user + system, all threads) and stdout."""
    cpu0 = children_cpu()
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {r.stdout}{r.stderr}")
    return seconds, children_cpu() - cpu0, r.stdout


def bench_dataset(mlpipe, py, data_dir, name, reps, xgb, work):
    target, task, positive, method = DATASETS[name]
    src = os.path.join(data_dir, name + ".csv")
    split = {"train": os.path.join(work, "train.csv"), "test": os.path.join(work, "test.csv")}
    builtin(mlpipe, work, "split", {"data": src}, split,
            {"method": method, "test_fraction": 0.2, "seed": 42, "stratify_by": target if method == "stratified" else ""})
    tf_path = os.path.join(work, "transform.json")
    tf_metrics = os.path.join(work, "transform-metrics.jsonl")
    builtin(mlpipe, work, "transform", {"train": split["train"]}, {"transform": tf_path},
            {"target": target, "positive_class": positive}, tf_metrics)
    with open(tf_metrics) as f:
        features = int({d["name"]: d["value"] for d in map(json.loads, f)}["num_features"])
    params = {"model": "xgboost", "rounds": xgb["rounds"], "max_depth": xgb["max_depth"], "eta": xgb["eta"],
              "tree_method": xgb["tree_method"], "nthread": xgb["nthread"], "seed": xgb["seed"]}
    # The one-step pipeline: the same train step, its inputs as sources.
    pipe_dir = os.path.join(work, "pipeline")
    os.makedirs(pipe_dir)
    with open(os.path.join(pipe_dir, "pipeline.yaml"), "w") as f:
        f.write("pipeline: train_bench\nsteps:\n  train:\n    uses: mlpipe/train\n"
                f"    inputs: {{train: {split['train']}, transform: {tf_path}}}\n"
                f"    params: {json.dumps(params)}\n"
                f"    resources: {{cpus: {max(1, xgb['nthread'])}}}\n")
    env = dict(os.environ, MLPIPE_HOME=os.path.join(pipe_dir, ".mlpipe"), OMP_NUM_THREADS=str(max(1, xgb["nthread"])))

    step_s, step_cpu, run_s, py_s, py_cpu, train_s, py_fit_s, py_import_s = [], [], [], [], [], [], [], []
    rows = 0
    for i in range(reps):
        model = os.path.join(work, f"model-{i}")
        metrics = os.path.join(work, f"metrics-{i}.jsonl")
        wall, cpu = builtin(mlpipe, work, "train", {"train": split["train"], "transform": tf_path},
                            {"model": model}, params, metrics)
        step_s.append(wall)
        step_cpu.append(cpu)
        with open(metrics) as f:
            m = {d["name"]: d["value"] for d in map(json.loads, f) if "step" not in d or d["step"] is None}
        train_s.append(m["train_seconds"])
        rows = int(m["train_rows"])
        seconds, _, _ = timed([mlpipe, "run", "pipeline.yaml", "--no-cache", "-j", str(max(1, xgb["nthread"]))],
                           cwd=pipe_dir, env=env)
        run_s.append(seconds)
        seconds, cpu, out = timed([py, os.path.join(HERE, "xgb_python.py"), split["train"], target, task, positive,
                                   json.dumps(xgb)], env=env)
        py_s.append(seconds)
        py_cpu.append(cpu)
        t = json.loads(out.strip().splitlines()[-1])
        py_fit_s.append(t["prep_s"] + t["fit_s"])
        py_import_s.append(t["import_s"])
        shutil.rmtree(model, ignore_errors=True)
    med = statistics.median
    return {"dataset": name, "task": task, "rows": rows, "features": features, "step_s": med(step_s),
            "step_cpu_s": med(step_cpu), "run_s": med(run_s), "python_s": med(py_s), "python_cpu_s": med(py_cpu), "train_seconds": med(train_s), "python_fit_s": med(py_fit_s),
            "python_import_s": med(py_import_s), "step_all": step_s, "python_all": py_s}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mlpipe")
    ap.add_argument("--datasets", default="lending_club,letter,diamonds")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--nthread", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="also print every result as a JSON line")
    args = ap.parse_args()
    mlpipe = os.path.abspath(args.mlpipe)
    py = python_with_xgboost()
    data_dir = shared_data()
    xgb = {"rounds": 100, "max_depth": 6, "eta": 0.3, "tree_method": "hist", "nthread": args.nthread, "seed": 0}
    results = []
    for name in args.datasets.split(","):
        work = tempfile.mkdtemp(prefix=f"mlpipe-train-bench-{name}-")
        try:
            results.append(bench_dataset(mlpipe, py, data_dir, name, args.reps, xgb, work))
        finally:
            subprocess.run(["chmod", "-R", "u+w", work])
            shutil.rmtree(work, ignore_errors=True)
    print(f"XGBoost {xgb['rounds']} rounds, depth {xgb['max_depth']}, eta {xgb['eta']}, {xgb['tree_method']}, "
          f"nthread {xgb['nthread']}; 80/20 split, seed 42; median of {args.reps} interleaved repetitions")
    print()
    print("| dataset | train rows x features | mlpipe step s | python process s | step/python | mlpipe step CPU s "
          "| python CPU s | CPU ratio | mlpipe run s | run/python | mlpipe train_seconds | python encode+fit s "
          "| fit ratio | python imports s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['dataset']} ({r['task']}) | {r['rows']} x {r['features']} | {r['step_s']:.2f} | {r['python_s']:.2f} "
              f"| {r['step_s'] / r['python_s']:.2f}x | {r['step_cpu_s']:.2f} | {r['python_cpu_s']:.2f} "
              f"| {r['step_cpu_s'] / r['python_cpu_s']:.2f}x | {r['run_s']:.2f} | {r['run_s'] / r['python_s']:.2f}x "
              f"| {r['train_seconds']:.2f} | {r['python_fit_s']:.2f} | {r['train_seconds'] / r['python_fit_s']:.2f}x "
              f"| {r['python_import_s']:.2f} |")
    if args.json:
        for r in results:
            print(json.dumps(r))


if __name__ == "__main__":
    main()
