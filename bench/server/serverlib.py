"""What the `mlpipe server` benchmarks share: a server process on a free
loopback port, its API (GET, POST with the bearer token, fires), an events
stream reader, and the statistics printed.

Python 3 standard library only. Times are wall-clock nanoseconds
(time.time_ns), the clock the server stamps fires and events with.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def arg_parser(bench):
    """MLPIPE (the binary) and --out (the benchmark's folder, bench/out/server/BENCH by default)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("mlpipe", type=os.path.abspath)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "out", "server", bench))
    return ap


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def percentile(xs, p):
    """The nearest-rank p-th percentile (p in 0..100)."""
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, -(-p * len(xs) // 100) - 1))
    return xs[int(k)]


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def wait_until(done, timeout=120.0, every=0.005):
    """Polls done() until it returns a true value (returned) or the timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = done()
        if v:
            return v
        time.sleep(every)
    return None


def project_env(project):
    """The environment of mlpipe in `project`: its own workspace, whatever folder holds it."""
    return dict(os.environ, MLPIPE_HOME=os.path.join(project, ".mlpipe"))


def mlpipe(binary, project, *args):
    """Runs `mlpipe ARGS` in `project` (its own workspace); its stdout. Raises if it fails."""
    return subprocess.run([binary] + list(args), cwd=project, env=project_env(project), check=True,
                          capture_output=True, text=True).stdout


def start_serve(binary, project, deployment):
    """`mlpipe serve --deployment DEPLOYMENT` on a free port, following the stored deployment (polled every
    500 ms) with a 2 % sample of the traffic in the prediction log, as one would run 5,000 requests a second.
    Returns (process, port)."""
    out = open(os.path.join(project, ".serve.out"), "w")
    proc = subprocess.Popen([binary, "serve", "--deployment", deployment, "--port", "0", "--poll", "500ms",
                             "--log-sample", "0.02"],
                            cwd=project, env=project_env(project), stdout=out, stderr=subprocess.STDOUT)
    port = wait_until(lambda: (re.search(r"listening on http://[\d.]+:(\d+)", open(out.name).read()) or
                               [None, None])[1], timeout=60, every=0.05)
    if not port:
        proc.kill()
        raise RuntimeError("mlpipe serve did not listen:\n" + open(out.name).read()[-2000:])
    return proc, int(port)


class Server:
    """`mlpipe server --port 0 ARGS` in `project`; stopped with SIGTERM on close()."""

    def __init__(self, mlpipe, project, args=()):
        self.project = project
        self.out = os.path.join(project, ".server.out")
        self.err = os.path.join(project, ".server.err")
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([mlpipe, "server", "--port", "0"] + list(args), cwd=project,
                                         env=project_env(project), stdout=out, stderr=err)
        self.port = wait_until(self._port, timeout=60, every=0.02)
        if not self.port:
            self.close()
            raise RuntimeError("mlpipe server did not listen:\n" + open(self.err).read()[-2000:])
        with open(os.path.join(project, ".mlpipe", "token")) as f:
            self.token = f.read().strip()

    def _port(self):
        if self.proc.poll() is not None:
            raise RuntimeError("mlpipe server exited %d:\n%s" % (self.proc.returncode, open(self.err).read()))
        text = open(self.out).read()
        at = text.find("listening on http://")
        if at < 0 or "\n" not in text[at:]:
            return None
        return int(text[at:].split("\n", 1)[0].split(":")[2].split()[0])

    @property
    def pid(self):
        return self.proc.pid

    def request(self, method, path, body=None, token=False):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + self.token
        # A connection a request: the server closes idle keep-alive ones.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
            return res.status, json.loads(data) if data else None
        finally:
            conn.close()

    def get(self, path):
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError("GET %s: %d %s" % (path, status, body))
        return body

    def webhook(self, pipeline, name, force=True):
        """Fires a webhook (forced: cooldowns and budgets do not apply); the fire's id."""
        status, body = self.request("POST", "/api/v1/triggers/%s/%s" % (pipeline, name),
                                    json.dumps({"force": force}), token=True)
        if status != 202:
            raise RuntimeError("webhook %s/%s: %d %s" % (pipeline, name, status, body))
        return body["fire"]["id"]

    def fires(self):
        return self.get("/api/v1/fires?limit=1000")["fires"]

    def fire(self, fire_id):
        return self.get("/api/v1/fires/%d" % fire_id)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def ended(fire):
    return fire["state"] not in ("queued", "started")


class EventStream:
    """GET /api/v1/events on its own connection; next() is (id, kind, event JSON, time_ns read)."""

    def __init__(self, port, after=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", "/api/v1/events" + ("" if after is None else "?after=%d" % after))
        self.res = self.conn.getresponse()
        if self.res.status != 200:
            raise RuntimeError("events: %d" % self.res.status)
        self.pending = []

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self.pending:
                return self.pending.pop(0)
            self._read_block()

    def _read_block(self):
        fields = {}
        while True:
            line = self.res.fp.readline()
            if not line:
                raise StopIteration
            line = line.decode().rstrip("\n")
            if line == "":
                break
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            fields[key] = value
        if "id" in fields:
            self.pending.append((int(fields["id"]), fields.get("event", ""), json.loads(fields.get("data", "{}")),
                                 time.time_ns()))

    def close(self):
        self.conn.close()


def print_table(header, rows):
    """A Markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")


def print_summary(bench, figures):
    print(json.dumps(dict({"bench": bench}, **figures), sort_keys=True))
