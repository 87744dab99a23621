#!/usr/bin/env python3
"""pandas side of the CSV benchmark: best-of-N pd.read_csv, and read_csv +
pd.get_dummies (every string column one-hot) + to_numpy(float32).
Prints the same JSON lines as mlpipe_csv_bench."""
import json
import os
import sys
import time

import numpy as np
import pandas as pd


def main():
    path = sys.argv[1]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    mb = os.path.getsize(path) / 1e6
    best_read = best_all = float("inf")
    cpu_read = cpu_all = 0.0
    rows = cols = features = 0
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        df = pd.read_csv(path)
        c1, t1 = time.process_time(), time.perf_counter()
        x = pd.get_dummies(df).to_numpy(dtype=np.float32)
        c2, t2 = time.process_time(), time.perf_counter()
        rows, cols, features = df.shape[0], df.shape[1], x.shape[1]
        if t1 - t0 < best_read:
            best_read, cpu_read = t1 - t0, c1 - c0
        if t2 - t0 < best_all:
            best_all, cpu_all = t2 - t0, c2 - c0
        del df, x
    print(json.dumps({"what": "read", "seconds": round(best_read, 3), "mb_per_s": round(mb / best_read, 1),
                      "cpu_seconds": round(cpu_read, 3), "rows": rows, "cols": cols}))
    print(json.dumps({"what": "read+transform", "seconds": round(best_all, 3),
                      "mb_per_s": round(mb / best_all, 1), "cpu_seconds": round(cpu_all, 3), "rows": rows, "features": features}))


if __name__ == "__main__":
    main()
