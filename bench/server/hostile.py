#!/usr/bin/env python3
"""The model server's transport under hostile traffic, two binaries in one run.

For each binary (--base, e.g. built from main, then MLPIPE): `mlpipe serve
--model iris` (a model trained and registered once by MLPIPE, default flags:
16 threads), then
1. hostile: --idle keep-alive connections that send nothing (reopened as the
   server closes them, so that --idle stay open) and --trickle clients that
   send a request's header one byte every --trickle-every seconds (reconnected
   when cut); meanwhile a new client's request (GET /v2/health/live on a new
   connection, --timeout s each) is timed --requests times in a row (or until
   --budget s pass): answered count, p50 and p99 (a request not answered
   within --timeout counts as --timeout for the percentiles);
2. fairness: the hostile clients gone, --clients concurrent keep-alive
   clients send requests as fast as they are answered for --seconds (one
   selector loop, each client one request at a time): the requests each
   client got answered, the slowest client's count against the median's.

Python 3 standard library only. Prints a Markdown table and one JSON line.
Usage: python3 bench/server/hostile.py MLPIPE --base MLPIPE_BASE [--out DIR]
  [--idle 1000] [--trickle 64] [--requests 500] [--clients 256] [--seconds 10]
"""
import json
import os
import resource
import selectors
import shutil
import socket
import subprocess
import threading
import time

from serverlib import arg_parser, fresh_dir, median, mlpipe, percentile, project_env, wait_until, write

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

PIPELINE = """pipeline: iris
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/iris.csv}
    params: {method: stratified, stratify_by: species, test_fraction: 0.2, seed: 42}
  transform:
    uses: mlpipe/transform
    inputs: {train: split.train}
    params: {target: species}
  train:
    uses: mlpipe/train
    inputs: {train: split.train, transform: transform.transform}
    params: {model: xgboost, rounds: 20, max_depth: 3, seed: 42}
register:
  - model: iris
    from: train.model
    alias: champion
"""

HEALTH = b"GET /v2/health/live HTTP/1.1\r\nHost: bench\r\n\r\n"
TRICKLE = b"GET /v2/health/live HTTP/1.1\r\nHost: bench\r\nX-Pad: " + b"p" * 200 + b"\r\n\r\n"


def start(binary, project, log_dir):
    out_path = os.path.join(project, ".serve-%s.out" % os.path.basename(log_dir))
    out = open(out_path, "w")
    proc = subprocess.Popen([binary, "serve", "--model", "iris@champion", "--port", "0", "--log-dir", log_dir,
                             "--log-sample", "0"], cwd=project, env=project_env(project), stdout=out,
                            stderr=subprocess.STDOUT)
    port = wait_until(lambda: _listening(out_path), timeout=60, every=0.05)
    if not port:
        proc.kill()
        raise RuntimeError("mlpipe serve did not listen:\n" + open(out_path).read()[-2000:])
    return proc, port


def _listening(path):
    text = open(path).read()
    at = text.find("listening on http://")
    if at < 0 or "\n" not in text[at:]:
        return None
    return int(text[at:].split("\n", 1)[0].rsplit(":", 1)[1])


def connect(port, blocking=False):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(blocking)
    return s


def split_response(buf):
    """(status, rest of buf) when buf starts with a whole response (Content-Length framed); None if not yet."""
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if len(rest) < length:
        return None
    return int(head[9:12]), rest[length:]


def read_response(sock, buf=b""):
    """One response off a blocking socket: (status, rest of the buffer)."""
    while True:
        done = split_response(buf)
        if done:
            return done
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk


class Hostile(threading.Thread):
    """Keeps `idle` silent connections and `trickle` byte-a-time clients open until stopped."""

    def __init__(self, port, idle, trickle, every):
        super().__init__(daemon=True)
        self.port, self.idle_n, self.trickle_n, self.every = port, idle, trickle, every
        self.sel = selectors.DefaultSelector()
        self.stop = False
        self.reopened = 0
        self.trickle_cut = 0
        self.ready = threading.Event()

    def _open(self, kind):
        try:
            s = connect(self.port)
        except OSError:
            return
        self.sel.register(s, selectors.EVENT_READ, [kind, 0])

    def run(self):
        for _ in range(self.idle_n):
            self._open("idle")
        for _ in range(self.trickle_n):
            self._open("trickle")
        self.ready.set()
        next_byte = time.monotonic()
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.05):
                kind = key.data[0]
                try:
                    data = key.fileobj.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data and kind == "idle":
                    continue
                # Closed (or, for a trickler, answered: 408 or other): replace it.
                self.sel.unregister(key.fileobj)
                key.fileobj.close()
                if kind == "idle":
                    self.reopened += 1
                else:
                    self.trickle_cut += 1
                self._open(kind)
            if time.monotonic() >= next_byte:
                next_byte += self.every
                for key in list(self.sel.get_map().values()):
                    if key.data[0] != "trickle":
                        continue
                    at = key.data[1] % len(TRICKLE)
                    try:
                        key.fileobj.send(TRICKLE[at:at + 1])
                        key.data[1] += 1
                    except OSError:
                        pass
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()

    def open_count(self):
        return len(self.sel.get_map())


