"""prepare.py --target COLUMN RAW OUT: the data preparation that is yours.

Copies the CSV file RAW to OUT without the rows whose TARGET is empty (a row
without a label cannot train or test a model). Put your own cleaning here:
joins, filters, derived columns. Standard library only, like every script of
this project; any language works, since a step is just a command.
"""
import argparse
import csv

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--target", required=True)
parser.add_argument("raw")
parser.add_argument("out")
args = parser.parse_args()

with open(args.raw, newline="", encoding="utf-8") as src, open(args.out, "w", newline="", encoding="utf-8") as dst:
    reader = csv.DictReader(src)
    if args.target not in reader.fieldnames:
        raise SystemExit(f"prepare.py: no column {args.target!r} in {args.raw}; columns: {', '.join(reader.fieldnames)}")
    writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    kept = dropped = 0
    for row in reader:
        if row[args.target].strip():
            writer.writerow(row)
            kept += 1
        else:
            dropped += 1
print(f"kept {kept} rows, dropped {dropped} without {args.target}")
