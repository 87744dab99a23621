#!/usr/bin/env python3
"""The events stream under a burst: a 1,000-step fan-out run through `mlpipe server`.

The fan-out of bench/engine/gen_dags.py (N steps each writing a tiny output,
plus one join step reading them all) gets a webhook trigger. A client opens
GET /api/v1/events, fires the webhook and reads until run.finished. Asserted:
every step's step.started and step.succeeded arrived, the ids are
consecutive (none dropped, none reordered), and a second client replaying
the same ids afterwards (?after=) reads the identical sequence. Reported:
the events count, the run's wall time, and the delay from run.finished
being published (its time_ns) to the client having read it, beside the
median round trip of GET /api/v1/health on the same server just after (what
one wake-up of a server thread and the client costs on this machine now).

Usage: events_fanout.py MLPIPE [--n 1000] [--out DIR]
"""
import collections
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl  # noqa: E402

ENGINE = os.path.join(sl.HERE, "..", "engine")


def read_run(stream, until_kind="run.finished"):
    """The events read up to and including the first `until_kind`."""
    events = []
    for e in stream:
        events.append(e)
        if e[1] == until_kind:
            return events
    raise RuntimeError("the stream ended before %s (%d events read)" % (until_kind, len(events)))


def check(events, steps):
    """Raises unless ids are consecutive and every step started and succeeded once."""
    for a, b in zip(events, events[1:]):
        if b[0] != a[0] + 1:
            raise RuntimeError("event id %d follows %d: dropped or reordered" % (b[0], a[0]))
    seen = collections.Counter((e[1], e[2].get("data", {}).get("step")) for e in events if e[1].startswith("step."))
    for s in steps:
        for kind in ("step.started", "step.succeeded"):
            if seen[(kind, s)] != 1:
                raise RuntimeError("%s of step %s arrived %d times" % (kind, s, seen[(kind, s)]))


def main():
    ap = sl.arg_parser("events_fanout")
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    mlpipe = args.mlpipe
    project = sl.fresh_dir(args.out)
    subprocess.check_call([sys.executable, os.path.join(ENGINE, "gen_dags.py"), "fanout", str(args.n), project])
    with open(os.path.join(project, "pipeline.yaml"), "a") as f:
        f.write("triggers:\n  - webhook: go\n")
    pipeline = "fanout%d" % args.n
    steps = ["w%d" % i for i in range(args.n)] + ["join"]
    with sl.Server(mlpipe, project) as server:
        stream = sl.EventStream(server.port)
        t0 = time.time_ns()
        fire_id = server.webhook(pipeline, "go")
        events = read_run(stream)
        stream.close()
        run_ns = time.time_ns() - t0
        check(events, steps)
        fire = sl.wait_until(lambda: (lambda f: f if sl.ended(f) else None)(server.fire(fire_id)), timeout=60)
        if not fire or fire["detail"] != "exit 0":
            raise RuntimeError("the run did not succeed: %s" % fire)
        finished = events[-1]
        lag_ms = (finished[3] - finished[2]["time_ns"]) / 1e6
        replay = sl.EventStream(server.port, after=events[0][0] - 1)
        again = read_run(replay)
        replay.close()
        if [(e[0], e[1]) for e in again] != [(e[0], e[1]) for e in events]:
            raise RuntimeError("the replay differs from the live stream")
        rtt = []
        for _ in range(21):
            t = time.perf_counter()
            server.get("/api/v1/health")
            rtt.append((time.perf_counter() - t) * 1e3)
        rtt_ms = sl.median(rtt)
    kinds = collections.Counter(e[1] for e in events)
    print(", ".join("%s %d" % kv for kv in sorted(kinds.items())), file=sys.stderr)
    sl.print_table(["steps", "events read", "ids", "step.started", "step.succeeded", "run wall (client)",
                    "run.finished published -> read", "GET /health round trip", "replay (?after=)"], [
        (len(steps), len(events), "%d..%d consecutive" % (events[0][0], events[-1][0]), kinds["step.started"],
         kinds["step.succeeded"], "%.2f s" % (run_ns / 1e9), "%.2f ms" % lag_ms, "%.2f ms" % rtt_ms,
         "identical"),
    ])
    sl.print_summary("events_fanout", {"steps": len(steps), "events": len(events), "dropped": 0, "reordered": 0,
                                       "run_wall_s": round(run_ns / 1e9, 2),
                                       "finished_read_lag_ms": round(lag_ms, 2),
                                       "health_rtt_ms": round(rtt_ms, 2)})


if __name__ == "__main__":
    main()
