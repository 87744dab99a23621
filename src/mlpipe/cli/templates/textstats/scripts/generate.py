"""Writes WORD followed by its number, REPEAT times, one per line, to OUT."""
import argparse

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--word", required=True)
parser.add_argument("--repeat", type=int, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.out, "w", encoding="utf-8") as out:
    out.writelines(f"{args.word} {n}\n" for n in range(1, args.repeat + 1))
print(f"wrote {args.repeat} lines to {args.out}")
