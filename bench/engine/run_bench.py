#!/usr/bin/env python3
"""Engine benchmark: mlpipe side by side with ninja, GNU make and Snakemake.

For each shape (chain, fanout) and N, it generates the same DAG for every
tool (gen_dags.py), then measures in one run, one tool after the other:
  full  - wall time of a clean run of the whole DAG at -j2
  noop  - wall time of a run where nothing changed (median of NOOP_RUNS)
the CPU of the full run (the tool's own, and its commands'), and, for
mlpipe, `validate` time (parse + validate + plan), the engine's
peak RSS, and the deferred cost of its no-op runs: such a run is recorded as
one row reusing the earlier run, whose cached executions the next command
that opens the store writes out ("expand": `mlpipe runs list` after one no-op
run, minus `runs list` with nothing to expand). Prints Markdown tables;
ratios are against ninja.

Shapes: chain, fanout (gen_dags.py) and, with --sources, the fan-out of 1,000
steps each reading its own 10 MB source file.

Usage: run_bench.py MLPIPE_BINARY [--sizes 100,1000,10000] [--snakemake-max 1000] [--sources]
                    [--out DIR]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


CLK_TCK = os.sysconf("SC_CLK_TCK")


def own_cpu_of_zombie(pid):
    """CPU seconds (user + system, all threads) of an exited, not yet reaped process, without its children."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return float("nan")


def timed(cmd, cwd, env=None, cpu=None):
    """Runs cmd, returns (seconds, peak RSS KiB of the tool process tree).

    With cpu (a list), appends (the tool's own CPU seconds, its commands' CPU
    seconds): the tool is read from /proc while it is a zombie, before it is
    reaped; its commands are the rest of what wait4 reports for the tree.
    mlpipe's step spawner (mlpipe-spawn, one per run) is mlpipe too: it
    appends its own CPU to the file named by MLPIPE_SPAWN_RUSAGE when it
    exits, which mlpipe waits for; that is moved from the commands' CPU to
    the tool's."""
    # stderr goes to a file: a pipe read only after the exit would block a tool that prints more than the
    # pipe holds (Snakemake prints a line per job even with --quiet).
    errf = tempfile.TemporaryFile()
    spawner_cpu_file = None
    if cpu is not None:
        fd, spawner_cpu_file = tempfile.mkstemp(prefix="spawner_cpu.")
        os.close(fd)
        env = dict(env if env is not None else os.environ, MLPIPE_SPAWN_RUSAGE=spawner_cpu_file)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errf)
    own = None
    if cpu is not None:
        os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
        own = own_cpu_of_zombie(p.pid)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    errf.seek(0)
    err = errf.read().decode(errors="replace")
    errf.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s failed in %s:\n%s" % (" ".join(cmd), cwd, err[-2000:]))
    if cpu is not None:
        spawner = spawner_cpu(spawner_cpu_file)
        os.remove(spawner_cpu_file)
        cpu.append((own + spawner, ru.ru_utime + ru.ru_stime - own - spawner))
    return dt, ru.ru_maxrss


def spawner_cpu(path):
    """CPU seconds of the step spawners that reported to `path` ("PID USER_NS SYSTEM_NS" lines)."""
    total = 0
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 3:
                total += int(fields[1]) + int(fields[2])
    return total / 1e9


