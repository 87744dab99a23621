"""The feedback feeder: the true labels of answered requests, sent back to the deployment's /v2/feedback, the
way labels arrive in production (late, and not for every request). It follows the request log load.py --log
writes ({"id", "row", ...} a line, tail -f style) and posts {"id": ID, "label": LABEL} for each logged request,
LABEL the row's value in the label column of the same CSV, --delay seconds after the request was answered, for
a seeded --fraction of them. The serve process joins each label to the prediction it made and counts, per
variant, how many were right: the live accuracy a rollout's online_metric judges.

    python3 feedback.py --deployment lending-club --csv ../lending_club/data/loans.csv --log requests.jsonl \
        --delay 1 --fraction 0.8

Prints a line every few seconds: posted, ok, unknown (404: an id the server no longer remembers), duplicate
(409), failed. Stops after --seconds (0: until SIGINT or SIGTERM). Exit status 1 if any post failed.
"""
import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.parse

from mlpipe_endpoint import endpoint, read_rows

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--deployment", default="lending-club", help="read the URL from its endpoint.json")
parser.add_argument("--url", help="the serve process's base URL (default: from endpoint.json)")
parser.add_argument("--csv", required=True, help="the CSV load.py sent (rows are matched by number)")
parser.add_argument("--label-column", default="Class")
parser.add_argument("--log", required=True, help="the request log load.py --log writes")
parser.add_argument("--delay", type=float, default=1.0, help="seconds between an answer and its label")
parser.add_argument("--fraction", type=float, default=1.0, help="share of requests that get a label")
parser.add_argument("--seed", type=int, default=1, help="which requests get a label, with --fraction")
parser.add_argument("--from-start", action="store_true", help="also label requests logged before it started")
parser.add_argument("--seconds", type=float, default=0, help="0: until killed")
parser.add_argument("--report-every", type=float, default=5)
args = parser.parse_args()
if not 0 < args.fraction <= 1 or args.delay < 0:
    sys.exit("feedback.py: --fraction must be in (0, 1], --delay >= 0")

base, _ = endpoint(args.url, args.deployment)
target = urllib.parse.urlsplit(base)
header, rows = read_rows(args.csv)
if args.label_column not in header:
    sys.exit(f"feedback.py: {args.csv} has no column '{args.label_column}'")
label_at = header.index(args.label_column)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
chosen = random.Random(args.seed)
counts = {"posted": 0, "ok": 0, "unknown": 0, "duplicate": 0, "failed": 0}
start = time.monotonic()
last_report = start
conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)


def post(rid, label):
    global conn
    try:
        conn.request("POST", "/v2/feedback", json.dumps({"id": rid, "label": label}),
                     {"Content-Type": "application/json"})
        res = conn.getresponse()
        res.read()
        status = res.status
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
        status = 0
    counts["posted"] += 1
    key = {200: "ok", 404: "unknown", 409: "duplicate"}.get(status, "failed")
    counts[key] += 1


def report():
    print(f"feedback: {time.monotonic() - start:5.0f}s  " + "  ".join(f"{k} {v}" for k, v in counts.items()),
          flush=True)


while not os.path.exists(args.log) and not stop.wait(0.2):
    pass
with open(args.log) as log:
    if not args.from_start:
        log.seek(0, os.SEEK_END)
    pending = ""
    while not stop.is_set():
        if args.seconds and time.monotonic() - start >= args.seconds:
            break
        if time.monotonic() - last_report >= args.report_every:
            report()
            last_report = time.monotonic()
        chunk = log.readline()
        if not chunk:
            stop.wait(0.1)
            continue
        pending += chunk
        if not pending.endswith("\n"):  # a line load.py is still writing
            continue
        line, pending = pending, ""
        entry = json.loads(line)
        if chosen.random() >= args.fraction:
            continue
        wait = entry["t"] + args.delay - time.time()
        if wait > 0 and stop.wait(wait):
            break
        post(entry["id"], rows[entry["row"]][label_at])
report()
sys.exit(1 if counts["failed"] else 0)
