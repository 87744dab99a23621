"""Counts lines, words and characters of a text; writes them as a metrics JSON object.

Also reports them through MLPIPE_METRICS when the engine provides it.
"""
import json
import os
import sys

src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    text = f.read()
metrics = {"lines": text.count("\n"), "words": len(text.split()), "chars": len(text)}
with open(out, "w", encoding="utf-8") as f:
    json.dump(metrics, f, sort_keys=True)
    f.write("\n")
metrics_path = os.environ.get("MLPIPE_METRICS")
if metrics_path:
    with open(metrics_path, "a", encoding="utf-8") as f:
        for name, value in metrics.items():
            f.write(json.dumps({"name": name, "value": value}) + "\n")
print(f"counted {metrics['words']} words in {src}")
