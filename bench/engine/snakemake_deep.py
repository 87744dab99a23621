#!/usr/bin/python3
"""Runs Debian's Snakemake with room for deep DAGs: `snakemake_deep.py ARGS...` is `snakemake ARGS...`.

Snakemake 7 builds its DAG recursively, a few Python frames per step of a
chain, so a chain of 1,000 steps fails with "RecursionError: maximum
recursion depth exceeded" under Python's default limit. This raises the limit
and runs Snakemake on a thread with a 512 MiB stack, which the deeper
recursion needs; the exit status is Snakemake's.
"""
import sys
import threading

from snakemake import main

sys.setrecursionlimit(1_000_000)
threading.stack_size(512 << 20)
status = [1]


def run():
    try:
        main(sys.argv[1:])
        status[0] = 0
    except SystemExit as e:
        status[0] = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)


t = threading.Thread(target=run)
t.start()
t.join()
sys.exit(status[0])