def new_client_latency(port, n, timeout, budget):
    """n requests, each on a new connection: latencies in ms (timeout for one not answered in time)."""
    out, answered = [], 0
    deadline = time.monotonic() + budget
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            s.settimeout(timeout)
            s.sendall(HEALTH)
            status, _ = read_response(s)
            s.close()
            ms = (time.perf_counter() - t0) * 1000
            if status == 200 and ms <= timeout * 1000:
                answered += 1
                out.append(ms)
            else:
                out.append(timeout * 1000)
        except OSError:
            out.append(timeout * 1000)
    return out, answered


def fairness(port, clients, seconds):
    """clients keep-alive connections, one request in flight each, for `seconds`: answers per client."""
    sel = selectors.DefaultSelector()
    counts = [0] * clients
    for i in range(clients):
        s = connect(port)
        s.send(HEALTH)
        sel.register(s, selectors.EVENT_READ, [i, b""])
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.05):
            i, buf = key.data
            try:
                data = key.fileobj.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:  # closed by the server: reconnect, resend
                sel.unregister(key.fileobj)
                key.fileobj.close()
                s = connect(port)
                s.send(HEALTH)
                sel.register(s, selectors.EVENT_READ, [i, b""])
                continue
            buf += data
            while True:
                done = split_response(buf)
                if not done:
                    break
                status, buf = done
                if status == 200:
                    counts[i] += 1
                key.fileobj.send(HEALTH)
            key.data[1] = buf
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    return counts


def measure(name, binary, project, args):
    proc, port = start(binary, project, os.path.join(project, "log-" + name))
    try:
        hostile = Hostile(port, args.idle, args.trickle, args.trickle_every)
        hostile.start()
        hostile.ready.wait()
        time.sleep(1.0)  # let the server take them
        lat, answered = new_client_latency(port, args.requests, args.timeout, args.budget)
        open_now = hostile.open_count()
        hostile.stop = True
        hostile.join()
        time.sleep(1.0)
        counts = fairness(port, args.clients, args.seconds)
    finally:
        proc.terminate()
        proc.wait()
    med = median(counts)
    return {
        "binary": name,
        "hostile_open": open_now,
        "idle_reopened": hostile.reopened,
        "trickle_cut": hostile.trickle_cut,
        "requests": len(lat),
        "answered": answered,
        "p50_ms": round(percentile(lat, 50), 3),
        "p99_ms": round(percentile(lat, 99), 3),
        "clients": args.clients,
        "clients_served": sum(1 for c in counts if c > 0),
        "answers": sum(counts),
        "min_per_client": min(counts),
        "median_per_client": med,
        "max_per_client": max(counts),
        "slowest_vs_median": round(min(counts) / med, 3) if med else 0.0,
    }


def main():
    ap = arg_parser("hostile")
    ap.add_argument("--base", type=os.path.abspath, required=True, help="the binary to compare with (main's)")
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--trickle", type=int, default=64)
    ap.add_argument("--trickle-every", type=float, default=1.0)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    project = fresh_dir(args.out)
    shutil.copytree(os.path.join(REPO, "examples", "iris", "data"), os.path.join(project, "data"))
    write(os.path.join(project, "pipeline.yaml"), PIPELINE)
    mlpipe(args.mlpipe, project, "run", "pipeline.yaml")
    rows = [measure("base", args.base, project, args), measure("branch", args.mlpipe, project, args)]
    print("machine: %d cores, load %s" % (os.cpu_count(), open("/proc/loadavg").read().split()[:3]))
    print("| binary | hostile open | new-client requests answered | p50 ms | p99 ms | %d clients: served | "
          "answers | min / median / max per client | slowest / median |" % args.clients)
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d of %d | %.2f | %.2f | %d | %d | %d / %g / %d | %.2f |" % (
            r["binary"], r["hostile_open"], r["answered"], r["requests"], r["p50_ms"], r["p99_ms"],
            r["clients_served"], r["answers"], r["min_per_client"], r["median_per_client"], r["max_per_client"],
            r["slowest_vs_median"]))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
