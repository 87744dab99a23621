"""A load generator for a served deployment: sends the rows of a CSV file (its label column left out) to
/v2/models/MODEL/infer at a steady rate, each with a request id and a sticky key header, and counts what comes
back. Every few seconds it prints a line (sent, ok, failed, p50 and p99 latency of the interval, and which
variants answered, from X-Mlpipe-Variant); at the end a summary. Exit status 1 if any request failed (no answer,
or a status other than 200): a zero-downtime claim, checked.

    python3 load.py --deployment lending-club --csv ../lending_club/data/loans.csv --rps 80 --seconds 60 \
        --log requests.jsonl

--log writes one JSON line per answered request ({"id", "row", "variant", "version", "t"}): what feedback.py
reads to send each request's true label. Stops after --seconds (0: until SIGINT or SIGTERM).
"""
import argparse
import http.client
import json
import random
import signal
import sys
import threading
import time
import urllib.parse

from mlpipe_endpoint import endpoint, percentile, read_rows

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--deployment", default="lending-club", help="read the URL from its endpoint.json")
parser.add_argument("--url", help="the serve process's base URL (default: from endpoint.json)")
parser.add_argument("--model", help="the model name in /v2/models/MODEL/infer (default: the deployment's)")
parser.add_argument("--csv", required=True, help="rows to send, with a header")
parser.add_argument("--label-column", default="Class", help="left out of the request (default Class)")
parser.add_argument("--rps", type=float, default=50, help="requests per second, all threads together")
parser.add_argument("--threads", type=int, default=4)
parser.add_argument("--seconds", type=float, default=0, help="0: until killed")
parser.add_argument("--sticky-header", default="X-User-Id", help="header carrying the sticky key")
parser.add_argument("--users", type=int, default=5000, help="distinct sticky keys (request k is user k mod N)")
parser.add_argument("--pin-version", default="",
                    help="send every other request to this model version's route, outside the split")
parser.add_argument("--timeout", type=float, default=10, help="seconds before a request counts as failed")
parser.add_argument("--report-every", type=float, default=5)
parser.add_argument("--log", help="append a JSON line per answered request (for feedback.py)")
parser.add_argument("--summary", help="write the final summary as JSON to this file")
parser.add_argument("--seed", type=int, default=1, help="the order rows are sent in")
args = parser.parse_args()
if args.rps <= 0 or args.threads < 1 or args.users < 1:
    sys.exit("load.py: --rps must be > 0, --threads and --users >= 1")

base, info = endpoint(args.url, args.deployment)
# A variant's model reads "NAME@ALIAS" or "NAME:vN"; the route takes NAME.
served = (info.get("variants") or [{}])[0].get("model") or args.deployment
model = args.model or served.split("@")[0].split(":")[0]
target = urllib.parse.urlsplit(base)
header, rows = read_rows(args.csv)


def connect():
    return http.client.HTTPConnection(target.hostname, target.port or 80, timeout=args.timeout)


# The model's inputs and their datatypes, from its metadata: numbers as numbers, the rest as strings; an
# empty cell is a missing value (null).
conn = connect()
conn.request("GET", f"/v2/models/{model}")
res = conn.getresponse()
meta = json.loads(res.read() or b"{}")
if res.status != 200:
    sys.exit(f"load.py: GET {base}/v2/models/{model}: {res.status} {meta}")
conn.close()
columns = []
for inp in meta["inputs"]:
    if inp["name"] not in header:
        sys.exit(f"load.py: {args.csv} has no column '{inp['name']}' that model {model} needs")
    columns.append((inp["name"], header.index(inp["name"]), inp["datatype"] != "BYTES", inp["datatype"]))


def body(k, row):
    inputs = []
    for name, i, numeric, datatype in columns:
        cell = row[i]
        value = None if cell == "" else (float(cell) if numeric else cell)
        inputs.append({"name": name, "datatype": "FP64" if numeric else datatype, "shape": [1], "data": [value]})
    return json.dumps({"id": f"load-{k}", "inputs": inputs})


