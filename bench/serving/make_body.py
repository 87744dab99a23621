"""Prints a single-row OIP v2 infer request for a model package: the first data row of a CSV, one input per
feature of the package's transform.json (numeric FP64, other BYTES).
    python3 make_body.py DATA.csv PACKAGE_DIR"""
import csv
import json
import sys

rows = csv.DictReader(open(sys.argv[1]))
row = next(rows)
t = json.load(open(sys.argv[2] + "/transform.json"))
inputs = []
for c in t["columns"]:
    v = row[c["name"]]
    if c["type"] == "numeric":
        inputs.append({"name": c["name"], "datatype": "FP64", "shape": [1], "data": [float(v)] if v != "" else [None]})
    else:
        inputs.append({"name": c["name"], "datatype": "BYTES", "shape": [1], "data": [v]})
print(json.dumps({"inputs": inputs}))
