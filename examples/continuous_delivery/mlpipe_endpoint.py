"""What load.py and feedback.py share: where a served deployment answers, and the rows of a CSV file.

A deployment that `mlpipe serve --deployment NAME` (or `mlpipe server --serve NAME`) serves writes its address to
WORKSPACE/serving/NAME/endpoint.json; the workspace is MLPIPE_HOME, else the `.mlpipe/` folder found upward from
the current folder, as mlpipe finds it.
"""
import csv
import json
import os
import sys


def workspace():
    if os.environ.get("MLPIPE_HOME"):
        return os.environ["MLPIPE_HOME"]
    d = os.getcwd()
    while True:
        if os.path.isdir(os.path.join(d, ".mlpipe")):
            return os.path.join(d, ".mlpipe")
        parent = os.path.dirname(d)
        if parent == d:
            sys.exit("no .mlpipe/ workspace here or above (set MLPIPE_HOME, or pass --url)")
        d = parent


def endpoint(url, deployment):
    """(base URL, endpoint.json's content or {}): --url if given, else the deployment's endpoint.json."""
    if url:
        return url.rstrip("/"), {}
    path = os.path.join(workspace(), "serving", deployment, "endpoint.json")
    try:
        with open(path) as f:
            info = json.load(f)
    except OSError as e:
        sys.exit(f"{path}: {e.strerror}: is deployment '{deployment}' served? (or pass --url)")
    return info["url"].rstrip("/"), info


def read_rows(path):
    """The CSV's header and rows (lists of strings)."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            sys.exit(f"{path}: empty file")
        rows = [row for row in reader if row]
    if not rows:
        sys.exit(f"{path}: no rows")
    return header, rows


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]
