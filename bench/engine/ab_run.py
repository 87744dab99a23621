#!/usr/bin/env python3
"""A/B of mlpipe binaries on one DAG, alternated, with ninja after each round.

Each binary runs the DAG from a fresh workspace (`mlpipe run pipeline.yaml -j 2`);
its own CPU (all threads, and its step spawner's, without its commands) is
read as run_bench.py reads it. Prints one line per round.

Usage: ab_run.py SHAPE N ROUNDS BINARY [BINARY...]   (SHAPE and N as gen_dags.py)
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_bench import timed  # noqa: E402


def clean(d):
    shutil.rmtree(os.path.join(d, ".mlpipe"), ignore_errors=True)
    for f in os.listdir(d):
        if f.endswith(".txt") or f.startswith(".ninja"):
            os.remove(os.path.join(d, f))


def main():
    shape, n, rounds, binaries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    d = tempfile.mkdtemp(prefix="ab_run.")
    subprocess.check_call([sys.executable, os.path.join(HERE, "gen_dags.py"), shape, str(n), d])
    env = dict(os.environ, MLPIPE_HOME=os.path.join(d, ".mlpipe"))
    for _ in range(rounds):
        cells = []
        for b in binaries:
            clean(d)
            cpu = []
            wall, _ = timed([os.path.abspath(b), "run", "pipeline.yaml", "-j", "2"], d, env, cpu)
            cells.append("%s %.3f s, own %.3f ms/step" % (b, wall, 1000 * cpu[0][0] / n))
        clean(d)
        wall, _ = timed(["ninja", "-j", "2"], d)
        cells.append("ninja %.3f s" % wall)
        print(" | ".join(cells), flush=True)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
