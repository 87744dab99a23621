"""Concatenates text files into one output file."""
import sys

*sources, out = sys.argv[1:]
with open(out, "w", encoding="utf-8") as f:
    for src in sources:
        with open(src, encoding="utf-8") as g:
            f.write(g.read())
