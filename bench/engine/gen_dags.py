#!/usr/bin/env python3
"""Generates one DAG in four formats: mlpipe, ninja, make, Snakemake.

Shapes:
  chain    N no-op steps, each after the previous one.
  fanout   N steps each writing a small file, plus one join step reading all of them.
  sources  the fan-out, each step also reading its own 10 MB source file
           (data/sI.bin: a unique first line, the rest sparse).

Usage: gen_dags.py SHAPE N OUTDIR
Every format runs the same shell command per step, so the per-step cost that
differs is the engine's own.
"""
import os
import sys


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def chain(n, out):
    ml = ["pipeline: chain%d" % n, "steps:"]
    nj = ["rule noop", "  command = true && touch $out", ""]
    mk = [".PHONY: all", "all: s%d.stamp" % (n - 1), ""]
    sm = ["rule all:", "    input: 's%d.stamp'" % (n - 1), ""]
    for i in range(n):
        ml.append("  s%d:" % i)
        # A unique command per step: identical steps would share one cache key.
        ml.append("    run: \"true %d\"" % i)
        ml.append("    shell: true")
        if i:
            ml.append("    after: [s%d]" % (i - 1))
        dep = " s%d.stamp" % (i - 1) if i else ""
        nj.append("build s%d.stamp: noop%s" % (i, dep))
        mk.append("s%d.stamp:%s\n\t@true && touch $@" % (i, dep))
        sm.append("rule s%d:" % i)
        if i:
            sm.append("    input: 's%d.stamp'" % (i - 1))
        sm.append("    output: 's%d.stamp'" % i)
        sm.append("    shell: 'true && touch {output}'")
    return ml, nj, mk, sm


def add_join(n, ml, nj, mk, sm):
    """Appends the join step reading w0..w(n-1) to all four formats."""
    # mlpipe binds the files one input each, and the command names every one.
    ml += ["  join:", "    run: cat %s > ${outputs.out}" % " ".join("${inputs.in%d}" % i for i in range(n)),
           "    shell: true", "    inputs:"]
    ml += ["      in%d: w%d.out" % (i, i) for i in range(n)]
    ml.append("    outputs: {out: dataset}")
    files = " ".join("w%d.txt" % i for i in range(n))
    nj.append("build join.txt: join %s" % files)
    mk.append("join.txt: %s\n\t@cat $^ > $@" % files)
    sm.append("rule join:\n    input: %s\n    output: 'join.txt'\n    shell: 'cat {input} > {output}'"
              % ", ".join("'w%d.txt'" % i for i in range(n)))


def fanout(n, out):
    ml = ["pipeline: fanout%d" % n, "steps:"]
    nj = ["rule w", "  command = echo $i > $out", "rule join", "  command = cat $in > $out", ""]
    mk = [".PHONY: all", "all: join.txt", ""]
    sm = ["rule all:", "    input: 'join.txt'", ""]
    for i in range(n):
        ml += ["  w%d:" % i, "    run: echo %d > ${outputs.out}" % i, "    shell: true", "    outputs: {out: dataset}"]
        nj.append("build w%d.txt: w\n  i = %d" % (i, i))
        mk.append("w%d.txt:\n\t@echo %d > $@" % (i, i))
        sm.append("rule w%d:\n    output: 'w%d.txt'\n    shell: 'echo %d > {output}'" % (i, i, i))
    add_join(n, ml, nj, mk, sm)
    return ml, nj, mk, sm


SOURCE_BYTES = 10 * 1000 * 1000


def sources(n, out):
    """The fan-out with a 10 MB source per step (written under out/data)."""
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    for i in range(n):
        with open(os.path.join(out, "data", "s%d.bin" % i), "wb") as f:
            f.write(b"source %d\n" % i)
            f.truncate(SOURCE_BYTES)
    ml = ["pipeline: sources%d" % n, "steps:"]
    nj = ["rule w", "  command = head -c 9 $in > $out", "rule join", "  command = cat $in > $out", ""]
    mk = [".PHONY: all", "all: join.txt", ""]
    sm = ["rule all:", "    input: 'join.txt'", ""]
    for i in range(n):
        ml += ["  w%d:" % i, "    run: head -c 9 ${inputs.src} > ${outputs.out}", "    shell: true",
               "    inputs: {src: data/s%d.bin}" % i, "    outputs: {out: dataset}"]
        nj.append("build w%d.txt: w data/s%d.bin" % (i, i))
        mk.append("w%d.txt: data/s%d.bin\n\t@head -c 9 $< > $@" % (i, i))
        sm.append("rule w%d:\n    input: 'data/s%d.bin'\n    output: 'w%d.txt'\n    shell: 'head -c 9 {input} > {output}'"
                  % (i, i, i))
    add_join(n, ml, nj, mk, sm)
    return ml, nj, mk, sm


def main():
    shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    ml, nj, mk, sm = {"chain": chain, "fanout": fanout, "sources": sources}[shape](n, out)
    write(os.path.join(out, "pipeline.yaml"), "\n".join(ml) + "\n")
    write(os.path.join(out, "build.ninja"), "\n".join(nj) + "\n")
    write(os.path.join(out, "Makefile"), "\n".join(mk) + "\n")
    write(os.path.join(out, "Snakefile"), "\n".join(sm) + "\n")


if __name__ == "__main__":
    main()
