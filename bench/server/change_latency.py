#!/usr/bin/env python3
"""How soon `mlpipe server` starts a run after a watched file changes.

A project with one pipeline whose on_change trigger watches a file
(data/in.csv) and a folder (data/new/). N times, alternately, the file gets new
content or a new file is written into the folder; the clock is read just
before the write. Measured per change, from the server's record of the fire
(GET /api/v1/fires):
  detect - the write to the fire being recorded (fired_ns): the watcher and
           the digest that confirms the content changed
  start  - the write to the run being started (started_ns): the above plus
           the queue launching the `mlpipe run` child
Each run is waited for before the next change, so no change coalesces with
a queued one. Once with the inotify watcher, once with
`--poll --poll-interval 100ms`. Targets: start under 100 ms (inotify), under
1 s (poll).

Usage: change_latency.py MLPIPE [--n 20] [--out DIR]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl  # noqa: E402

PIPELINE = """pipeline: watched
steps:
  copy:
    run: cat data/in.csv > ${outputs.copy}
    shell: true
    inputs: {data: data/in.csv}
    outputs: {copy: dataset}
    cache: false
triggers:
  - on_change: [data/in.csv, data/new/]
"""

TARGETS_MS = {"inotify": 100, "poll 100ms": 1000}


def measure(mlpipe, project, args, n):
    """[(target, detect ms, start ms)] for n changes."""
    sl.write(os.path.join(project, "data", "in.csv"), "a\n0\n")
    sl.write(os.path.join(project, "data", "new", ".keep"), "")
    sl.write(os.path.join(project, "pipeline.yaml"), PIPELINE)
    out = []
    with sl.Server(mlpipe, project, args) as server:
        time.sleep(0.5)  # the watches are set up as the server starts; let it settle
        for i in range(n):
            seen = len(server.fires())
            if i % 2 == 0:
                target, path, text = "file", os.path.join(project, "data", "in.csv"), "a\n%d\n" % (i + 1)
            else:
                target, path, text = "folder", os.path.join(project, "data", "new", "m%d.csv" % i), "a\n%d\n" % i
            t0 = time.time_ns()
            with open(path, "w") as f:
                f.write(text)
            fires = sl.wait_until(lambda: (lambda fs: fs if len(fs) > seen and fs[0]["started_ns"] > 0 else None)(
                server.fires()), timeout=60, every=0.01)
            if not fires:
                raise RuntimeError("change %d (%s) started no run: %s" % (i, target, server.fires()))
            fire = fires[0]
            if len(fires) != seen + 1:
                raise RuntimeError("change %d fired %d times" % (i, len(fires) - seen))
            out.append((target, (fire["fired_ns"] - t0) / 1e6, (fire["started_ns"] - t0) / 1e6))
            sl.wait_until(lambda: sl.ended(server.fire(fire["id"])), timeout=60, every=0.01)
            time.sleep(0.2)
    return out


def main():
    ap = sl.arg_parser("change_latency")
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    mlpipe = args.mlpipe
    modes = [("inotify", []), ("poll 100ms", ["--poll", "--poll-interval", "100ms"])]
    rows, summary = [], {}
    for name, flags in modes:
        project = sl.fresh_dir(os.path.join(args.out, name.split()[0]))
        samples = measure(mlpipe, project, flags, args.n)
        print("%s: %s" % (name, " ".join("%.0f" % s[2] for s in samples)), file=sys.stderr, flush=True)
        for target in ("file", "folder", "both"):
            sel = [s for s in samples if target == "both" or s[0] == target]
            detect, start = [s[1] for s in sel], [s[2] for s in sel]
            rows.append((name, target, len(sel), "%.1f ms" % sl.median(detect), "%.1f ms" % sl.percentile(detect, 90),
                         "%.1f ms" % sl.median(start), "%.1f ms" % sl.percentile(start, 90),
                         "%d ms" % TARGETS_MS[name]))
        start = [s[2] for s in samples]
        key = name.split()[0]
        summary[key + "_start_median_ms"] = round(sl.median(start), 1)
        summary[key + "_start_p90_ms"] = round(sl.percentile(start, 90), 1)
        summary[key + "_meets_target"] = sl.percentile(start, 90) < TARGETS_MS[name]
    sl.print_table(["watcher", "change", "N", "detect median", "detect p90", "start median", "start p90", "target"],
                   rows)
    sl.print_summary("change_latency", summary)


if __name__ == "__main__":
    main()
