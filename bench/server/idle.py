#!/usr/bin/env python3
"""What an idle `mlpipe server` costs: CPU and memory with nothing to do.

A project of 20 pipeline files (pNN.yaml), each with a schedule
(that does not come due), an on_change trigger on a file and a folder of its
own, and a webhook. The server starts, is left alone for --warmup seconds,
then its CPU time (utime + stime of /proc/PID/stat, every thread) is read
over --measure seconds, and its resident memory (VmRSS of /proc/PID/status)
at the end. Once with the inotify watcher, once with `--poll` (a stat and
digest of every on_change path each --poll-interval, default 1 s). No fire
may happen meanwhile (checked). Targets: under 1 % of one core, under 50 MB.

Usage: idle.py MLPIPE [--pipelines 20] [--warmup 10] [--measure 30] [--out DIR]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET_CPU_PCT = 1.0
TARGET_RSS_MB = 50

PIPELINE = """pipeline: p{i:02d}
steps:
  prep:
    run: cat data/p{i:02d}/in.csv > ${{outputs.out}}
    shell: true
    inputs: {{data: data/p{i:02d}/in.csv}}
    outputs: {{out: dataset}}
triggers:
  - schedule: "{minute} 3 * * *"
  - on_change: [data/p{i:02d}/in.csv, data/p{i:02d}/new/]
  - webhook: retrain
"""


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_field(pid, name):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1]
    return None


def measure(mlpipe, project, flags, n, warmup, span):
    for i in range(n):
        sl.write(os.path.join(project, "p%02d.yaml" % i), PIPELINE.format(i=i, minute=i))
        sl.write(os.path.join(project, "data", "p%02d" % i, "in.csv"), "a\n%d\n" % i)
        sl.write(os.path.join(project, "data", "p%02d" % i, "new", "2026-11.csv"), "a\n%d\n" % i)
    with sl.Server(mlpipe, project, flags) as server:
        if len(server.get("/api/v1/pipelines")["pipelines"]) != n:
            raise RuntimeError("the server did not load %d pipelines" % n)
        time.sleep(warmup)
        c0, t0 = cpu_seconds(server.pid), time.monotonic()
        time.sleep(span)
        c1, t1 = cpu_seconds(server.pid), time.monotonic()
        rss_kb = int(status_field(server.pid, "VmRSS"))
        threads = int(status_field(server.pid, "Threads"))
        fires = server.fires()
        if fires:
            raise RuntimeError("the idle server fired: %s" % fires)
    return 100.0 * (c1 - c0) / (t1 - t0), rss_kb / 1024.0, threads


def main():
    ap = sl.arg_parser("idle")
    ap.add_argument("--pipelines", type=int, default=20)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--measure", type=float, default=30)
    args = ap.parse_args()
    mlpipe = args.mlpipe
    rows, summary = [], {}
    for name, flags in (("inotify", []), ("poll 1s", ["--poll"])):
        project = sl.fresh_dir(os.path.join(args.out, name.split()[0]))
        cpu, rss, threads = measure(mlpipe, project, flags, args.pipelines, args.warmup, args.measure)
        rows.append((name, args.pipelines, 3 * args.pipelines, "%.0f s" % args.measure, "%.2f %%" % cpu,
                     "%.1f MB" % rss, threads, "< %.0f %%, < %d MB" % (TARGET_CPU_PCT, TARGET_RSS_MB)))
        key = name.split()[0]
        summary[key + "_cpu_pct"] = round(cpu, 3)
        summary[key + "_rss_mb"] = round(rss, 1)
        summary[key + "_meets_target"] = cpu < TARGET_CPU_PCT and rss < TARGET_RSS_MB
    sl.print_table(["watcher", "pipelines", "triggers", "measured", "CPU (one core)", "RSS", "threads", "target"],
                   rows)
    sl.print_summary("idle", summary)


if __name__ == "__main__":
    main()
