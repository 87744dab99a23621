"""Writes a text made of WORD repeated REPEAT times, one per line."""
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--word", required=True)
parser.add_argument("--repeat", type=int, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.out, "w", encoding="utf-8") as f:
    for i in range(args.repeat):
        f.write(f"{args.word} {i}\n")