NOOP_RUNS = 5


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def tools(mlpipe):
    return {
        "mlpipe": lambda d: ([mlpipe, "run", "pipeline.yaml", "-j", "2"],
                             dict(os.environ, MLPIPE_HOME=os.path.join(d, ".mlpipe"))),
        "ninja": lambda d: (["ninja", "-j", "2"], None),
        "make": lambda d: (["make", "-j", "2", "-s"], None),
        # Through snakemake_deep.py: plain `snakemake` hits Python's recursion limit on a chain of 1,000.
        "snakemake": lambda d: (["/usr/bin/python3", os.path.join(HERE, "snakemake_deep.py"), "--cores", "2",
                                 "--quiet"], None),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlpipe")
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--snakemake-max", type=int, default=1000)
    ap.add_argument("--sources", action="store_true", help="also the 1,000-step fan-out with 10 MB sources")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "out", "engine"))
    args = ap.parse_args()
    mlpipe = os.path.abspath(args.mlpipe)
    rows = []
    expand_rows = []
    cpu_rows = []
    cases = [(shape, int(x)) for shape in ("chain", "fanout") for x in args.sizes.split(",")]
    if args.sources:
        cases.append(("sources", 1000))
    for shape, n in cases:
        base = os.path.join(args.out, "%s-%d" % (shape, n))
        shutil.rmtree(base, ignore_errors=True)
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_dags.py"), shape, str(n), base])
        res = {}
        for name, mk in tools(mlpipe).items():
            if name == "snakemake" and n > args.snakemake_max:
                continue
            if shutil.which(name) is None and name != "mlpipe":
                continue
            d = os.path.join(base, name)
            os.makedirs(d)
            for f in ("pipeline.yaml", "build.ninja", "Makefile", "Snakefile"):
                shutil.copy(os.path.join(base, f), d)
            if os.path.isdir(os.path.join(base, "data")):
                os.symlink(os.path.join(base, "data"), os.path.join(d, "data"))
            cmd, env = mk(d)
            cpu = []
            full, rss = timed(cmd, d, env, cpu)
            cpu_rows.append((shape, n, name, full, cpu[0][0], cpu[0][1]))
            noop = median([timed(cmd, d, env)[0] for _ in range(NOOP_RUNS)])
            res[name] = (full, noop, rss)
            if name == "mlpipe":
                listing = [mlpipe, "runs", "list", "--limit", "1"]
                timed(listing, d, env)  # expands the no-op runs above
                base_list = median([timed(listing, d, env)[0] for _ in range(3)])
                timed(cmd, d, env)
                expand = timed(listing, d, env)[0] - base_list
                expand_rows.append((shape, n, expand, noop))
            print("%-7s %-6d %-9s full %8.3fs  noop %8.4fs  rss %7d KiB" % (shape, n, name, full, noop, rss),
                  file=sys.stderr, flush=True)
        vd = os.path.join(base, "mlpipe")
        vt = min(timed([mlpipe, "validate", "pipeline.yaml"], vd)[0] for _ in range(3))
        rows.append((shape, n, res, vt))
    print("| shape | N | tool | full run | per step | vs ninja | no-op rerun | vs ninja | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for shape, n, res, vt in rows:
        nfull, nnoop = res["ninja"][0], res["ninja"][1]
        for name, (full, noop, rss) in res.items():
            print("| %s | %d | %s | %.3f s | %.2f ms | %.2fx | %.1f ms | %.2fx | %.1f MiB |" % (
                shape, n, name, full, 1000 * full / n, full / nfull, 1000 * noop, noop / nnoop, rss / 1024))
    print()
    print("| shape | N | mlpipe no-op rerun | its executions written by the next command |")
    print("|---|---|---|---|")
    for shape, n, expand, noop in expand_rows:
        print("| %s | %d | %.1f ms | %.1f ms |" % (shape, n, 1000 * noop, 1000 * expand))
    print()
    cores = os.cpu_count()
    print("| shape | N | tool | own CPU per step | its commands' CPU per step | CPU used / (%d cores x wall) |" % cores)
    print("|---|---|---|---|---|---|")
    for shape, n, name, full, own, cmds in cpu_rows:
        print("| %s | %d | %s | %.3f ms | %.3f ms | %.0f%% |" % (
            shape, n, name, 1000 * own / n, 1000 * cmds / n, 100 * (own + cmds) / (cores * full)))
    print()
    print("| shape | N | mlpipe validate (parse + validate + plan), best of 3 |")
    print("|---|---|---|")
    for shape, n, res, vt in rows:
        print("| %s | %d | %.1f ms |" % (shape, n, 1000 * vt))


if __name__ == "__main__":
    main()
