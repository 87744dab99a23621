"""count.py TEXT NOTES OUT: lines, words and characters of two texts.

Writes them to OUT as JSON ({"text": {...}, "notes": {...}}) and records each
number as a metric of the step: mlpipe names a file in $MLPIPE_METRICS, and a
step appends one JSON object per line to it ({"name": ..., "value": ...}).
`mlpipe runs show RUN` lists them; `mlpipe runs compare` puts runs side by side.
"""
import json
import os
import sys


def stats(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return {"lines": text.count("\n"), "words": len(text.split()), "chars": len(text)}


text_path, notes_path, out_path = sys.argv[1:4]
counts = {"text": stats(text_path), "notes": stats(notes_path)}
with open(out_path, "w", encoding="utf-8") as out:
    json.dump(counts, out, indent=2, sort_keys=True)
    out.write("\n")

metrics_path = os.environ.get("MLPIPE_METRICS")
if metrics_path:
    with open(metrics_path, "a", encoding="utf-8") as metrics:
        for source, numbers in counts.items():
            for name, value in numbers.items():
                metrics.write(json.dumps({"name": f"{source}_{name}", "value": value}) + "\n")
print(f"text: {counts['text']['words']} words, notes: {counts['notes']['words']} words")
