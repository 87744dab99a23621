#!/usr/bin/env bash
# Storing sources: the first run of a pipeline whose step reads a 1 GiB source,
# with the source hashed only (`sources: {store: false}`, what a run did before
# sources were stored) and stored each way (copy: hashed while copied;
# hardlink; auto, which is a reflink where the filesystem can and a copy
# elsewhere), side by side with `openssl dgst` (hash only) and `cp` + fsync (a
# plain durable copy) on the same file. Best of 3, fresh workspace each run,
# the file on disk and in the page cache. Also the second run (nothing changed: no read).
# Usage: [SOURCES_BENCH_DIR=DIR] bench/sources/run.sh BUILD_DIR [SIZE_MIB]
set -euo pipefail
BUILD=$(readlink -f "$1")
MIB=${2:-1024}
MLPIPE="$BUILD/src/mlpipe/cli/mlpipe"
# SOURCES_BENCH_DIR puts the files elsewhere: on a filesystem with reflinks (XFS, btrfs), `auto` clones.
OUT=${SOURCES_BENCH_DIR:-$(cd "$(dirname "$0")/.." && pwd)/out/sources}
rm -rf "$OUT"; mkdir -p "$OUT/data"
head -c $((MIB * 1024 * 1024)) /dev/urandom > "$OUT/data/big.bin"
# On disk and in the page cache, as a dataset a user has had for a while: a freshly written file's dirty pages
# would be written out by the first clone or fsync of it and counted against that mode.
sync "$OUT/data/big.bin"
cat "$OUT/data/big.bin" > /dev/null
python3 - "$MLPIPE" "$OUT" "$MIB" <<'PY'
import os, shutil, subprocess, sys, time
mlpipe, out, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
src = os.path.join(out, "data/big.bin")

def pipeline(mode, step):
    sources = {"hash only": "sources: {store: false}\n"}.get(mode, "sources: {link: %s}\n" % mode)
    return ("pipeline: sourcebench\nsteps:\n  read:\n    run: [sh, -c, '%s', x, '${inputs.big}']\n"
            "    inputs: {big: data/big.bin}\n" % step) + sources

def timed(argv, **kw):
    t0 = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.monotonic() - t0

def first_and_second(mode, step):
    firsts, seconds = [], []
    for _ in range(3):
        shutil.rmtree(os.path.join(out, ".mlpipe"), ignore_errors=True)
        os.chmod(src, 0o644)
        # A new inode and mtime, as an edited source has: nothing is known of it.
        tmp = src + ".new"
        shutil.copyfile(src, tmp)
        fd = os.open(tmp, os.O_RDONLY)
        os.fsync(fd)  # written out, as a file saved a while ago is (the kernel does so within 30 s)
        os.close(fd)
        os.replace(tmp, src)
        with open(os.path.join(out, "pipeline.yaml"), "w") as f:
            f.write(pipeline(mode, step))
        env = dict(os.environ, MLPIPE_HOME=os.path.join(out, ".mlpipe"))
        time.sleep(2.1)  # past the hash cache's racy window, as a source edited a while ago is
        firsts.append(timed([mlpipe, "run", "pipeline.yaml"], cwd=out, env=env))
        seconds.append(timed([mlpipe, "run", "pipeline.yaml"], cwd=out, env=env))
    return min(firsts), min(seconds)

def best(argv):
    return min(timed(argv) for _ in range(3))

t_hash = best(["openssl", "dgst", "-sha256", src])
dst = os.path.join(out, "copy.bin")
t_cp = min(timed(["sh", "-c", 'cp "$0" "$1" && sync "$1" && rm "$1"', src, dst]) for _ in range(3))
print("%d MiB source; `openssl dgst -sha256`: %.2f s; `cp` + fsync: %.2f s" % (mib, t_hash, t_cp))
for step, label in (("true", "a step that does not read it (`true`)"), ('wc -l < "$1"', "a step that reads it (`wc -l`)")):
    print()
    print("Step: %s" % label)
    print()
    print("| sources | first run | vs hash only | second run |")
    print("|---|---:|---:|---:|")
    base = None
    for mode in ("hash only", "copy", "auto", "hardlink"):
        first, second = first_and_second(mode, step)
        base = base or first
        print("| %s | %.2f s | %.2fx | %.3f s |" % (mode, first, first / base, second))
PY
rm -rf "$OUT"