order = list(range(len(rows)))
random.Random(args.seed).shuffle(order)
lock = threading.Lock()
stop = threading.Event()
log = open(args.log, "a") if args.log else None
start = time.monotonic()
next_k = 0
total = {"sent": 0, "ok": 0, "failed": 0, "reconnects": 0, "variants": {}, "errors": {}}
all_latencies = []
window = []  # latencies since the last report


def take():
    """The next request's number and when to send it (a shared schedule: --rps whatever the thread count)."""
    global next_k
    with lock:
        k = next_k
        next_k += 1
    return k, start + k / args.rps


def worker():
    conn = connect()
    used = False  # whether `conn` has carried a request (a fresh one is never stale)
    while not stop.is_set():
        k, due = take()
        if args.seconds and due - start >= args.seconds:
            return
        wait = due - time.monotonic()
        if wait > 0 and stop.wait(wait):
            return
        r = order[k % len(order)]
        rid = f"load-{k}"
        headers = {"Content-Type": "application/json", "X-Request-Id": rid,
                   args.sticky_header: f"user-{k % args.users}"}
        t0 = time.monotonic()
        status, variant, version, error = 0, "", "", ""
        for attempt in (1, 2):
            try:
                path = (f"/v2/models/{model}/versions/{args.pin_version}/infer" if args.pin_version and k % 2
                        else f"/v2/models/{model}/infer")
                conn.request("POST", path, body(k, rows[r]), headers)
                res = conn.getresponse()
                res.read()
                status = res.status
                variant = res.getheader("X-Mlpipe-Variant", "")
                version = res.getheader("X-Mlpipe-Model-Version", "")
                used = True
                break
            except (OSError, http.client.HTTPException) as e:
                error = type(e).__name__
                conn.close()
                conn = connect()
                # A kept-alive connection the server closed before reading the request (an idle timeout, a
                # process handing over its port) is retried once on a new one, as HTTP clients do; any
                # other failure, or a second one, counts.
                stale = used and isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError,
                                                BrokenPipeError))
                used = False
                if not stale:
                    break
                with lock:
                    total["reconnects"] += 1
        seconds = time.monotonic() - t0
        with lock:
            total["sent"] += 1
            if status == 200:
                total["ok"] += 1
                total["variants"][variant] = total["variants"].get(variant, 0) + 1
                all_latencies.append(seconds)
                window.append(seconds)
                if log:
                    log.write(json.dumps({"id": rid, "row": r, "variant": variant, "version": version,
                                          "t": time.time()}) + "\n")
                    log.flush()
            else:
                total["failed"] += 1
                why = error or f"HTTP {status}"
                total["errors"][why] = total["errors"].get(why, 0) + 1


def ms(x):
    return f"{1000 * x:.1f} ms"


def report():
    with lock:
        lat = sorted(window)
        window.clear()
        variants = " ".join(f"{v or '-'}={n}" for v, n in sorted(total["variants"].items()))
        print(f"load: {time.monotonic() - start:5.0f}s  sent {total['sent']}  ok {total['ok']}  "
              f"failed {total['failed']}  p50 {ms(percentile(lat, 0.5))}  p99 {ms(percentile(lat, 0.99))}  "
              f"variants {variants}", flush=True)


signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.threads)]
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    if stop.wait(args.report_every):
        break
    report()
stop.set()
for t in threads:
    t.join(args.timeout + 1)
lat = sorted(all_latencies)
summary = dict(total, seconds=round(time.monotonic() - start, 1), p50_ms=round(1000 * percentile(lat, 0.5), 2),
               p99_ms=round(1000 * percentile(lat, 0.99), 2), url=base, model=model)
errors = ", ".join(f"{why} x{n}" for why, n in summary["errors"].items())
print(f"load summary: {summary['sent']} sent, {summary['ok']} ok, {summary['failed']} failed"
      f"{' (' + errors + ')' if errors else ''}, {summary['reconnects']} stale connections retried in {summary['seconds']} s; p50 {summary['p50_ms']} ms, "
      f"p99 {summary['p99_ms']} ms; variants " +
      ", ".join(f"{v}={n}" for v, n in sorted(summary["variants"].items())), flush=True)
if args.summary:
    with open(args.summary, "w") as f:
        json.dump(summary, f, indent=1)
sys.exit(1 if summary["failed"] else 0)
