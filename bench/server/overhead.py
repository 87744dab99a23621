#!/usr/bin/env python3
"""What a run through `mlpipe server` costs over the same `mlpipe run`.

One small pipeline (3 command steps, `cache: false`, so every run runs all
three), in one project. N times each, interleaved so that both see the same
machine load:
  run     - `mlpipe run pipeline.yaml`, wall time measured around the process
  run --json - the same with the progress as JSON lines, as the server's
            child runs it (the difference between the two is the terminal
            progress printer's, not the server's)
  server  - POST /api/v1/triggers/small/go (a webhook) and then GET
            /api/v1/fires/ID every 2 ms until the fire has ended, measured
            by the client (the server's own launch of `mlpipe run --json`,
            its reading of the progress lines, the record of the fire)
Reports the medians and their difference. Target: under 50 ms more.

Usage: overhead.py MLPIPE [--n 15] [--out DIR]
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl  # noqa: E402

PIPELINE = """pipeline: small
steps:
  prepare:
    run: echo prepared > ${outputs.data}
    shell: true
    outputs: {data: dataset}
    cache: false
  train:
    run: cat ${inputs.data} > ${outputs.model}; echo trained >> ${outputs.model}
    shell: true
    inputs: {data: prepare.data}
    outputs: {model: model}
    cache: false
  evaluate:
    run: wc -l ${inputs.model} > ${outputs.report}
    shell: true
    inputs: {model: train.model}
    outputs: {report: dataset}
    cache: false
triggers:
  - webhook: go
"""

TARGET_MS = 50


def direct_run(mlpipe, project, extra=()):
    t0 = time.perf_counter()
    p = subprocess.run([mlpipe, "run", "pipeline.yaml"] + list(extra), cwd=project, env=sl.project_env(project),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("mlpipe run failed:\n" + p.stderr.decode()[-2000:])
    return dt


def server_run(server):
    t0 = time.perf_counter()
    fire_id = server.webhook("small", "go")
    fire = sl.wait_until(lambda: (lambda f: f if sl.ended(f) else None)(server.fire(fire_id)), timeout=60,
                         every=0.002)
    dt = time.perf_counter() - t0
    if not fire or fire["state"] != "finished" or fire["detail"] != "exit 0":
        raise RuntimeError("the server's run did not succeed: %s" % fire)
    return dt, (fire["ended_ns"] - fire["fired_ns"]) / 1e9


def main():
    ap = sl.arg_parser("overhead")
    ap.add_argument("--n", type=int, default=15)
    args = ap.parse_args()
    mlpipe = args.mlpipe
    project = sl.fresh_dir(args.out)
    sl.write(os.path.join(project, "pipeline.yaml"), PIPELINE)
    direct, direct_json, served, recorded = [], [], [], []
    with sl.Server(mlpipe, project) as server:
        direct_run(mlpipe, project)  # warm-up: the workspace, the page cache
        server_run(server)
        for _ in range(args.n):
            direct.append(direct_run(mlpipe, project))
            direct_json.append(direct_run(mlpipe, project, ["--json"]))
            dt, rec = server_run(server)
            served.append(dt)
            recorded.append(rec)
    d, dj, s, r = sl.median(direct), sl.median(direct_json), sl.median(served), sl.median(recorded)
    print("run %s\nserver %s" % (" ".join("%.0f" % (x * 1e3) for x in direct),
                                 " ".join("%.0f" % (x * 1e3) for x in served)), file=sys.stderr)
    sl.print_table(["how", "N", "median wall", "min", "max"], [
        ("`mlpipe run`", len(direct), "%.1f ms" % (d * 1e3), "%.1f ms" % (min(direct) * 1e3),
         "%.1f ms" % (max(direct) * 1e3)),
        ("`mlpipe run --json`", len(direct_json), "%.1f ms" % (dj * 1e3), "%.1f ms" % (min(direct_json) * 1e3),
         "%.1f ms" % (max(direct_json) * 1e3)),
        ("webhook -> fire ended (client)", len(served), "%.1f ms" % (s * 1e3), "%.1f ms" % (min(served) * 1e3),
         "%.1f ms" % (max(served) * 1e3)),
        ("fired_ns -> ended_ns (server's record)", len(recorded), "%.1f ms" % (r * 1e3),
         "%.1f ms" % (min(recorded) * 1e3), "%.1f ms" % (max(recorded) * 1e3)),
    ])
    print()
    print("Through the server: %+.1f ms (%.2fx) over `mlpipe run`, %+.1f ms over `mlpipe run --json` (medians); "
          "fastest against fastest %+.1f ms; target under +%d ms." % (
              (s - d) * 1e3, s / d, (s - dj) * 1e3, (min(served) - min(direct)) * 1e3, TARGET_MS))
    sl.print_summary("overhead", {"run_median_ms": round(d * 1e3, 1), "server_median_ms": round(s * 1e3, 1),
                                  "run_json_median_ms": round(dj * 1e3, 1),
                                  "overhead_ms": round((s - d) * 1e3, 1),
                                  "overhead_vs_json_ms": round((s - dj) * 1e3, 1),
                                  "overhead_min_ms": round((min(served) - min(direct)) * 1e3, 1), "ratio": round(s / d, 3),
                                  "meets_target": (s - d) * 1e3 < TARGET_MS})


if __name__ == "__main__":
    main()
