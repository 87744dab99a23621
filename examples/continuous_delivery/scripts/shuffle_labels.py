"""Shuffles one column of a CSV table (seeded): the labels no longer belong to their rows, the way a join on the
wrong key breaks a training set. Everything else, the row order included, stays as it was.

    python3 shuffle_labels.py IN.csv OUT.csv [--column Class] [--seed 42]
"""
import argparse
import csv
import random

parser = argparse.ArgumentParser()
parser.add_argument("input")
parser.add_argument("output")
parser.add_argument("--column", default="Class")
parser.add_argument("--seed", type=int, default=42)
args = parser.parse_args()

with open(args.input, newline="") as f:
    reader = csv.DictReader(f)
    fields = reader.fieldnames or []
    rows = list(reader)
if args.column not in fields:
    raise SystemExit(f"shuffle_labels.py: {args.input} has no column '{args.column}' (columns: {', '.join(fields)})")
labels = [row[args.column] for row in rows]
random.Random(args.seed).shuffle(labels)
for row, label in zip(rows, labels):
    row[args.column] = label
with open(args.output, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
print(f"shuffled column {args.column} of {len(rows)} rows (seed {args.seed})")
